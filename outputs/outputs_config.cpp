#include "vigil/outputs_config.h"

#include <fmt/format.h>

#include <functional>
#include <map>

namespace vigil {
namespace {

// Reads typed values out of YAML nodes, recording "line:col: path: what" for each problem.
class Reader {
 public:
  explicit Reader(std::vector<std::string>* errors) : errors_(errors) {}

  void Error(const YAML::Node& node, const std::string& path, const std::string& what) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) {
      errors_->push_back(fmt::format("{}: {}", path, what));
    } else {
      errors_->push_back(fmt::format("{}:{}: {}: {}", mark.line + 1, mark.column + 1, path, what));
    }
  }

  static std::string Shown(const YAML::Node& node) {
    if (node.IsScalar()) return "'" + node.Scalar() + "'";
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a mapping";
    return "nothing";
  }

  // Calls handlers[key] for each entry of the mapping `node`; unknown keys are errors.
  using Handler = std::function<void(const YAML::Node& value, const std::string& path)>;
  void Map(const YAML::Node& node, const std::string& path, const std::map<std::string, Handler>& handlers) {
    if (!node || node.IsNull()) return;
    if (!node.IsMap()) {
      Error(node, path, "expected a mapping, got " + Shown(node));
      return;
    }
    for (const auto& entry : node) {
      const std::string key = entry.first.Scalar();
      const auto it = handlers.find(key);
      if (it == handlers.end()) {
        std::string known;
        for (const auto& [name, handler] : handlers) known += (known.empty() ? "" : ", ") + name;
        Error(entry.first, path + "." + key, "unknown key (known: " + known + ")");
        continue;
      }
      it->second(entry.second, path + "." + key);
    }
  }

  void Bool(const YAML::Node& node, const std::string& path, bool* out) {
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, *out)) {
      Error(node, path, "expected true or false, got " + Shown(node));
    }
  }

  template <typename T>
  void Unsigned(const YAML::Node& node, const std::string& path, T* out, uint64_t min, uint64_t max) {
    uint64_t value = 0;
    const bool negative = node.IsScalar() && !node.Scalar().empty() && node.Scalar()[0] == '-';
    if (!node.IsScalar() || negative || !YAML::convert<uint64_t>::decode(node, value)) {
      Error(node, path, "expected a non-negative integer, got " + Shown(node));
    } else if (value < min || value > max) {
      Error(node, path, fmt::format("{} is out of range [{}, {}]", value, min, max));
    } else {
      *out = static_cast<T>(value);
    }
  }

  void Millis(const YAML::Node& node, const std::string& path, std::chrono::milliseconds* out,
              uint64_t min = 0) {
    uint64_t ms = static_cast<uint64_t>(out->count());
    Unsigned(node, path, &ms, min, 86'400'000);
    *out = std::chrono::milliseconds(ms);
  }

  void Seconds(const YAML::Node& node, const std::string& path, std::chrono::nanoseconds* out) {
    double seconds = 0;
    if (!node.IsScalar() || !YAML::convert<double>::decode(node, seconds) || !(seconds >= 0) ||
        seconds > 86400.0 * 365) {
      Error(node, path, "expected a number of seconds >= 0, got " + Shown(node));
      return;
    }
    *out = std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9));
  }

  void String(const YAML::Node& node, const std::string& path, std::string* out, bool allow_empty = false) {
    if (!node.IsScalar() || (!allow_empty && node.Scalar().empty())) {
      Error(node, path, "expected a non-empty string, got " + Shown(node));
      return;
    }
    *out = node.Scalar();
  }

  void StringList(const YAML::Node& node, const std::string& path, std::vector<std::string>* out) {
    if (!node.IsSequence()) {
      Error(node, path, "expected a list of strings, got " + Shown(node));
      return;
    }
    out->clear();
    for (std::size_t i = 0; i < node.size(); ++i) {
      std::string item;
      String(node[i], fmt::format("{}[{}]", path, i), &item);
      out->push_back(item);
    }
  }

  void Format(const YAML::Node& node, const std::string& path, OutputFormat* out) {
    const auto format = node.IsScalar() ? ParseOutputFormat(node.Scalar()) : std::nullopt;
    if (!format) {
      Error(node, path, "expected json, ecs or text, got " + Shown(node));
      return;
    }
    *out = *format;
  }

  bool PriorityValue(const YAML::Node& node, const std::string& path, Priority* out) {
    const auto priority = node.IsScalar() ? ParsePriority(node.Scalar()) : std::nullopt;
    if (!priority) {
      Error(node, path, "expected a priority (emergency, alert, critical, error, warning, notice, "
                        "informational, debug), got " + Shown(node));
      return false;
    }
    *out = *priority;
    return true;
  }

 private:
  std::vector<std::string>* errors_;
};

