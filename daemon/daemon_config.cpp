#include "vigil/daemon_config.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "vigil_config.h"

namespace vigil {
namespace {

std::string Pos(const std::string& file, const YAML::Mark& m) {
  std::ostringstream os;
  os << (file.empty() ? "<config>" : file) << ":" << (m.line + 1) << ":" << (m.column + 1);
  return os.str();
}

template <typename T>
bool Read(const YAML::Node& n, const char* key, T* out, const std::string& file,
          std::vector<std::string>* errors) {
  YAML::Node v = n[key];
  if (!v) return true;
  try {
    *out = v.as<T>();
    return true;
  } catch (const YAML::Exception&) {
    errors->push_back(Pos(file, v.Mark()) + ": error: '" + key + "' has the wrong type");
    return false;
  }
}

bool ReadList(const YAML::Node& n, const char* key, std::vector<std::string>* out,
              const std::string& file, std::vector<std::string>* errors) {
  YAML::Node v = n[key];
  if (!v) return true;
  if (v.IsScalar()) {
    *out = {v.as<std::string>()};
    return true;
  }
  if (!v.IsSequence()) {
    errors->push_back(Pos(file, v.Mark()) + ": error: '" + key + "' must be a list of strings");
    return false;
  }
  out->clear();
  for (const auto& item : v) {
    if (!item.IsScalar()) {
      errors->push_back(Pos(file, item.Mark()) + ": error: '" + key + "' items must be strings");
      return false;
    }
    out->push_back(item.as<std::string>());
  }
  return true;
}

bool CheckMap(const YAML::Node& n, const char* key, const std::string& file,
              std::vector<std::string>* errors) {
  if (n && !n.IsMap()) {
    errors->push_back(Pos(file, n.Mark()) + ": error: '" + key + "' must be a mapping");
    return false;
  }
  return true;
}

// Applies "a.b.c=value" onto root, creating maps on the way.
bool ApplyOverride(YAML::Node root, const std::string& kv, std::vector<std::string>* errors) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) {
    errors->push_back("-o " + kv + ": error: expected key=value");
    return false;
  }
  std::string key = kv.substr(0, eq);
  std::string value = kv.substr(eq + 1);
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    errors->push_back("-o " + kv + ": error: value is not valid YAML: " + e.msg);
    return false;
  }
  if (!parsed || parsed.IsNull()) parsed = YAML::Node(value);
  std::vector<std::string> parts;
  std::stringstream ss(key);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  // yaml-cpp nodes are handles: walk with reset() copies to avoid aliasing assignment.
  std::vector<YAML::Node> chain{root};
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (next && !next.IsMap()) {
      errors->push_back("-o " + kv + ": error: '" + parts[i] + "' is not a mapping");
      return false;
    }
    if (!next) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    }
    chain.push_back(next);
  }
  chain.back()[parts.back()] = parsed;
  return true;
}

}  // namespace

std::string DefaultRulesDir() {
  if (const char* env = std::getenv("VIGIL_RULES_DIR"); env && *env) return env;
  std::error_code ec;
  if (std::filesystem::is_directory("/etc/vigil/rules.d", ec)) return "/etc/vigil/rules.d";
  return VIGIL_DEFAULT_RULES_DIR;
}

std::string CheckFileNotWritableByOthers(const std::string& path) {
  auto check_one = [](const std::string& p) -> std::string {
    struct stat st {};
    if (stat(p.c_str(), &st) != 0) return p + ": cannot stat";
    if (st.st_uid != 0) return p + " is not owned by root";
    if (st.st_mode & (S_IWGRP | S_IWOTH)) return p + " is writable by group or others";
    return "";
  };
  std::string r = check_one(path);
  if (!r.empty()) return r;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
      if (e.path().extension() != ".yaml" && e.path().extension() != ".yml") continue;
      r = check_one(e.path().string());
      if (!r.empty()) return r;
    }
  }
  return "";
}

namespace {
bool LoadDaemonConfigUnchecked(const std::string& path, const std::vector<std::string>& overrides,
                               DaemonConfig* out, std::vector<std::string>* errors);
}  // namespace

bool LoadDaemonConfig(const std::string& path, const std::vector<std::string>& overrides,
                      DaemonConfig* out, std::vector<std::string>* errors) {
  try {
    return LoadDaemonConfigUnchecked(path, overrides, out, errors);
  } catch (const YAML::Exception& e) {
    errors->push_back(Pos(path, e.mark) + ": error: " + e.msg);
    return false;
  }
}

