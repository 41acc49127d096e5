// outputs_config.h — the `outputs:` section of vigil's YAML configuration and its parser.
// Owner: the daemon reads it at start-up (cold path). Parse errors carry line:col
// (1-based). See docs/outputs.md for every key and its default.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "vigil/file_sink.h"
#include "vigil/http_sink.h"
#include "vigil/output_format.h"
#include "vigil/priority.h"
#include "vigil/program_sink.h"
#include "vigil/rate_limiter.h"
#include "vigil/syslog_sink.h"
#include "vigil/unix_socket_sink.h"

namespace vigil {

// Keys every sink section accepts.
struct SinkCommonConfig {
  bool enabled = false;
  OutputFormat format = OutputFormat::kJson;
  std::optional<Priority> min_priority;  // unset: every alert the manager lets through
  std::size_t queue_capacity = 0;        // 0: the global outputs.queue_capacity
};

struct StdoutSinkConfig : SinkCommonConfig {
  StdoutSinkConfig() { enabled = true; }
};
struct FileSinkConfig : SinkCommonConfig {
  FileSinkOptions options;
};
struct SyslogSinkConfig : SinkCommonConfig {
  SyslogSinkOptions options;
};
struct HttpSinkConfig : SinkCommonConfig {
  HttpSinkOptions options;
};
struct ProgramSinkConfig : SinkCommonConfig {
  ProgramSinkOptions options;
};
struct UnixSocketSinkConfig : SinkCommonConfig {
  UnixSocketSinkOptions options;
};

struct OutputsConfig {
  Priority min_priority = Priority::kDebug;
  std::size_t queue_capacity = 10000;
  RateLimitConfig rate_limit;
  StdoutSinkConfig stdout_sink;
  FileSinkConfig file;
  SyslogSinkConfig syslog;
  HttpSinkConfig http;
  ProgramSinkConfig program;
  UnixSocketSinkConfig unix_socket;
};

// Fills *config from the `outputs:` node (keys left out keep their defaults). Every
// problem is appended to *errors as "line:col: outputs.key: what" (1-based) and parsing
// goes on, so one run reports every mistake; returns true when there was none. Unknown
// keys are errors (they are usually typos).
// An undefined/null node leaves the defaults and succeeds.
bool ParseOutputsConfig(const YAML::Node& outputs_section, OutputsConfig* config,
                        std::vector<std::string>* errors);

}  // namespace vigil
