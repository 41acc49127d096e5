#include "vigil/event.h"

namespace vigil {
namespace {
constexpr std::array<std::string_view, static_cast<std::size_t>(ArgId::kCount)> kArgNames = {
#define VIGIL_X_ARGNAME(e, n) std::string_view(n),
    VIGIL_ARG_IDS(VIGIL_X_ARGNAME)
#undef VIGIL_X_ARGNAME
};
}  // namespace

std::string_view ArgName(ArgId id) noexcept {
  auto i = static_cast<std::size_t>(id);
  return i < kArgNames.size() ? kArgNames[i] : std::string_view("?");
}

bool ArgIdFromName(std::string_view name, ArgId* out) noexcept {
  for (std::size_t i = 0; i < kArgNames.size(); ++i) {
    if (kArgNames[i] == name) {
      *out = static_cast<ArgId>(i);
      return true;
    }
  }
  return false;
}

}  // namespace vigil
