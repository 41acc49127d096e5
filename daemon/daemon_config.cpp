#include "vigil/daemon_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>

#include "vigil/install_paths.h"

namespace vigil {
namespace {

// ---- the schema: one row per key, dotted for nesting ------------------------------------

// Sets the field from `v`; false + *what (e.g. "expected true or false") when `v` is wrong.
using Setter = std::function<bool(const YAML::Node& v, DaemonConfig* cfg, std::string* what)>;

struct KeySpec {
  const char* key;  // "engine.match_mode"; no dot = top level
  Setter set;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Setter Str(std::string DaemonConfig::*m) {
  return [m](const YAML::Node& v, DaemonConfig* c, std::string* what) {
    if (!v.IsScalar()) return *what = "expected a string", false;
    c->*m = v.Scalar();
    return true;
  };
}

Setter Bool(bool DaemonConfig::*m) {
  return [m](const YAML::Node& v, DaemonConfig* c, std::string* what) {
    bool b = false;
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) {
      return *what = "expected true or false", false;
    }
    c->*m = b;
    return true;
  };
}

template <typename T>
Setter Int(T DaemonConfig::*m, long long min, long long max) {
  return [m, min, max](const YAML::Node& v, DaemonConfig* c, std::string* what) {
    long long n = 0;
    if (!v.IsScalar() || !YAML::convert<long long>::decode(v, n)) {
      return *what = "expected an integer", false;
    }
    if (n < min || n > max) {
      return *what = "must be in " + std::to_string(min) + ".." + std::to_string(max), false;
    }
    c->*m = static_cast<T>(n);
    return true;
  };
}

// One of `choices`, compared case-insensitively; stored lower-cased.
Setter Enum(std::string DaemonConfig::*m, std::vector<std::string> choices) {
  return [m, choices](const YAML::Node& v, DaemonConfig* c, std::string* what) {
    std::string list;
    for (const auto& ch : choices) list += (list.empty() ? "" : ", ") + ch;
    if (v.IsScalar()) {
      std::string s = Lower(v.Scalar());
      if (std::find(choices.begin(), choices.end(), s) != choices.end()) {
        c->*m = s == "warning" ? std::string("warn") : s;
        return true;
      }
    }
    return *what = "expected one of: " + list, false;
  };
}

// A list of strings; a single string is a list of one.
Setter List(std::vector<std::string> DaemonConfig::*m) {
  return [m](const YAML::Node& v, DaemonConfig* c, std::string* what) {
    std::vector<std::string> out;
    if (v.IsScalar()) {
      out.push_back(v.Scalar());
    } else if (v.IsSequence()) {
      for (const auto& item : v) {
        if (!item.IsScalar()) return *what = "expected a list of strings", false;
        out.push_back(item.Scalar());
      }
    } else if (!v.IsNull()) {
      return *what = "expected a list of strings", false;
    }
    c->*m = std::move(out);
    return true;
  };
}

Setter RingBufferMb() {
  return [](const YAML::Node& v, DaemonConfig* c, std::string* what) {
    if (!Int(&DaemonConfig::ring_buffer_mb, 1, 1024)(v, c, what)) {
      *what = "expected a power of two in 1..1024";
      return false;
    }
    std::size_t mb = c->ring_buffer_mb;
    if ((mb & (mb - 1)) != 0) return *what = "expected a power of two in 1..1024", false;
    return true;
  };
}

// sensor.event_thread_* live in DaemonConfig::event_thread (event_thread_priority.h).
Setter EventThreadNice() {
  return [](const YAML::Node& v, DaemonConfig* c, std::string* what) {
    long long n = 0;
    if (!v.IsScalar() || !YAML::convert<long long>::decode(v, n)) return *what = "expected an integer", false;
    if (n < -20 || n > 19) return *what = "must be in -20..19", false;
    c->event_thread.nice = static_cast<int>(n);
    return true;
  };
}

Setter EventThreadRealtime() {
  return [](const YAML::Node& v, DaemonConfig* c, std::string* what) {
    bool b = false;
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) return *what = "expected true or false", false;
    c->event_thread.realtime = b;
    return true;
  };
}

// containers.* keys live in DaemonConfig::containers (containers_config.h).
Setter CStr(std::string ContainersConfig::*m) {
  return [m](const YAML::Node& v, DaemonConfig* c, std::string* what) {
    if (!v.IsScalar()) return *what = "expected a string", false;
    c->containers.*m = v.Scalar();
    return true;
  };
}

Setter CBool(bool ContainersConfig::*m) {
  return [m](const YAML::Node& v, DaemonConfig* c, std::string* what) {
    bool b = false;
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) return *what = "expected true or false", false;
    c->containers.*m = b;
    return true;
  };
}

