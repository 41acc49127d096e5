#include "vigil/falco_json_format.h"

#include "vigil/alert_time.h"
#include "vigil/safe_text.h"

namespace vigil {

nlohmann::json AlertFieldToJson(const AlertField& field) {
  switch (field.kind) {
    case AlertField::Kind::kString: return SanitizeUtf8(field.str);
    case AlertField::Kind::kInt: return field.i;
    case AlertField::Kind::kUint: return field.u;
    case AlertField::Kind::kBool: return field.b;
    case AlertField::Kind::kNull: break;
  }
  return nullptr;
}

std::string FalcoOutputLine(const Alert& alert) {
  std::string line = FormatClockNanos(alert.ts_ns);
  line.append(": ");
  line.append(PriorityName(alert.priority));
  line.push_back(' ');
  line.append(alert.output);
  return line;
}

nlohmann::json FalcoJsonObject(const Alert& alert) {
  nlohmann::json fields = nlohmann::json::object();
  for (const AlertField& f : alert.output_fields) fields[SanitizeUtf8(f.name)] = AlertFieldToJson(f);
  if (alert.suppressed > 0) fields["vigil.suppressed"] = alert.suppressed;
  nlohmann::json tags = nlohmann::json::array();
  for (const std::string& t : alert.tags) tags.push_back(SanitizeUtf8(t));
  nlohmann::json object{
      {"hostname", SanitizeUtf8(alert.hostname)},
      {"output", SanitizeUtf8(FalcoOutputLine(alert))},
      {"output_fields", std::move(fields)},
      {"priority", std::string(PriorityName(alert.priority))},
      {"rule", SanitizeUtf8(alert.rule)},
      {"source", SanitizeUtf8(alert.source)},
      {"tags", std::move(tags)},
      {"time", FormatIso8601Nanos(alert.ts_ns)},
  };
  // Falcosidekick's payload field for the idempotency key.
  if (alert.has_uuid()) object["uuid"] = std::string(alert.uuid.data(), alert.uuid.size());
  return object;
}

std::string FormatFalcoJson(const Alert& alert) {
  // Strings are already valid UTF-8; `replace` is a second line of defence. The
  // serializer escapes every control character, so the record is always one line.
  return FalcoJsonObject(alert).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace vigil
