// priority.h — Falco rule priorities (EMERGENCY..DEBUG) and their names.
// Pure functions, hot-path safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vigil {

// Lower value = more severe, as syslog severities.
enum class Priority : uint8_t {
  kEmergency = 0, kAlert = 1, kCritical = 2, kError = 3,
  kWarning = 4, kNotice = 5, kInformational = 6, kDebug = 7
};

// Canonical Falco name: "Emergency", "Alert", "Critical", "Error", "Warning", "Notice",
// "Informational", "Debug".
std::string_view PriorityName(Priority p) noexcept;
// Case-insensitive; accepts Falco's aliases ("INFO", "WARN"...).
std::optional<Priority> ParsePriority(std::string_view s) noexcept;

}  // namespace vigil
