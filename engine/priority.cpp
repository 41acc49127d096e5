#include "vigil/priority.h"

#include <array>
#include <cctype>
#include <string>

namespace vigil {
namespace {
constexpr std::array<std::string_view, 8> kNames = {
    "Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"};

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}
}  // namespace

std::string_view PriorityName(Priority p) noexcept {
  auto i = static_cast<std::size_t>(p);
  return i < kNames.size() ? kNames[i] : kNames[4];
}

std::optional<Priority> ParsePriority(std::string_view s) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (IEquals(s, kNames[i])) return static_cast<Priority>(i);
  }
  if (IEquals(s, "info")) return Priority::kInformational;
  if (IEquals(s, "warn")) return Priority::kWarning;
  if (IEquals(s, "crit")) return Priority::kCritical;
  if (IEquals(s, "err")) return Priority::kError;
  if (IEquals(s, "emerg")) return Priority::kEmergency;
  return std::nullopt;
}

}  // namespace vigil