template <typename T>
Setter CInt(T ContainersConfig::*m, long long min, long long max) {
  return [m, min, max](const YAML::Node& v, DaemonConfig* c, std::string* what) {
    long long n = 0;
    if (!v.IsScalar() || !YAML::convert<long long>::decode(v, n)) return *what = "expected an integer", false;
    if (n < min || n > max) {
      return *what = "must be in " + std::to_string(min) + ".." + std::to_string(max), false;
    }
    c->containers.*m = static_cast<T>(n);
    return true;
  };
}

Setter CList(std::vector<std::string> ContainersConfig::*m) {
  return [m](const YAML::Node& v, DaemonConfig* c, std::string* what) {
    DaemonConfig tmp;
    if (!List(&DaemonConfig::rules_files)(v, &tmp, what)) return false;
    c->containers.*m = std::move(tmp.rules_files);
    return true;
  };
}

const std::vector<KeySpec>& Schema() {
  static const std::vector<KeySpec> kSchema = {
      {"rules_files", List(&DaemonConfig::rules_files)},
      {"stats_interval_s", Int(&DaemonConfig::stats_interval_s, 0, 86400)},
      {"refuse_insecure_files", Bool(&DaemonConfig::refuse_insecure_files)},
      {"self_protection", Bool(&DaemonConfig::self_protection)},
      {"engine.match_mode", Enum(&DaemonConfig::match_mode, {"all", "first"})},
      {"engine.hostname", Str(&DaemonConfig::hostname)},
      {"engine.disabled_rules", List(&DaemonConfig::disabled_rules)},
      {"engine.disabled_tags", List(&DaemonConfig::disabled_tags)},
      {"engine.enabled_rules", List(&DaemonConfig::enabled_rules)},
      {"engine.append_output", Str(&DaemonConfig::append_output)},
      {"engine.skip_invalid_rules", Bool(&DaemonConfig::skip_invalid_rules)},
      {"engine.sequence_max_keys", Int(&DaemonConfig::sequence_max_keys, 1, 10000000)},
      {"engine.sequence_max_partials", Int(&DaemonConfig::sequence_max_partials, 1, 1024)},
      {"sensor.ring_buffer_mb", RingBufferMb()},
      {"sensor.capture_send_recv", Bool(&DaemonConfig::capture_send_recv)},
      {"sensor.snapshot", Bool(&DaemonConfig::snapshot)},
      {"sensor.open_prefilter", Bool(&DaemonConfig::open_prefilter)},
      {"sensor.event_thread_nice", EventThreadNice()},
      {"sensor.event_thread_realtime", EventThreadRealtime()},
      {"metrics.enabled", Bool(&DaemonConfig::metrics_enabled)},
      {"metrics.address", Str(&DaemonConfig::metrics_address)},
      {"metrics.port", Int(&DaemonConfig::metrics_port, 0, 65535)},
      {"log.level",
       Enum(&DaemonConfig::log_level, {"trace", "debug", "info", "warn", "warning", "error",
                                       "critical"})},
      {"log.format", Enum(&DaemonConfig::log_format, {"text", "json"})},
      {"containers.enabled", CBool(&ContainersConfig::enabled)},
      {"containers.docker_sockets", CList(&ContainersConfig::docker_sockets)},
      {"containers.podman_socket", CStr(&ContainersConfig::podman_socket)},
      {"containers.podman_storage", CStr(&ContainersConfig::podman_storage)},
      {"containers.containerd_state", CStr(&ContainersConfig::containerd_state)},
      {"containers.cri_sockets", CList(&ContainersConfig::cri_sockets)},
      {"containers.crio_state", CStr(&ContainersConfig::crio_state)},
      {"containers.cgroup_root", CStr(&ContainersConfig::cgroup_root)},
      {"containers.api_timeout_ms", CInt(&ContainersConfig::api_timeout_ms, 1, 60000)},
      {"containers.hold_ms", CInt(&ContainersConfig::hold_ms, 0, 10000)},
      {"containers.workers", CInt(&ContainersConfig::workers, 1, 16)},
      {"containers.max_containers", CInt(&ContainersConfig::max_containers, 1, 1000000)},
      {"containers.max_held_events", CInt(&ContainersConfig::max_held_events, 0, 1000000)},
  };
  return kSchema;
}

