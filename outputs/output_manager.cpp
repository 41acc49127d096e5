#include "vigil/output_manager.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "vigil/file_sink.h"
#include "vigil/http_sink.h"
#include "vigil/nats_sink.h"
#include "vigil/program_sink.h"
#include "vigil/redis_sink.h"
#include "vigil/stdout_sink.h"
#include "vigil/syslog_sink.h"
#include "vigil/unix_socket_sink.h"

namespace vigil {

namespace {

std::string LocalHostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return {};
  return name;
}

}  // namespace

OutputManager::OutputManager(Options options)
    : options_(std::move(options)), hostname_(LocalHostname()), rate_limiter_(options_.rate_limit) {}

OutputManager::~OutputManager() { Stop(std::chrono::seconds(2)); }

void OutputManager::AddSink(SinkOptions options, std::unique_ptr<Sink> sink, std::unique_ptr<DiskSpool> spool) {
  std::lock_guard lock(mu_);
  sinks_.push_back(std::make_unique<QueuedSink>(std::move(options), std::move(sink), std::move(spool)));
}

bool OutputManager::Admit(const Alert& alert, uint64_t* folded) {
  ++totals_.submitted;
  if (alert.priority > options_.min_priority) {
    ++totals_.filtered;
    return false;
  }
  if (!rate_limiter_.Admit(alert, folded)) {
    ++totals_.suppressed;
    return false;
  }
  return true;
}

void OutputManager::Dispatch(std::shared_ptr<const Alert> alert) {
  for (auto& sink : sinks_) sink->Submit(alert);
}

void OutputManager::Submit(const Alert& alert) {
  std::lock_guard lock(mu_);
  uint64_t folded = 0;
  if (!Admit(alert, &folded) || sinks_.empty()) return;
  auto shared = std::make_shared<Alert>(alert);
  shared->suppressed += folded;
  if (shared->hostname.empty()) shared->hostname = hostname_;
  if (!shared->has_uuid()) uuids_.Fill(&shared->uuid);
  Dispatch(std::move(shared));
}

void OutputManager::Submit(Alert&& alert) {
  std::lock_guard lock(mu_);
  uint64_t folded = 0;
  if (!Admit(alert, &folded) || sinks_.empty()) return;
  auto shared = std::make_shared<Alert>(std::move(alert));
  shared->suppressed += folded;
  if (shared->hostname.empty()) shared->hostname = hostname_;
  if (!shared->has_uuid()) uuids_.Fill(&shared->uuid);
  Dispatch(std::move(shared));
}

bool OutputManager::Flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool all = true;
    for (auto& sink : sinks_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    all &= sink->Flush(std::max(left, std::chrono::milliseconds(0)));
  }
  return all;
}

void OutputManager::Reopen() {
    for (auto& sink : sinks_) sink->Reopen();
}

void OutputManager::Stop(std::chrono::milliseconds timeout) {
  Flush(timeout);
    for (auto& sink : sinks_) sink->Stop(std::chrono::milliseconds(0));
}

std::vector<SinkStats> OutputManager::Stats() const {
    std::vector<SinkStats> stats;
  stats.reserve(sinks_.size());
  for (const auto& sink : sinks_) stats.push_back(sink->Stats());
  return stats;
}

OutputTotals OutputManager::Totals() const {
  std::lock_guard lock(mu_);
  return totals_;
}