// Handlers for the keys every sink accepts, plus the sink's own.
std::map<std::string, Reader::Handler> SinkKeys(Reader& r, SinkCommonConfig* common,
                                                std::map<std::string, Reader::Handler> own) {
  own["enabled"] = [&r, common](const YAML::Node& v, const std::string& p) { r.Bool(v, p, &common->enabled); };
  own["format"] = [&r, common](const YAML::Node& v, const std::string& p) { r.Format(v, p, &common->format); };
  own["min_priority"] = [&r, common](const YAML::Node& v, const std::string& p) {
    Priority priority = Priority::kDebug;
    if (r.PriorityValue(v, p, &priority)) common->min_priority = priority;
  };
  own["queue_capacity"] = [&r, common](const YAML::Node& v, const std::string& p) {
    r.Unsigned(v, p, &common->queue_capacity, 1, 10'000'000);
  };
  own["spool"] = [&r, common](const YAML::Node& v, const std::string& p) {
    bool on = false;
    r.Bool(v, p, &on);
    common->spool = on;
  };
  own["spool_max_bytes"] = [&r, common](const YAML::Node& v, const std::string& p) {
    r.Unsigned(v, p, &common->spool_max_bytes, 4096, uint64_t{1} << 44);
  };
  return own;
}

}  // namespace

