// outputs_config.h — the `outputs:` section of vigil's YAML configuration and its parser.
// Owner: the daemon reads it at start-up (cold path). Parse errors carry line:col
// (1-based). See docs/outputs.md for every key and its default.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "vigil/file_sink.h"
#include "vigil/http_sink.h"
#include "vigil/nats_sink.h"
#include "vigil/output_format.h"
#include "vigil/priority.h"
#include "vigil/program_sink.h"
#include "vigil/rate_limiter.h"
#include "vigil/redis_sink.h"
#include "vigil/syslog_sink.h"
#include "vigil/unix_socket_sink.h"

namespace vigil {

// Keys every sink section accepts.
struct SinkCommonConfig {
  bool enabled = false;
  OutputFormat format = OutputFormat::kJson;
  std::optional<Priority> min_priority;  // unset: every alert the manager lets through
  std::size_t queue_capacity = 0;        // 0: the global outputs.queue_capacity
  std::optional<bool> spool;             // unset: on for network sinks (see SpoolDefault)
  uint64_t spool_max_bytes = 0;          // 0: the global outputs.spool.max_bytes
};

// The disk spool shared settings (`outputs.spool`); each sink spools under <dir>/<sink>.
struct SpoolConfig {
  bool enabled = true;                   // false: no sink spools (`vigil replay` sets it)
  std::string dir = "/var/lib/vigil/spool";
  uint64_t max_bytes = 256ull << 20;     // per sink
  uint64_t segment_bytes = 0;            // 0: max_bytes / 8 within [64 KiB, 16 MiB]
  std::chrono::milliseconds retry_backoff{200};
  std::chrono::milliseconds max_retry_backoff{5000};
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
struct NatsSinkConfig : SinkCommonConfig {
  NatsSinkOptions options;
};
struct RedisSinkConfig : SinkCommonConfig {
  RedisSinkOptions options;
};

struct OutputsConfig {
  Priority min_priority = Priority::kDebug;
  std::size_t queue_capacity = 10000;
  RateLimitConfig rate_limit;
  SpoolConfig spool;
  StdoutSinkConfig stdout_sink;
  FileSinkConfig file;
  SyslogSinkConfig syslog;
  HttpSinkConfig http;
  ProgramSinkConfig program;
  UnixSocketSinkConfig unix_socket;
  NatsSinkConfig nats;
  RedisSinkConfig redis;
};

// Whether sink `name` spools when its `spool` key is left out: on for the sinks that
// deliver over a network or socket and can be down (http, syslog over tcp, unix_socket,
// nats, redis), off for stdout, file, program and syslog local/udp (no delivery feedback).
bool SpoolDefault(const OutputsConfig& config, const std::string& name);

// Fills *config from the `outputs:` node (keys left out keep their defaults). Every
// problem is appended to *errors as "line:col: outputs.key: what" (1-based) and parsing
// goes on, so one run reports every mistake; returns true when there was none. Unknown
// keys are errors (they are usually typos).
// An undefined/null node leaves the defaults and succeeds.
bool ParseOutputsConfig(const YAML::Node& outputs_section, OutputsConfig* config,
                        std::vector<std::string>* errors);

}  // namespace vigil