std::unique_ptr<OutputManager> OutputManager::Create(const OutputsConfig& config,
                                                     std::vector<std::string>* errors) {
  Options options;
  options.min_priority = config.min_priority;
  options.rate_limit = config.rate_limit;
  auto manager = std::make_unique<OutputManager>(std::move(options));
  const std::size_t errors_before = errors->size();
  auto sink_options = [&](const std::string& name, const SinkCommonConfig& common) {
    SinkOptions o;
    o.name = name;
    o.format = common.format;
    o.min_priority = common.min_priority.value_or(Priority::kDebug);
    o.queue_capacity = common.queue_capacity != 0 ? common.queue_capacity : config.queue_capacity;
    o.retry_backoff = config.spool.retry_backoff;
    o.max_retry_backoff = config.spool.max_retry_backoff;
    return o;
  };
  // Opens <spool.dir>/<name> when the sink spools; an error names the sink.
  auto open_spool = [&](const std::string& name, const SinkCommonConfig& common,
                        std::unique_ptr<DiskSpool>* spool, std::optional<DiskSpoolOptions>* deferred) {
    if (!config.spool.enabled || !common.spool.value_or(SpoolDefault(config, name))) return true;
    DiskSpoolOptions o;
    o.dir = config.spool.dir + "/" + name;
    o.max_bytes = common.spool_max_bytes != 0 ? common.spool_max_bytes : config.spool.max_bytes;
    o.segment_bytes = config.spool.segment_bytes;
    if (DiskSpool::OpenInThisProcess(o.dir)) {
      *deferred = std::move(o);  // a reload: the outputs being replaced still hold it
      return true;
    }
    std::string error;
    *spool = DiskSpool::Open(std::move(o), &error);
    if (*spool == nullptr) errors->push_back("outputs." + name + ".spool: " + error);
    return *spool != nullptr;
  };
  auto add = [&](const std::string& name, const SinkCommonConfig& common, std::unique_ptr<Sink> sink,
                 const std::string& destination) {
    std::unique_ptr<DiskSpool> spool;
    std::optional<DiskSpoolOptions> deferred;
    if (!open_spool(name, common, &spool, &deferred)) return;
    spdlog::info("output {}: {} (format {}{}{})", name, destination, OutputFormatName(common.format),
                 common.min_priority ? std::string(", min_priority ") + std::string(PriorityName(*common.min_priority)) : "",
                 spool ? ", spool " + spool->dir() : deferred ? ", spool " + deferred->dir : ", no spool");
    if (deferred) {
      std::lock_guard lock(manager->mu_);
      manager->sinks_.push_back(
          std::make_unique<QueuedSink>(sink_options(name, common), std::move(sink), std::move(*deferred)));
    } else {
      manager->AddSink(sink_options(name, common), std::move(sink), std::move(spool));
    }
  };
  if (config.stdout_sink.enabled) {
    add("stdout", config.stdout_sink, std::make_unique<StdoutSink>(), "standard output");
  }
  if (config.file.enabled) {
    auto sink = std::make_unique<FileSink>(config.file.options);
    if (std::string err = sink->Open(); !err.empty()) {
      errors->push_back("outputs.file: cannot open " + err);
    } else {
      add("file", config.file, std::move(sink), config.file.options.path);
    }
  }
  if (config.syslog.enabled) {
    const auto& o = config.syslog.options;
    const std::string where =
        o.transport == SyslogSinkOptions::Transport::kLocal
            ? "syslog local " + o.local_path
            : std::string(o.transport == SyslogSinkOptions::Transport::kTcp ? "syslog tcp " : "syslog udp ") +
                  o.host + ":" + std::to_string(o.port);
    add("syslog", config.syslog, std::make_unique<SyslogSink>(o), where);
  }
  if (config.http.enabled) {
    add("http", config.http, std::make_unique<HttpSink>(config.http.options, config.http.format),
        "POST " + config.http.options.url);
  }
  if (config.program.enabled) {
    if (config.program.options.command.empty()) {
      errors->push_back("outputs.program: command is empty");
    } else {
      add("program", config.program, std::make_unique<ProgramSink>(config.program.options),
          "program " + config.program.options.command.front());
    }
  }
  if (config.unix_socket.enabled) {
    add("unix_socket", config.unix_socket, std::make_unique<UnixSocketSink>(config.unix_socket.options),
        "unix socket " + config.unix_socket.options.path);
  }
  if (config.nats.enabled) {
    const auto& o = config.nats.options;
    add("nats", config.nats, std::make_unique<NatsSink>(o),
        "NATS JetStream " + o.url + " subject " + o.subject + (o.create_stream ? " stream " + o.stream : ""));
  }
  if (config.redis.enabled) {
    auto sink = std::make_unique<RedisSink>(config.redis.options);
    const std::string where = "Redis " + sink->Destination();
    add("redis", config.redis, std::move(sink), where);
  }
  if (errors->size() != errors_before) return nullptr;
  return manager;
}

}  // namespace vigil
