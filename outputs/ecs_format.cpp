#include "vigil/ecs_format.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "vigil/alert_time.h"
#include "vigil/falco_json_format.h"
#include "vigil/safe_text.h"

namespace vigil {
namespace {

const AlertField* FindField(const Alert& alert, std::string_view name) {
  for (const AlertField& f : alert.output_fields) {
    if (f.name == name && f.kind != AlertField::Kind::kNull) return &f;
  }
  return nullptr;
}

// Sets obj[path...] = value of the first present field among `names`. Returns true if set.
bool MapField(const Alert& alert, std::initializer_list<std::string_view> names,
              nlohmann::json* obj, const nlohmann::json::json_pointer& path) {
  for (std::string_view name : names) {
    if (const AlertField* f = FindField(alert, name)) {
      (*obj)[path] = AlertFieldToJson(*f);
      return true;
    }
  }
  return false;
}

std::string FieldAsString(const AlertField& f) {
  switch (f.kind) {
    case AlertField::Kind::kString: return SanitizeUtf8(f.str);
    case AlertField::Kind::kInt: return std::to_string(f.i);
    case AlertField::Kind::kUint: return std::to_string(f.u);
    case AlertField::Kind::kBool: return f.b ? "true" : "false";
    case AlertField::Kind::kNull: break;
  }
  return {};
}

// ECS wants ids as keywords: integers are rendered as strings there.
bool MapFieldAsString(const Alert& alert, std::string_view name, nlohmann::json* obj,
                      const nlohmann::json::json_pointer& path) {
  const AlertField* f = FindField(alert, name);
  if (f == nullptr) return false;
  (*obj)[path] = FieldAsString(*f);
  return true;
}

bool IsFileFd(const Alert& alert) {
  if (const AlertField* t = FindField(alert, "fd.typechar")) return t->str == "f";
  if (const AlertField* t = FindField(alert, "fd.type")) return t->str == "file";
  // Without a type, fd.name is a path unless the event carries a socket tuple.
  return FindField(alert, "fd.sip") == nullptr && FindField(alert, "fd.cip") == nullptr &&
         FindField(alert, "fd.rip") == nullptr;
}

bool HasTag(const Alert& alert, std::string_view tag) {
  return std::find(alert.tags.begin(), alert.tags.end(), tag) != alert.tags.end();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string LabelKey(std::string_view field_name) {
  std::string key = SanitizeUtf8(field_name);
  std::replace(key.begin(), key.end(), '.', '_');
  return key;
}

using Ptr = nlohmann::json::json_pointer;

}  // namespace

nlohmann::json EcsJsonObject(const Alert& alert) {
  nlohmann::json doc = nlohmann::json::object();
  doc["@timestamp"] = FormatIso8601Nanos(alert.ts_ns);
  doc["message"] = SanitizeUtf8(alert.output);
  doc["ecs"] = {{"version", "8.11.0"}};
  doc["rule"] = {{"name", SanitizeUtf8(alert.rule)}};
  doc["log"] = {{"level", Lower(PriorityName(alert.priority))}};
  doc["host"] = {{"hostname", SanitizeUtf8(alert.hostname)}, {"name", SanitizeUtf8(alert.hostname)}};

  bool has_process = false;
  has_process |= MapField(alert, {"proc.name"}, &doc, Ptr("/process/name"));
  has_process |= MapField(alert, {"proc.exepath", "proc.exe"}, &doc, Ptr("/process/executable"));
  has_process |= MapField(alert, {"proc.cmdline"}, &doc, Ptr("/process/command_line"));
  has_process |= MapField(alert, {"proc.pid"}, &doc, Ptr("/process/pid"));
  has_process |= MapField(alert, {"proc.cwd"}, &doc, Ptr("/process/working_directory"));
  has_process |= MapField(alert, {"proc.ppid"}, &doc, Ptr("/process/parent/pid"));
  has_process |= MapField(alert, {"proc.pname"}, &doc, Ptr("/process/parent/name"));
  has_process |= MapField(alert, {"proc.pcmdline"}, &doc, Ptr("/process/parent/command_line"));

  MapField(alert, {"user.name"}, &doc, Ptr("/user/name"));
  MapFieldAsString(alert, "user.uid", &doc, Ptr("/user/id"));
  MapField(alert, {"group.name"}, &doc, Ptr("/group/name"));
  MapFieldAsString(alert, "group.gid", &doc, Ptr("/group/id"));

  bool has_file = MapField(alert, {"fs.path.name"}, &doc, Ptr("/file/path"));
  if (!has_file && IsFileFd(alert)) has_file = MapField(alert, {"fd.name"}, &doc, Ptr("/file/path"));
  if (has_file) MapField(alert, {"fs.path.target"}, &doc, Ptr("/file/target_path"));

  bool has_network = false;
  has_network |= MapField(alert, {"fd.cip"}, &doc, Ptr("/source/ip"));
  has_network |= MapField(alert, {"fd.cport"}, &doc, Ptr("/source/port"));
  has_network |= MapField(alert, {"fd.sip"}, &doc, Ptr("/destination/ip"));
  has_network |= MapField(alert, {"fd.sport"}, &doc, Ptr("/destination/port"));
  if (MapField(alert, {"fd.l4proto"}, &doc, Ptr("/network/transport"))) has_network = true;

  MapField(alert, {"container.id"}, &doc, Ptr("/container/id"));
  MapField(alert, {"container.name"}, &doc, Ptr("/container/name"));
  MapField(alert, {"container.image.repository"}, &doc, Ptr("/container/image/name"));
  MapField(alert, {"container.image.tag"}, &doc, Ptr("/container/image/tag"));
  if (doc.contains("container") && doc["container"].value("id", "") == "host") doc.erase("container");

  nlohmann::json categories = nlohmann::json::array();
  if (has_process || HasTag(alert, "process")) categories.push_back("process");
  if (has_file || HasTag(alert, "filesystem")) categories.push_back("file");
  if (has_network || HasTag(alert, "network")) categories.push_back("network");
  if (categories.empty()) categories.push_back("intrusion_detection");

  doc["event"] = {
      {"kind", "alert"},
      {"category", std::move(categories)},
      {"type", nlohmann::json::array({"info"})},
      // Falco/syslog numbering: 0 = Emergency .. 7 = Debug.
      {"severity", static_cast<int>(alert.priority)},
      {"module", "vigil"},
      {"provider", SanitizeUtf8(alert.source)},
      {"dataset", "vigil.alerts"},
      {"created", FormatIso8601Nanos(alert.ts_ns)},
  };
  if (alert.suppressed > 0) doc["event"]["count"] = alert.suppressed + 1;
  if (alert.has_uuid()) doc["event"]["id"] = std::string(alert.uuid.data(), alert.uuid.size());

  nlohmann::json tags = nlohmann::json::array();
  for (const std::string& t : alert.tags) tags.push_back(SanitizeUtf8(t));
  doc["tags"] = std::move(tags);

  nlohmann::json labels = nlohmann::json::object();
  for (const AlertField& f : alert.output_fields) {
    if (f.kind == AlertField::Kind::kNull) continue;
    labels[LabelKey(f.name)] = FieldAsString(f);
  }
  if (alert.suppressed > 0) labels["vigil_suppressed"] = std::to_string(alert.suppressed);
  labels["priority"] = std::string(PriorityName(alert.priority));
  doc["labels"] = std::move(labels);
  return doc;
}

std::string FormatEcsJson(const Alert& alert) {
  return EcsJsonObject(alert).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace vigil