bool ParseOutputsConfig(const YAML::Node& outputs_section, OutputsConfig* config,
                        std::vector<std::string>* errors) {
  const std::size_t errors_before = errors->size();
  if (!outputs_section || outputs_section.IsNull()) return true;
  Reader r(errors);
  using N = const YAML::Node&;
  using P = const std::string&;
  OutputsConfig& c = *config;

  auto rate_limit = [&](N node, P path) {
    r.Map(node, path, {
        {"window_s", [&](N v, P p) { r.Seconds(v, p, &c.rate_limit.window); }},
        {"max_per_window", [&](N v, P p) { r.Unsigned(v, p, &c.rate_limit.max_per_window, 0, 1'000'000); }},
        {"key_fields", [&](N v, P p) { r.StringList(v, p, &c.rate_limit.key_fields); }},
    });
  };
  auto stdout_section = [&](N node, P path) { r.Map(node, path, SinkKeys(r, &c.stdout_sink, {})); };
  auto file_section = [&](N node, P path) {
    r.Map(node, path, SinkKeys(r, &c.file, {
        {"path", [&](N v, P p) { r.String(v, p, &c.file.options.path); }},
    }));
  };
  auto syslog_section = [&](N node, P path) {
    SyslogSinkOptions& o = c.syslog.options;
    r.Map(node, path, SinkKeys(r, &c.syslog, {
        {"transport", [&](N v, P p) {
           const auto t = v.IsScalar() ? ParseSyslogTransport(v.Scalar()) : std::nullopt;
           if (t) o.transport = *t; else r.Error(v, p, "expected local, udp or tcp, got " + Reader::Shown(v));
         }},
        {"host", [&](N v, P p) { r.String(v, p, &o.host); }},
        {"port", [&](N v, P p) { r.Unsigned(v, p, &o.port, 1, 65535); }},
        {"path", [&](N v, P p) { r.String(v, p, &o.local_path); }},
        {"facility", [&](N v, P p) {
           const auto f = v.IsScalar() ? ParseSyslogFacility(v.Scalar()) : std::nullopt;
           if (f) o.facility = *f; else r.Error(v, p, "expected a facility (user, daemon, auth, local0..local7...), got " + Reader::Shown(v));
         }},
        {"app_name", [&](N v, P p) { r.String(v, p, &o.app_name); }},
        {"hostname", [&](N v, P p) { r.String(v, p, &o.hostname, true); }},
        {"timeout_ms", [&](N v, P p) { r.Millis(v, p, &o.timeout, 1); }},
    }));
  };
  auto http_section = [&](N node, P path) {
    HttpSinkOptions& o = c.http.options;
    r.Map(node, path, SinkKeys(r, &c.http, {
        {"url", [&](N v, P p) {
           r.String(v, p, &o.url);
           if (o.url.rfind("http://", 0) != 0 && o.url.rfind("https://", 0) != 0) {
             r.Error(v, p, "expected an http:// or https:// URL, got " + Reader::Shown(v));
           }
         }},
        {"timeout_ms", [&](N v, P p) { r.Millis(v, p, &o.timeout, 1); }},
        {"connect_timeout_ms", [&](N v, P p) { r.Millis(v, p, &o.connect_timeout, 1); }},
        {"retries", [&](N v, P p) { r.Unsigned(v, p, &o.retries, 0, 100); }},
        {"backoff_ms", [&](N v, P p) { r.Millis(v, p, &o.backoff_initial); }},
        {"max_backoff_ms", [&](N v, P p) { r.Millis(v, p, &o.backoff_max); }},
        {"batch_size", [&](N v, P p) { r.Unsigned(v, p, &o.batch_size, 1, 10000); }},
        {"insecure", [&](N v, P p) { r.Bool(v, p, &o.insecure); }},
        {"ca_file", [&](N v, P p) { r.String(v, p, &o.ca_file); }},
        {"headers", [&](N v, P p) {
           if (!v.IsMap()) {
             if (!v.IsNull()) r.Error(v, p, "expected a mapping of header: value, got " + Reader::Shown(v));
             return;
           }
           o.headers.clear();
           for (const auto& h : v) {
             std::string value;
             r.String(h.second, p + "." + h.first.Scalar(), &value, true);
             const std::string name = h.first.Scalar();
             if (name.empty() || name.find_first_of(":\r\n ") != std::string::npos ||
                 value.find_first_of("\r\n") != std::string::npos) {
               r.Error(h.first, p + "." + name, "invalid header name or value");
               continue;
             }
             o.headers.emplace_back(name, value);
           }
         }},
    }));
  };
  auto program_section = [&](N node, P path) {
    ProgramSinkOptions& o = c.program.options;
    r.Map(node, path, SinkKeys(r, &c.program, {
        {"command", [&](N v, P p) {
           if (v.IsScalar()) {
             // A single string is a shell command line (as Falco's program_output).
             o.command = {v.Scalar()};
             o.shell = true;
             return;
           }
           r.StringList(v, p, &o.command);
           if (o.command.empty()) r.Error(v, p, "the command list is empty");
         }},
        {"shell", [&](N v, P p) { r.Bool(v, p, &o.shell); }},
        {"restart_backoff_ms", [&](N v, P p) { r.Millis(v, p, &o.restart_backoff, 1); }},
    }));
  };
  auto unix_socket_section = [&](N node, P path) {
    UnixSocketSinkOptions& o = c.unix_socket.options;
    r.Map(node, path, SinkKeys(r, &c.unix_socket, {
        {"path", [&](N v, P p) { r.String(v, p, &o.path); }},
        {"timeout_ms", [&](N v, P p) { r.Millis(v, p, &o.timeout, 1); }},
        {"reconnect_backoff_ms", [&](N v, P p) { r.Millis(v, p, &o.reconnect_backoff, 1); }},
    }));
  };

  auto spool_section = [&](N node, P path) {
    r.Map(node, path, {
        {"enabled", [&](N v, P p) { r.Bool(v, p, &c.spool.enabled); }},
        {"dir", [&](N v, P p) { r.String(v, p, &c.spool.dir); }},
        {"max_bytes", [&](N v, P p) { r.Unsigned(v, p, &c.spool.max_bytes, 4096, uint64_t{1} << 44); }},
        {"segment_bytes", [&](N v, P p) { r.Unsigned(v, p, &c.spool.segment_bytes, 1024, uint64_t{1} << 32); }},
        {"retry_backoff_ms", [&](N v, P p) { r.Millis(v, p, &c.spool.retry_backoff, 1); }},
        {"max_retry_backoff_ms", [&](N v, P p) { r.Millis(v, p, &c.spool.max_retry_backoff, 1); }},
    });
  };
  auto nats_section = [&](N node, P path) {
    NatsSinkOptions& o = c.nats.options;
    r.Map(node, path, SinkKeys(r, &c.nats, {
        {"url", [&](N v, P p) { r.String(v, p, &o.url); }},
        {"subject", [&](N v, P p) { r.String(v, p, &o.subject); }},
        {"stream", [&](N v, P p) { r.String(v, p, &o.stream); }},
        {"create_stream", [&](N v, P p) { r.Bool(v, p, &o.create_stream); }},
        {"stream_subjects", [&](N v, P p) { r.StringList(v, p, &o.stream_subjects); }},
        {"timeout_ms", [&](N v, P p) { r.Millis(v, p, &o.timeout, 1); }},
        {"creds_file", [&](N v, P p) { r.String(v, p, &o.creds_file); }},
        {"user", [&](N v, P p) { r.String(v, p, &o.user); }},
        {"password_file", [&](N v, P p) { r.String(v, p, &o.password_file); }},
        {"token_file", [&](N v, P p) { r.String(v, p, &o.token_file); }},
        {"tls", [&](N v, P p) { r.Bool(v, p, &o.tls); }},
        {"ca_file", [&](N v, P p) { r.String(v, p, &o.ca_file); }},
        {"cert_file", [&](N v, P p) { r.String(v, p, &o.cert_file); }},
        {"key_file", [&](N v, P p) { r.String(v, p, &o.key_file); }},
    }));
    if (o.create_stream && o.stream.empty()) r.Error(node, path + ".stream", "create_stream needs a stream name");
  };
  auto redis_section = [&](N node, P path) {
    RedisSinkOptions& o = c.redis.options;
    r.Map(node, path, SinkKeys(r, &c.redis, {
        {"host", [&](N v, P p) { r.String(v, p, &o.host); }},
        {"port", [&](N v, P p) { r.Unsigned(v, p, &o.port, 1, 65535); }},
        {"path", [&](N v, P p) { r.String(v, p, &o.path); }},
        {"key", [&](N v, P p) { r.String(v, p, &o.key); }},
        {"maxlen", [&](N v, P p) { r.Unsigned(v, p, &o.maxlen, 0, uint64_t{1} << 40); }},
        {"timeout_ms", [&](N v, P p) { r.Millis(v, p, &o.timeout, 1); }},
        {"username", [&](N v, P p) { r.String(v, p, &o.username); }},
        {"password_file", [&](N v, P p) { r.String(v, p, &o.password_file); }},
        {"db", [&](N v, P p) { r.Unsigned(v, p, &o.db, 0, 1'000'000); }},
    }));
  };

  r.Map(outputs_section, "outputs", {
      {"spool", spool_section},
      {"nats", nats_section},
      {"redis", redis_section},
      {"min_priority", [&](N v, P p) { r.PriorityValue(v, p, &c.min_priority); }},
      {"queue_capacity", [&](N v, P p) { r.Unsigned(v, p, &c.queue_capacity, 1, 10'000'000); }},
      {"rate_limit", rate_limit},
      {"stdout", stdout_section},
      {"file", file_section},
      {"syslog", syslog_section},
      {"http", http_section},
      {"program", program_section},
      {"unix_socket", unix_socket_section},
  });
  return errors->size() == errors_before;
}

bool SpoolDefault(const OutputsConfig& config, const std::string& name) {
  if (name == "http" || name == "unix_socket" || name == "nats" || name == "redis") return true;
  if (name == "syslog") return config.syslog.options.transport == SyslogSinkOptions::Transport::kTcp;
  return false;
}

}  // namespace vigil
