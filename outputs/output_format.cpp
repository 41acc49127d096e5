#include "vigil/output_format.h"

#include <strings.h>

#include "vigil/ecs_format.h"
#include "vigil/falco_json_format.h"
#include "vigil/text_format.h"

namespace vigil {
namespace {

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::optional<OutputFormat> ParseOutputFormat(std::string_view name) noexcept {
  if (IEquals(name, "json")) return OutputFormat::kJson;
  if (IEquals(name, "ecs")) return OutputFormat::kEcs;
  if (IEquals(name, "text")) return OutputFormat::kText;
  return std::nullopt;
}

std::string_view OutputFormatName(OutputFormat format) noexcept {
  switch (format) {
    case OutputFormat::kJson: return "json";
    case OutputFormat::kEcs: return "ecs";
    case OutputFormat::kText: return "text";
  }
  return "json";
}

void FormatAlert(const Alert& alert, OutputFormat format, std::string* out) {
  switch (format) {
    case OutputFormat::kJson: *out = FormatFalcoJson(alert); return;
    case OutputFormat::kEcs: *out = FormatEcsJson(alert); return;
    case OutputFormat::kText: *out = FormatText(alert); return;
  }
}

}  // namespace vigil