// Sections: mappings whose keys are in the schema as "section.key". `outputs` is a section
// parsed by the outputs stage.
bool IsSection(const std::string& name) {
  if (name == "outputs") return true;
  for (const auto& spec : Schema()) {
    std::string k = spec.key;
    if (k.size() > name.size() && k.compare(0, name.size(), name) == 0 && k[name.size()] == '.')
      return true;
  }
  return false;
}

const KeySpec* Find(const std::string& dotted) {
  for (const auto& spec : Schema())
    if (dotted == spec.key) return &spec;
  return nullptr;
}

// Known keys of one section ("" = top level), for "unknown key" messages.
std::string KnownKeys(const std::string& section) {
  std::string out;
  auto add = [&out](const std::string& k) {
    if (out.find(k) == std::string::npos) out += (out.empty() ? "" : ", ") + k;
  };
  for (const auto& spec : Schema()) {
    std::string k = spec.key;
    auto dot = k.find('.');
    if (section.empty()) {
      add(dot == std::string::npos ? k : k.substr(0, dot));
    } else if (dot != std::string::npos && k.substr(0, dot) == section) {
      add(k.substr(dot + 1));
    }
  }
  if (section.empty()) add("outputs");
  return out;
}

std::string Shown(const YAML::Node& v) {
  if (!v || v.IsNull()) return "(nothing)";
  if (v.IsScalar()) return "'" + v.Scalar() + "'";
  if (v.IsSequence()) return "(a list)";
  return "(a mapping)";
}

// ---- loading ------------------------------------------------------------------------------

class Loader {
 public:
  Loader(DaemonConfig* cfg, std::vector<std::string>* errors) : cfg_(cfg), errors_(errors) {}

  void Error(const std::string& key, const YAML::Node& at, const std::string& what) {
    const YAML::Mark m = at.Mark();
    errors_->push_back(cfg_->Where(key, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1) +
                       ": error: " + what);
    ok_ = false;
  }

  bool Apply(const YAML::Node& root) {
    for (const auto& kv : root) {
      if (!kv.first.IsScalar()) {
        Error("", kv.first, "config keys must be plain strings");
        continue;
      }
      const std::string name = kv.first.Scalar();
      if (name == "outputs") {
        if (!kv.second.IsNull() && !kv.second.IsMap()) {
          Error(name, kv.second, "outputs = " + Shown(kv.second) + ": expected a mapping");
        }
        continue;
      }
      if (IsSection(name)) {
        if (kv.second.IsNull()) continue;  // "engine:" with nothing under it
        if (!kv.second.IsMap()) {
          Error(name, kv.second, name + " = " + Shown(kv.second) + ": expected a mapping");
          continue;
        }
        for (const auto& inner : kv.second) {
          const std::string key = name + "." + (inner.first.IsScalar() ? inner.first.Scalar() : "?");
          Set(key, name, inner.first, inner.second);
        }
        continue;
      }
      Set(name, "", kv.first, kv.second);
    }
    return ok_;
  }

