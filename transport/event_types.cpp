#include "vigil/event_types.h"

#include <array>

namespace vigil {
namespace {
constexpr std::array<std::string_view, kEventTypeCount> kNames = {
#define VIGIL_X_NAME(e, n) std::string_view(n),
    VIGIL_EVENT_TYPES(VIGIL_X_NAME)
#undef VIGIL_X_NAME
};
}  // namespace

std::string_view EventTypeName(EventType t) noexcept {
  auto i = static_cast<std::size_t>(t);
  return i < kNames.size() ? kNames[i] : kNames[0];
}

std::optional<EventType> EventTypeFromName(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<EventType>(i);
  }
  return std::nullopt;
}

}  // namespace vigil
