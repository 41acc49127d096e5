// output_format.h — the alert output formats (Falco JSON, ECS JSON, text) and their names.
// Owner: outputs stage. Pure functions, thread safe. Called on sink worker threads, not on
// the event path. Every format is one line: control characters and invalid UTF-8 in any
// field are escaped, so a field can never start a new line (no log injection).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "vigil/alert.h"

namespace vigil {

enum class OutputFormat : uint8_t {
  kJson,  // Falco-compatible JSON (see falco_json_format.h)
  kEcs,   // Elastic Common Schema JSON (see ecs_format.h)
  kText,  // Falco's text line "HH:MM:SS.nnnnnnnnn: Priority output" (see text_format.h)
};

// "json", "ecs", "text" (case-insensitive).
std::optional<OutputFormat> ParseOutputFormat(std::string_view name) noexcept;
std::string_view OutputFormatName(OutputFormat format) noexcept;

// Renders `alert` in `format` into `*out` (replaced, no trailing newline).
void FormatAlert(const Alert& alert, OutputFormat format, std::string* out);

// True for formats whose records are JSON objects (they can be batched into an array).
constexpr bool IsJsonFormat(OutputFormat format) noexcept { return format != OutputFormat::kText; }

}  // namespace vigil