 private:
  void Set(const std::string& key, const std::string& section, const YAML::Node& key_node,
           const YAML::Node& value) {
    const KeySpec* spec = Find(key);
    if (!spec) {
      Error(key, key_node,
            "unknown config key '" + key + "' (known" + (section.empty() ? "" : " in " + section) +
                ": " + KnownKeys(section) + ")");
      return;
    }
    std::string what;
    if (!spec->set(value, cfg_, &what)) {
      Error(key, value, key + " = " + Shown(value) + ": " + what);
    }
  }

  DaemonConfig* cfg_;
  std::vector<std::string>* errors_;
  bool ok_ = true;
};

// Applies "a.b.c=value" onto root, creating maps on the way; records the key in
// cfg->overridden.
bool ApplyOverride(YAML::Node root, const std::string& kv, DaemonConfig* cfg,
                   std::vector<std::string>* errors) {
  auto eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) {
    errors->push_back("-o " + kv + ": error: expected key=value (e.g. -o log.level=debug)");
    return false;
  }
  std::string key = kv.substr(0, eq);
  std::string value = kv.substr(eq + 1);
  YAML::Node parsed;
  try {
    parsed = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    errors->push_back("-o " + kv + ": error: " + key + " = '" + value +
                      "': not valid YAML: " + e.msg);
    return false;
  }
  if (!parsed || parsed.IsNull()) parsed = YAML::Node(value);
  std::vector<std::string> parts;
  std::stringstream ss(key);
  for (std::string p; std::getline(ss, p, '.');) parts.push_back(p);
  if (parts.empty() || std::find(parts.begin(), parts.end(), "") != parts.end()) {
    errors->push_back("-o " + kv + ": error: '" + key + "' is not a dotted key (e.g. engine.match_mode)");
    return false;
  }
  // yaml-cpp nodes are handles: walk with reset() copies to avoid aliasing assignment.
  std::vector<YAML::Node> chain{root};
  std::string walked;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    walked += (walked.empty() ? "" : ".") + parts[i];
    YAML::Node next = chain.back()[parts[i]];
    if (next && !next.IsNull() && !next.IsMap()) {
      errors->push_back("-o " + kv + ": error: " + walked + " = " + Shown(next) +
                        " is not a mapping, so " + key + " cannot be set");
      return false;
    }
    if (!next || next.IsNull()) {
      chain.back()[parts[i]] = YAML::Node(YAML::NodeType::Map);
      next = chain.back()[parts[i]];
    }
    chain.push_back(next);
  }
  chain.back()[parts.back()] = parsed;
  cfg->overridden[key] = "-o " + kv;
  return true;
}

}  // namespace

std::string DaemonConfig::Where(const std::string& dotted_key, int line, int col) const {
  // The override that set this key, or a mapping above it, or a key below it.
  for (const auto& [key, arg] : overridden) {
    const auto& a = key.size() <= dotted_key.size() ? key : dotted_key;
    const auto& b = key.size() <= dotted_key.size() ? dotted_key : key;
    if (!a.empty() && b.compare(0, a.size(), a) == 0 && (b.size() == a.size() || b[a.size()] == '.'))
      return arg;
  }
  std::ostringstream os;
  os << (source.empty() ? "<config>" : source);
  if (line > 0) os << ":" << line << ":" << col;
  return os.str();
}

