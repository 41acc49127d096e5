// daemon_config.h — the daemon's configuration (vigil.yaml) and its `-o key=value`
// overrides. Cold path: parsed at start-up and on SIGHUP; errors carry file:line:col.
// Not thread safe; the daemon owns one instance and swaps it whole on reload.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "vigil/containers_config.h"
#include "vigil/event_thread_priority.h"

namespace vigil {

struct DaemonConfig {
  std::string source;                     // file the config came from ("" = defaults)
  std::vector<std::string> rules_files;   // files or directories of *.yaml
  // engine
  std::string match_mode = "all";         // all | first
  std::string hostname;                   // "" = gethostname()
  std::vector<std::string> disabled_rules, disabled_tags, enabled_rules;
  std::string append_output;              // appended to every rule's output (Falco's append_output)
  bool skip_invalid_rules = false;        // start/reload with the good rules when some are bad
  std::size_t sequence_max_keys = 10000;  // live keys per sequence rule (LRU eviction, counted)
  std::size_t sequence_max_partials = 8;  // partial matches per key and sequence
  // sensor
  std::size_t ring_buffer_mb = 16;
  bool capture_send_recv = false;
  bool snapshot = true;
  bool open_prefilter = true;             // drop, in the kernel, opens no rule can match
  EventThreadPriority event_thread;       // sensor.event_thread_nice / _realtime
  // observability
  int stats_interval_s = 0;               // 0 = off
  bool metrics_enabled = true;
  std::string metrics_address = "127.0.0.1";
  uint16_t metrics_port = 8765;
  std::string log_level = "info";         // trace debug info warn error critical (lower-cased)
  std::string log_format = "text";        // text | json (journald-friendly: one JSON per line)
  // checks
  bool refuse_insecure_files = true;      // refuse config/rules writable by non-root
  bool self_protection = true;            // built-in tamper-detection rules (self_protection.h)
  // containers: runtime metadata (docs/containers.md)
  ContainersConfig containers;
  // outputs: handed whole to the outputs stage's parser (nodes keep their file positions)
  YAML::Node outputs;
  // Dotted keys set by `-o` and the argument that set them ("outputs.file.path" ->
  // "-o outputs.file.path=/x"), so errors about them name the argument, not a position.
  std::map<std::string, std::string> overridden;

  // Where to point an error about `dotted_key` found at 1-based line:col of `source`:
  // "-o key=value" when an override set it (or a parent of it), else "file:line:col".
  std::string Where(const std::string& dotted_key, int line, int col) const;
};

// Loads `path` (empty = built-in defaults) then applies overrides ("a.b.c=value", value
// parsed as YAML so lists work: rules_files=[a.yaml,b.yaml]). Every key is checked against
// one schema table (daemon_config.cpp); unknown keys and wrong types are errors. On failure
// returns false and appends "file:line:col: error: key = value: what" lines (or
// "-o key=value: error: ...") to *errors.
bool LoadDaemonConfig(const std::string& path, const std::vector<std::string>& overrides,
                      DaemonConfig* out, std::vector<std::string>* errors);

// Turns an error of the outputs stage's parser ("line:col: outputs.key: what") into
// "file:line:col: error: outputs.key: what", or "-o outputs.key=...: error: ..." when an
// override set that key.
std::string PositionOutputsError(const DaemonConfig& cfg, const std::string& error);

// The default rules location: $VIGIL_RULES_DIR, else the source tree's rules/ for a binary
// run from its build tree, else the installed <sysconfdir>/vigil/rules.d (install_paths.h).
std::string DefaultRulesDir();

// Returns "" when `path` (file or directory, and every *.yaml inside) is owned by root and
// not writable by group/other, and so is every directory above it up to / (sshd StrictModes);
// a group/other-writable directory passes only with the sticky bit (others cannot rename or
// remove root's entries in it, e.g. /tmp). Symlinks are checked both as written and resolved.
// Otherwise a one-line reason.
std::string CheckFileNotWritableByOthers(const std::string& path);

}  // namespace vigil