namespace {
bool LoadDaemonConfigUnchecked(const std::string& path, const std::vector<std::string>& overrides,
                               DaemonConfig* out, std::vector<std::string>* errors) {
  DaemonConfig cfg;
  cfg.source = path;
  YAML::Node root(YAML::NodeType::Map);
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) {
      errors->push_back(path + ":1:1: error: cannot read config file");
      return false;
    }
    try {
      root = YAML::Load(in);
    } catch (const YAML::ParserException& e) {
      errors->push_back(Pos(path, e.mark) + ": error: " + e.msg);
      return false;
    }
    if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
    if (!root.IsMap()) {
      errors->push_back(Pos(path, root.Mark()) + ": error: the config must be a mapping");
      return false;
    }
  }
  bool ok = true;
  for (const auto& o : overrides) ok &= ApplyOverride(root, o, errors);
  if (!ok) return false;

  const std::string& f = path;
  ok &= ReadList(root, "rules_files", &cfg.rules_files, f, errors);
  if (cfg.rules_files.empty()) cfg.rules_files = {DefaultRulesDir()};

  YAML::Node engine = root["engine"];
  ok &= CheckMap(engine, "engine", f, errors);
  if (engine && engine.IsMap()) {
    ok &= Read(engine, "match_mode", &cfg.match_mode, f, errors);
    ok &= Read(engine, "hostname", &cfg.hostname, f, errors);
    ok &= ReadList(engine, "disabled_rules", &cfg.disabled_rules, f, errors);
    ok &= ReadList(engine, "disabled_tags", &cfg.disabled_tags, f, errors);
    ok &= ReadList(engine, "enabled_rules", &cfg.enabled_rules, f, errors);
    ok &= Read(engine, "append_output", &cfg.append_output, f, errors);
    if (cfg.match_mode != "all" && cfg.match_mode != "first") {
      errors->push_back(Pos(f, engine["match_mode"].Mark()) +
                        ": error: engine.match_mode must be 'all' or 'first'");
      ok = false;
    }
  }
  YAML::Node sensor = root["sensor"];
  ok &= CheckMap(sensor, "sensor", f, errors);
  if (sensor && sensor.IsMap()) {
    ok &= Read(sensor, "ring_buffer_mb", &cfg.ring_buffer_mb, f, errors);
    ok &= Read(sensor, "capture_send_recv", &cfg.capture_send_recv, f, errors);
    ok &= Read(sensor, "snapshot", &cfg.snapshot, f, errors);
    ok &= Read(sensor, "open_prefilter", &cfg.open_prefilter, f, errors);
    std::size_t mb = cfg.ring_buffer_mb;
    if (mb == 0 || (mb & (mb - 1)) != 0 || mb > 1024) {
      errors->push_back(Pos(f, sensor["ring_buffer_mb"].Mark()) +
                        ": error: sensor.ring_buffer_mb must be a power of two in 1..1024");
      ok = false;
    }
  }
  ok &= Read(root, "stats_interval_s", &cfg.stats_interval_s, f, errors);
  ok &= Read(root, "refuse_insecure_files", &cfg.refuse_insecure_files, f, errors);
  ok &= Read(root, "self_protection", &cfg.self_protection, f, errors);
  YAML::Node metrics = root["metrics"];
  ok &= CheckMap(metrics, "metrics", f, errors);
  if (metrics && metrics.IsMap()) {
    ok &= Read(metrics, "enabled", &cfg.metrics_enabled, f, errors);
    ok &= Read(metrics, "address", &cfg.metrics_address, f, errors);
    ok &= Read(metrics, "port", &cfg.metrics_port, f, errors);
  }
  YAML::Node log = root["log"];
  ok &= CheckMap(log, "log", f, errors);
  if (log && log.IsMap()) {
    ok &= Read(log, "level", &cfg.log_level, f, errors);
    ok &= Read(log, "format", &cfg.log_format, f, errors);
    if (cfg.log_format != "text" && cfg.log_format != "json") {
      errors->push_back(Pos(f, log["format"].Mark()) + ": error: log.format must be text or json");
      ok = false;
    }
  }
  YAML::Node outputs = root["outputs"];
  ok &= CheckMap(outputs, "outputs", f, errors);
  cfg.outputs = outputs ? YAML::Clone(outputs) : YAML::Node(YAML::NodeType::Map);

  static const char* kKnown[] = {"rules_files", "engine", "sensor", "stats_interval_s",
                                 "metrics", "log", "outputs", "refuse_insecure_files",
                                 "self_protection"};
  for (const auto& kv : root) {
    if (!kv.first.IsScalar()) {
      errors->push_back(Pos(f, kv.first.Mark()) + ": error: config keys must be plain strings");
      ok = false;
      continue;
    }
    std::string k = kv.first.Scalar();
    bool known = false;
    for (const char* name : kKnown) known |= (k == name);
    if (!known) {
      errors->push_back(Pos(f, kv.first.Mark()) + ": error: unknown config key '" + k + "'");
      ok = false;
    }
  }
  if (!ok) return false;
  *out = std::move(cfg);
  return true;
}
}  // namespace

}  // namespace vigil