std::string PositionOutputsError(const DaemonConfig& cfg, const std::string& e) {
  static const std::regex kPositioned(R"(^(\d+):(\d+): ([^: ]+): (.*)$)");
  static const std::regex kKeyed(R"(^([^: ]+): (.*)$)");
  std::smatch m;
  if (std::regex_match(e, m, kPositioned)) {
    return cfg.Where(m[3], std::stoi(m[1]), std::stoi(m[2])) + ": error: " + m[3].str() + ": " +
           m[4].str();
  }
  if (std::regex_match(e, m, kKeyed)) {
    return cfg.Where(m[1], 0, 0) + ": error: " + m[1].str() + ": " + m[2].str();
  }
  return cfg.Where("outputs", 0, 0) + ": error: " + e;
}

std::string DefaultRulesDir() {
  if (const char* env = std::getenv("VIGIL_RULES_DIR"); env && *env) return env;
  if (RunningFromBuildTree()) return SourceRulesDir();
  return InstalledConfigDir() + "/rules.d";
}

namespace {

// The entry itself: owned by root, not writable by group/other (lstat: a symlink is judged
// as the link; its target is checked through the resolved path).
std::string CheckEntry(const std::string& p, bool follow) {
  struct stat st {};
  if ((follow ? stat(p.c_str(), &st) : lstat(p.c_str(), &st)) != 0) return p + ": cannot stat";
  if (st.st_uid != 0) return p + " is not owned by root";
  if (S_ISLNK(st.st_mode)) return "";
  if (st.st_mode & (S_IWGRP | S_IWOTH)) return p + " is writable by group or others";
  return "";
}

// Every directory from the parent of `p` up to /: owned by root, and not writable by
// group/other unless sticky (then nobody else can rename or delete root's entry in it).
std::string CheckParents(const std::filesystem::path& p) {
  for (auto dir = p.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0) return dir.string() + ": cannot stat";
    if (st.st_uid != 0) return "directory " + dir.string() + " is not owned by root";
    if (S_ISDIR(st.st_mode) && (st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX))
      return "directory " + dir.string() + " is writable by group or others (and not sticky)";
    if (dir == dir.root_path()) break;
  }
  return "";
}

}  // namespace

std::string CheckFileNotWritableByOthers(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path written = std::filesystem::absolute(path, ec).lexically_normal();
  const std::filesystem::path resolved = std::filesystem::canonical(path, ec);
  if (ec) return path + ": cannot resolve (" + ec.message() + ")";
  for (const auto& p : {written, resolved}) {
    std::string r = CheckEntry(p.string(), false);
    if (r.empty()) r = CheckParents(p);
    if (!r.empty()) return r;
  }
  if (std::filesystem::is_directory(resolved, ec)) {
    for (const auto& e : std::filesystem::directory_iterator(resolved, ec)) {
      if (e.path().extension() != ".yaml" && e.path().extension() != ".yml") continue;
      std::string r = CheckEntry(e.path().string(), true);
      if (r.empty()) r = CheckEntry(e.path().string(), false);
      if (!r.empty()) return r;
    }
  }
  return "";
}

namespace {
bool LoadDaemonConfigUnchecked(const std::string& path, const std::vector<std::string>& overrides,
                               DaemonConfig* out, std::vector<std::string>* errors);

std::string Pos(const std::string& file, const YAML::Mark& m) {
  std::ostringstream os;
  os << (file.empty() ? "<config>" : file) << ":" << (m.line + 1) << ":" << (m.column + 1);
  return os.str();
}
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
      errors->push_back(path + ": error: cannot read config file");
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
  for (const auto& o : overrides) ok &= ApplyOverride(root, o, &cfg, errors);
  if (!ok) return false;

  Loader loader(&cfg, errors);
  ok = loader.Apply(root);
  if (cfg.rules_files.empty()) cfg.rules_files = {DefaultRulesDir()};
  // Not cloned: a clone loses the nodes' positions, which outputs errors need.
  YAML::Node outputs = root["outputs"];
  cfg.outputs = outputs && outputs.IsMap() ? outputs : YAML::Node(YAML::NodeType::Map);
  if (!ok) return false;
  *out = std::move(cfg);
  return true;
}
}  // namespace

}  // namespace vigil
