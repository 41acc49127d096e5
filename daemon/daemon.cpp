#include "vigil/daemon.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <thread>
#include <unordered_map>

#include "vigil/container_hold.h"
#include "vigil/container_store.h"
#include "vigil/daemon_metrics.h"
#include "vigil/event_thread_priority.h"
#include "vigil/metrics_server.h"
#include "vigil/output_manager.h"
#include "vigil/outputs_config.h"
#include "vigil/proc_scan.h"
#include "vigil/process_table.h"
#include "vigil/rule_loader.h"
#include "vigil/ruleset.h"
#include "vigil/canary.h"
#include "vigil/self_protection.h"
#include "vigil/sequence_engine.h"
#include "vigil/sensor.h"

namespace vigil {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};
std::atomic<bool> g_reopen{false};

using Clock = std::chrono::steady_clock;

// Event types the process/fd tables need whatever the rules say.
std::bitset<kEventTypeCount> StateEventTypes() {
  std::bitset<kEventTypeCount> b;
  for (EventType t : {EventType::kExecve, EventType::kExecveat, EventType::kClone,
                      EventType::kClone3, EventType::kFork, EventType::kVfork,
                      EventType::kProcExit, EventType::kChdir}) {
    b.set(static_cast<std::size_t>(t));
  }
  return b;
}

// The kernel open prefilter for these rules, or off when the config says so.
OpenPrefilter PrefilterFor(const Ruleset& rules, const DaemonConfig& config) {
  OpenPrefilter derived = rules.DeriveOpenPrefilter();
  if (config.open_prefilter) return derived;
  OpenPrefilter off;
  off.disabled_reason = "sensor.open_prefilter is false";
  off.watched_files = std::move(derived.watched_files);
  return off;
}

// Installs the open prefilter in the probes (or removes it when it is off); logs what it did.
void InstallOpenPrefilter(Sensor& sensor, const OpenPrefilter& filter) {
  std::string error;
  if (!sensor.SetOpenPrefilter(filter, &error)) {
    spdlog::warn("{}", error);
  } else if (filter.enabled) {
    spdlog::info("open prefilter: {} path prefixes, {} suffixes{}{}; other opens stay in the kernel",
                 filter.prefixes.size(), filter.suffixes.size(),
                 filter.all_writes ? ", every open for writing: " : "", filter.all_writes_reason);
  } else {
    spdlog::info("open prefilter off: {}", filter.disabled_reason);
  }
  std::vector<std::string> skipped;
  if (!sensor.SetWatchedFiles(filter.watched_files, &skipped, &error)) {
    spdlog::warn("{} (hard links and bind mounts of them are not recognised)", error);
    return;
  }
  std::string missing;
  for (std::size_t i = 0; i < skipped.size() && i < 5; ++i) missing += (i ? ", " : "") + skipped[i];
  spdlog::info("watched files: {} files named by rules known by identity (a hard link or bind mount of "
               "one fires the same rules){}{}{}",
               filter.watched_files.size() - skipped.size(),
               skipped.empty() ? "" : fmt::format("; {} not on this host (taken again on reload): ", skipped.size()),
               missing, skipped.size() > 5 ? ", ..." : "");
}

// Everything a (re)load produces; built off the event thread, swapped in whole.
struct Loaded {
  DaemonConfig config;
  std::shared_ptr<const Ruleset> ruleset;
  OpenPrefilter prefilter;  // derived with the ruleset, off the event thread
  std::unique_ptr<OutputManager> outputs;
  std::vector<std::string> errors;  // fatal for this load
  LoadResult result;
  std::size_t skipped_rules = 0;    // rules dropped for errors (engine.skip_invalid_rules)
};

void SignalHandler(int sig) {
  switch (sig) {
    case SIGINT:
    case SIGTERM: Daemon::RequestStop(); break;
    case SIGHUP: Daemon::RequestReload(); break;
    case SIGUSR1: Daemon::RequestReopen(); break;
    default: break;
  }
}

std::string Hostname() {
  char buf[256] = {0};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

}  // namespace

struct Daemon::State {
  DaemonMetrics metrics;
  std::shared_ptr<const Ruleset> ruleset;
  std::unique_ptr<OutputManager> outputs;
  DaemonConfig config;
  std::unique_ptr<Sensor> sensor;
  ProcessTable table;
  SequenceEngine sequences;  // sequence/threshold state (event thread only)
  std::unique_ptr<MetricsServer> metrics_server;
  std::atomic<bool> healthy{false};
  std::vector<std::thread> retired;  // threads draining replaced output managers
  std::unique_ptr<ContainerStore> containers;  // null when containers.enabled is false
  std::unique_ptr<ContainerHold> hold;
  // For the `container` event: the first process seen in each container whose metadata is
  // being fetched, copied with its ancestors (it may have exited when the fetch finishes).
  struct FirstProcess {
    uint32_t pid = 0;
    std::unique_ptr<ProcessTable> lineage;
  };
  std::unordered_map<std::string, FirstProcess> container_first;
  void RememberFirst(const Process& p) {
    if (container_first.size() >= 65536) return;
    auto [it, inserted] = container_first.try_emplace(p.container_full_id);
    if (!inserted) return;
    it->second.pid = p.pid;
    it->second.lineage = std::make_unique<ProcessTable>();
    table.CopyLineage(p, it->second.lineage.get());
  }
};

Daemon::Daemon(DaemonOptions options) : options_(std::move(options)) {}

Daemon::~Daemon() {
  if (state_) {
    for (auto& t : state_->retired)
      if (t.joinable()) t.join();
  }
}

void Daemon::RequestStop() noexcept { g_stop.store(true); }
void Daemon::RequestReload() noexcept { g_reload.store(true); }
void Daemon::RequestReopen() noexcept { g_reopen.store(true); }

void Daemon::InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = SignalHandler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking poll returns so the loop sees the request
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGUSR1}) sigaction(sig, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

namespace {

// How many distinct rules (or items) the error diagnostics name.
std::size_t CountSkippedRules(const LoadResult& r) {
  std::set<std::string> names;
  for (const auto& d : r.diagnostics) {
    if (d.warning) continue;
    names.insert(d.rule.empty() ? d.file + ":" + std::to_string(d.line) : d.rule);
  }
  return names.size();
}

// A rules file with no YAML content (empty, or only comments / an empty list): refused at
// start and on reload, so rules never vanish because a file was truncated or half written.
std::string CheckNotEmpty(const std::string& path) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec)) {
      if (e.path().extension() == ".yaml" || e.path().extension() == ".yml")
        files.push_back(e.path().string());
    }
  } else {
    files.push_back(path);
  }
  for (const auto& f : files) {
    try {
      YAML::Node doc = YAML::LoadFile(f);
      if (!doc || doc.IsNull() || (doc.IsSequence() && doc.size() == 0)) {
        return f + ":1:1: error: rules file is empty (no rule, macro or list): refused so that "
                   "its rules do not vanish silently; delete the file or add rules to it";
      }
    } catch (const YAML::Exception&) {
      // Syntax errors are reported with positions by the rule reader.
    }
  }
  return "";
}

Loaded LoadEverything(const DaemonOptions& opts, bool build_outputs) {
  Loaded out;
  if (!LoadDaemonConfig(opts.config_path, opts.overrides, &out.config, &out.errors)) return out;
  DaemonConfig& cfg = out.config;
  if (!opts.rules.empty()) cfg.rules_files = opts.rules;
  if (opts.stats_interval_s >= 0) cfg.stats_interval_s = opts.stats_interval_s;

  if (cfg.refuse_insecure_files) {
    std::vector<std::string> to_check = cfg.rules_files;
    if (!opts.config_path.empty()) to_check.push_back(opts.config_path);
    for (const auto& path : to_check) {
      std::string why = CheckFileNotWritableByOthers(path);
      if (!why.empty()) {
        out.errors.push_back(path + ": error: refusing insecure file: " + why +
                             " (fix the ownership/mode, or set refuse_insecure_files: false)");
      }
    }
    if (!out.errors.empty()) return out;
  }

  LoadOptions lo;
  lo.hostname = cfg.hostname.empty() ? Hostname() : cfg.hostname;
  lo.mode = cfg.match_mode == "first" ? MatchMode::kFirst : MatchMode::kAll;
  lo.disabled_rules = cfg.disabled_rules;
  lo.disabled_tags = cfg.disabled_tags;
  lo.enabled_rules = cfg.enabled_rules;
  lo.append_output = cfg.append_output;
  SelfProtectionTargets targets;
  targets.pid = static_cast<uint32_t>(getpid());
  std::error_code ec;
  targets.binary = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (!opts.config_path.empty())
    targets.files.push_back(std::filesystem::absolute(opts.config_path, ec).string());
  for (const auto& path : cfg.rules_files) {
    std::string abs = std::filesystem::absolute(path, ec).string();
    if (std::filesystem::is_directory(abs, ec)) {
      targets.directories.push_back(abs);
    } else if (std::ifstream(path)) {
      targets.files.push_back(abs);
    } else {
      out.errors.push_back(path + ":1:1: error: cannot read rules file");
      return out;
    }
    if (std::string why = CheckNotEmpty(path); !why.empty()) {
      out.errors.push_back(why);
      return out;
    }
  }
  std::vector<std::pair<std::string, std::string>> generated;
  if (cfg.self_protection) generated.emplace_back(kSelfProtectionDocName, SelfProtectionRules(targets));
  out.result = LoadRuleFiles(cfg.rules_files, generated, lo);
  out.ruleset = out.result.ruleset;
  std::size_t self_rules = cfg.self_protection ? kSelfProtectionRuleCount : 0;
  if (!out.ruleset || out.ruleset->rule_count() + out.ruleset->sequence_count() <= self_rules) {
    out.errors.push_back("no usable rule was loaded from the configured rules files");
  }
  if (out.result.errors() > 0) {
    out.skipped_rules = CountSkippedRules(out.result);
    if (!cfg.skip_invalid_rules) {
      out.errors.push_back(std::to_string(out.result.errors()) + " rule error(s) in " +
                           std::to_string(out.skipped_rules) +
                           " rule(s): fix them, or set engine.skip_invalid_rules: true to run "
                           "without the bad rules");
    }
  }
  if (out.ruleset) out.prefilter = PrefilterFor(*out.ruleset, cfg);

  if (build_outputs) {
    OutputsConfig oc;
    std::vector<std::string> oerrors;
    if (!ParseOutputsConfig(cfg.outputs, &oc, &oerrors)) {
      for (auto& e : oerrors) out.errors.push_back(PositionOutputsError(cfg, e));
      return out;
    }
    // The syslog header names the host as the alerts do (engine.hostname when set).
    if (oc.syslog.options.hostname.empty()) oc.syslog.options.hostname = cfg.hostname;
    out.outputs = OutputManager::Create(oc, &oerrors);
    if (!out.outputs) {
      for (auto& e : oerrors) out.errors.push_back(e);
    }
  }
  return out;
}

void LogDiagnostics(const LoadResult& r) {
  for (const auto& d : r.diagnostics) {
    if (d.warning) {
      spdlog::warn("{}", d.ToString());
    } else {
      spdlog::error("{}", d.ToString());
    }
  }
  spdlog::info("rules: {} rules, {} sequences, {} macros, {} lists loaded ({} disabled, {} for other sources), "
               "{} errors, {} warnings",
               r.rules, r.sequences, r.macros, r.lists, r.disabled_rules, r.inactive_source_rules, r.errors(),
               r.warnings());
}

void ConfigureLogging(const DaemonConfig& cfg) {
  auto logger = spdlog::stderr_logger_mt("vigil");
  if (cfg.log_format == "json") {
    logger->set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"vigil","message":"%v"})",
        spdlog::pattern_time_type::utc);
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ vigil: %v");
  }
  spdlog::set_default_logger(logger);
  // log_level was validated by the config schema; from_str maps unknown names to "off",
  // which would silence errors, so fall back to info.
  auto level = spdlog::level::from_str(cfg.log_level);
  spdlog::set_level(level == spdlog::level::off ? spdlog::level::info : level);
}

}  // namespace

int Daemon::Run() {
  state_ = std::make_unique<State>();
  State& s = *state_;
  s.metrics.start_time_s = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());

  // Until the config says how to log, log to stderr: spdlog's default logger writes to
  // stdout, which carries the alerts (the outputs logged their set-up into the JSON stream).
  if (!spdlog::get("vigil") && !spdlog::get("vigil-startup")) {
    auto early = spdlog::stderr_logger_mt("vigil-startup");
    early->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ vigil: %v");
    spdlog::set_default_logger(early);
  }
  Loaded initial = LoadEverything(options_, true);
  if (!spdlog::get("vigil")) ConfigureLogging(initial.config);
  if (initial.result.ruleset) LogDiagnostics(initial.result);
  if (!initial.errors.empty()) {
    for (const auto& e : initial.errors) spdlog::critical("{}", e);
    return 1;
  }
  s.config = std::move(initial.config);
  s.ruleset = std::move(initial.ruleset);
  s.outputs = std::move(initial.outputs);
  s.metrics.rules_loaded = s.ruleset->rule_count();
  s.metrics.rules_skipped = initial.skipped_rules;
  if (initial.skipped_rules > 0) {
    spdlog::warn("running without {} invalid rule(s) (engine.skip_invalid_rules: true)",
                 initial.skipped_rules);
  }
  s.sequences.SetOptions(SequenceOptions{s.config.sequence_max_keys, s.config.sequence_max_partials});
  s.sequences.SetRuleset(s.ruleset);
  s.metrics.sequences_loaded = s.sequences.sequence_count();

  auto interest_for = [](const Ruleset& rs) {
    auto wanted = rs.InterestingEventTypes();
    // No extra fd tracking for dup rules: dup/dup2/dup3 records carry oldfd's socket tuple
    // (read in the kernel), which used to cost an open+close record per file opened.
    return wanted | StateEventTypes();
  };

  SensorOptions so;
  so.ring_bytes = s.config.ring_buffer_mb << 20;
  so.self_tgid = static_cast<uint32_t>(getpid());
  so.interest = interest_for(*s.ruleset);
  so.capture_send_recv = s.config.capture_send_recv;
  so.capture_env = s.ruleset->ReadsProcessEnv();  // envp at exec only while a rule reads it
  std::string error;
  s.sensor = Sensor::Open(so, &error);
  if (!s.sensor) {
    spdlog::critical("probes: {}", error);
    return 1;
  }
  if (s.config.snapshot) {
    // After attaching, so a process started in between is seen either way.
    s.table.SetResolver(ProcResolver());
    std::size_t n = SnapshotProcesses(s.table);
    spdlog::info("process snapshot: {} processes from /proc", n);
  }
  {
    std::string frozen;
    for (const auto& m : s.sensor->FrozenMaps()) frozen += (frozen.empty() ? "" : ", ") + m;
    spdlog::info("self-protection: maps frozen after load: {}", frozen.empty() ? "none" : frozen);
  }
  if (s.config.containers.enabled) {
    s.containers = std::make_unique<ContainerStore>(s.config.containers);
    s.containers->Start();
    s.hold = std::make_unique<ContainerHold>(std::chrono::milliseconds(s.config.containers.hold_ms),
                                             s.config.containers.max_held_events);
    std::size_t in_containers = 0;
    s.table.ForEachProcess([&](const Process& p) {
      if (p.container_full_id.empty()) return;
      if (s.containers->Request(p.container_full_id, p.cgroup)) s.RememberFirst(p);
      ++in_containers;
    });
    spdlog::info("containers: metadata on (hold {} ms); {} running processes in containers",
                 s.config.containers.hold_ms, in_containers);
  }
  spdlog::info("probes attached ({}), {} active rules, {} event types of interest, environment "
               "at exec {}",
               s.sensor->hook_mode(), s.ruleset->rule_count(), so.interest.count(),
               so.capture_env ? "captured (a rule reads proc.env)" : "not captured");
  InstallOpenPrefilter(*s.sensor, initial.prefilter);

  if (s.config.metrics_enabled) {
    s.metrics_server = std::make_unique<MetricsServer>(
        [&s] { return s.metrics.RenderPrometheus(); },
        [&s](std::string* detail) {
          if (!s.healthy.load()) *detail = "event loop not running";
          return s.healthy.load();
        });
    if (!s.metrics_server->Start(s.config.metrics_address, s.config.metrics_port, &error)) {
      // A daemon without its health endpoint is invisible to monitoring: refuse to start.
      spdlog::critical("{} (is another process using the port? free it, choose another with "
                       "metrics.port, or set metrics.enabled: false)",
                       error);
      s.metrics_server.reset();
      s.sensor.reset();
      return 1;
    } else {
      spdlog::info("metrics on http://{}:{}/metrics", s.config.metrics_address,
                   s.metrics_server->port());
    }
  }

  std::future<Loaded> pending_reload;
  Clock::time_point reload_started;
  auto on_alert = [&s](const Alert& alert) {
    s.metrics.alerts.fetch_add(1, std::memory_order_relaxed);
    s.metrics.CountAlert(alert.rule);
    s.outputs->Submit(alert);
  };
  // Evaluation time is sampled (1 event in kEvalSampleEvery): two clock reads per event
  // would cost more than many evaluations.
  constexpr uint32_t kEvalSampleEvery = 16;
  uint32_t eval_sample = 0;
  Canary canary;
  ContainerStore* const containers = s.containers.get();
  // Evaluates a held event against the state copied when it was held.
  auto eval_held = [&](const Event& ev, const ProcessTable& table) {
    s.ruleset->Evaluate(ev, table, on_alert, containers, &s.sequences);
  };
  auto account = [&](const ContainerHold::Released& r) {
    s.metrics.container_holds_with_metadata.fetch_add(r.with_metadata, std::memory_order_relaxed);
    s.metrics.container_holds_expired.fetch_add(r.expired, std::memory_order_relaxed);
    s.metrics.container_hold_ns_total.fetch_add(r.wait_ns, std::memory_order_relaxed);
  };
  std::vector<std::string> ready_ids;
  Clock::time_point last_release{};
  // Held events whose metadata arrived (or whose time is up) go first, then one `container`
  // event per container whose metadata fetch finished (Falco's container event type).
  auto service_containers = [&](Clock::time_point now) {
    if (!containers) return;
    if (!s.hold->empty()) account(s.hold->Release(*containers, now, eval_held));
    containers->TakeReady(&ready_ids);
    for (const auto& id : ready_ids) {
      auto it = s.container_first.find(id);
      if (it == s.container_first.end()) continue;
      Event cev;
      cev.type = EventType::kContainer;
      cev.ts_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
      cev.tid = cev.tgid = it->second.pid;
      const std::unique_ptr<ProcessTable> lineage = std::move(it->second.lineage);
      s.container_first.erase(it);
      s.metrics.container_events.fetch_add(1, std::memory_order_relaxed);
      s.ruleset->Evaluate(cev, *lineage, on_alert, containers);
    }
  };
  auto on_event = [&](const Event& ev) {
    canary.Observe(ev);
    s.table.Apply(ev);
    if (containers) {
      // Only events of processes in containers pay for this (exec: a new container to look
      // up; otherwise only while some container's metadata is pending or events are held).
      const bool exec = ev.exec != nullptr;
      if (exec || containers->AnyPending() || !s.hold->empty()) {
        const Process* p = s.table.Find(ev.tgid);
        if (p && !p->container_full_id.empty()) {
          if (exec) {
            if (containers->Request(p->container_full_id, p->cgroup)) s.RememberFirst(*p);
          }
          const auto now = Clock::now();
          if (!s.hold->empty() && now - last_release >= std::chrono::milliseconds(1)) {
            last_release = now;
            account(s.hold->Release(*containers, now, eval_held));
          }
          if (s.hold->ShouldHold(*p, *containers)) {
            if (s.hold->Hold(ev, *p, s.table, now)) {
              s.metrics.container_events_held.fetch_add(1, std::memory_order_relaxed);
              s.metrics.events.fetch_add(1, std::memory_order_relaxed);
              return;
            }
            s.metrics.container_events_held_overflow.fetch_add(1, std::memory_order_relaxed);
          }
        }
      }
    }
    const bool timed = ++eval_sample == kEvalSampleEvery;
    const auto t0 = timed ? Clock::now() : Clock::time_point{};
    s.ruleset->Evaluate(ev, s.table, on_alert, containers, &s.sequences);
    if (timed) {
      eval_sample = 0;
      auto ns = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
      s.metrics.eval_ns_total.fetch_add(ns * kEvalSampleEvery, std::memory_order_relaxed);
      if (ns > s.metrics.eval_max_ns.load(std::memory_order_relaxed))
        s.metrics.eval_max_ns.store(ns, std::memory_order_relaxed);
    }
    s.metrics.events.fetch_add(1, std::memory_order_relaxed);
  };

  const auto started = Clock::now();
  auto next_stats = started + std::chrono::seconds(std::max(1, s.config.stats_interval_s));
  // The once-a-second block (map check, metrics) runs at once, then half a second out of
  // phase with the canary (forked on the whole seconds): a canary's exit then shows what an
  // attacker holding a map entry changed did to the probes half a second after the last
  // restore, not a few microseconds.
  auto next_snapshot = started;
  // Synthetic "events dropped" alert: rate-limited, reports drops since the last one.
  constexpr auto kDropAlertInterval = std::chrono::seconds(10);
  uint64_t drops_alerted = 0;
  auto next_drop_alert = started;
  // Last, so only this thread gets it (threads inherit their creator's priority).
  if (const std::string failed = RaiseEventThreadPriority(s.config.event_thread); !failed.empty()) {
    spdlog::warn("{}; under CPU contention the ring buffer may overflow and drop events", failed);
    s.metrics.event_thread_priority_failed = 1;
  } else {
    spdlog::info("event thread priority: {}", DescribeEventThreadPriority(s.config.event_thread));
  }
  s.healthy = true;
  int exit_code = 0;
  while (!g_stop.load()) {
    int n = s.sensor->Poll(50, on_event);
    if (n < 0 && n != -EINTR) {
      spdlog::error("sensor poll failed: {}", std::strerror(-n));
      s.healthy = false;
      exit_code = 1;
      break;
    }
    const auto now = Clock::now();
    service_containers(now);
    if (options_.duration_s > 0 &&
        now - started >= std::chrono::duration<double>(options_.duration_s)) {
      break;
    }
    if (g_reopen.exchange(false)) {
      spdlog::info("SIGUSR1: reopening outputs");
      s.outputs->Reopen();
    }
    if (g_reload.exchange(false) && !pending_reload.valid()) {
      spdlog::info("SIGHUP: reloading config and rules");
      DaemonOptions opts = options_;
      reload_started = Clock::now();
      pending_reload = std::async(std::launch::async, [opts] { return LoadEverything(opts, true); });
    }
    if (pending_reload.valid() &&
        pending_reload.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      Loaded next = pending_reload.get();
      if (next.result.ruleset) LogDiagnostics(next.result);
      if (!next.errors.empty()) {
        for (const auto& e : next.errors) spdlog::error("reload refused: {}", e);
        spdlog::error("reload refused: keeping the previous rules and config");
        s.metrics.reloads_failed.fetch_add(1);
      } else {
        s.ruleset = std::move(next.ruleset);
        s.config = std::move(next.config);
        std::unique_ptr<OutputManager> old = std::move(s.outputs);
        s.outputs = std::move(next.outputs);
        s.retired.emplace_back([old = std::move(old)]() mutable { old.reset(); });
        s.sensor->SetInterest(interest_for(*s.ruleset));
        s.sensor->SetEnvCapture(s.ruleset->ReadsProcessEnv());
        InstallOpenPrefilter(*s.sensor, next.prefilter);
        s.metrics.rules_loaded = s.ruleset->rule_count();
        s.metrics.rules_skipped = next.skipped_rules;
        s.sequences.SetOptions(SequenceOptions{s.config.sequence_max_keys, s.config.sequence_max_partials});
        s.sequences.SetRuleset(s.ruleset);  // unchanged sequences keep their partial matches
        s.metrics.sequences_loaded = s.sequences.sequence_count();
        spdlog::info("reload: {} sequences, state kept for {} unchanged", s.sequences.sequence_count(),
                     s.sequences.stats().state_carried);
        s.metrics.reloads_ok.fetch_add(1);
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - reload_started).count();
        spdlog::info("reload done in {:.1f} ms: {} active rules", ms, s.ruleset->rule_count());
        if (next.skipped_rules > 0) {
          spdlog::warn("running without {} invalid rule(s) (engine.skip_invalid_rules: true)",
                       next.skipped_rules);
        }
      }
    }
    // Liveness: a child's exit a second must come back through the probes.
    if (s.config.self_protection) {
      canary.Tick(now);
      s.metrics.canary_sent.store(canary.sent(), std::memory_order_relaxed);
      s.metrics.canary_seen.store(canary.seen(), std::memory_order_relaxed);
      if (canary.SilenceStarted(now)) {
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(canary.silent_for(now)).count();
        spdlog::error("sensor silent: no canary event for {} s (sent {}, seen {})", secs,
                      canary.sent(), canary.seen());
        s.metrics.canary_silences.fetch_add(1, std::memory_order_relaxed);
        Alert a;
        a.ts_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
        a.rule = "vigil tampering: sensor silent";
        a.priority = Priority::kCritical;
        a.source = "internal";
        a.hostname = s.config.hostname.empty() ? Hostname() : s.config.hostname;
        a.output = "vigil: no canary event for " + std::to_string(secs) +
                   " s (probes detached, ring buffer full or consumer starved)";
        AlertField f;
        f.name = "vigil.silent_s";
        f.kind = AlertField::Kind::kUint;
        f.u = static_cast<uint64_t>(secs);
        a.output_fields = {f};
        a.tags = {"vigil", "self_protection", "mitre_defense_evasion", "T1562.001"};
        on_alert(a);
      } else if (canary.Recovered()) {
        spdlog::warn("sensor reporting again (canary seen)");
      }
    }
    if (now >= next_snapshot) {
      // Maps the daemon updates are checked against what it installed, once a second:
      // anything another process changed is restored and reported.
      std::vector<std::string> tampered = s.sensor->VerifyMaps();
      if (!tampered.empty()) {
        std::string parts;
        for (const auto& t : tampered) parts += (parts.empty() ? "" : ", ") + t;
        spdlog::error("probe maps modified by another process, restored: {}", parts);
        s.metrics.map_tamper.fetch_add(1, std::memory_order_relaxed);
        Alert a;
        a.ts_ns = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
        a.rule = "vigil tampering: probe maps modified";
        a.priority = Priority::kCritical;
        a.source = "internal";
        a.hostname = s.config.hostname.empty() ? Hostname() : s.config.hostname;
        a.output = "vigil: BPF maps modified by another process and restored (" + parts + ")";
        AlertField f;
        f.name = "vigil.tampered";
        f.kind = AlertField::Kind::kString;
        f.str = parts;
        a.output_fields = {f};
        a.tags = {"vigil", "self_protection", "mitre_defense_evasion", "T1562.001"};
        on_alert(a);
      }
      SensorStats sensor_stats = s.sensor->Stats();
      // Drops are blind spots: tell the alert sinks, at most once per kDropAlertInterval.
      if (sensor_stats.drops > drops_alerted && now >= next_drop_alert) {
        Alert drop_alert;
        drop_alert.ts_ns = static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count());
        drop_alert.rule = "vigil: events dropped";
        drop_alert.priority = Priority::kWarning;
        drop_alert.source = "internal";
        drop_alert.hostname = s.config.hostname.empty() ? Hostname() : s.config.hostname;
        uint64_t new_drops = sensor_stats.drops - drops_alerted;
        drop_alert.output = "vigil: " + std::to_string(new_drops) +
                            " kernel events dropped (total=" + std::to_string(sensor_stats.drops) +
                            "; ring_full=" + std::to_string(sensor_stats.drops_ring_full) +
                            " scratch_busy=" + std::to_string(sensor_stats.drops_scratch_busy) +
                            " reserve=" + std::to_string(sensor_stats.drops_reserve) +
                            " throttled=" + std::to_string(sensor_stats.drops_throttled) +
                            " priority=" + std::to_string(sensor_stats.drops_priority) + ")";
        AlertField dropped;
        dropped.name = "vigil.drops";
        dropped.kind = AlertField::Kind::kUint;
        dropped.u = new_drops;
        AlertField total;
        total.name = "vigil.drops_total";
        total.kind = AlertField::Kind::kUint;
        total.u = sensor_stats.drops;
        drop_alert.output_fields = {dropped, total};
        drop_alert.tags = {"vigil", "drops"};
        on_alert(drop_alert);
        ++s.metrics.drop_alerts;
        drops_alerted = sensor_stats.drops;
        next_drop_alert = now + kDropAlertInterval;
      }
      s.metrics.SetSensorStats(sensor_stats);
      s.metrics.SetSinkStats(s.outputs->Stats(), s.outputs->Totals());
      s.metrics.processes = s.table.size();
      if (containers) {
        ContainerStoreStats cs = containers->Stats();
        s.metrics.containers_cached = cs.cached;
        s.metrics.containers_pending = cs.pending;
        s.metrics.container_fetches = cs.fetches;
        s.metrics.container_fetch_failures = cs.failures;
        s.metrics.container_fetch_timeouts = cs.timeouts;
        s.metrics.container_evictions = cs.evictions;
        s.metrics.container_cache_bytes = cs.memory_bytes;
      }
      if (s.sequences.sequence_count() > 0) {
        const SequenceStats seq = s.sequences.stats();
        s.metrics.sequence_keys = seq.keys_live;
        s.metrics.sequence_state_bytes = seq.state_bytes;
        s.metrics.sequence_keys_evicted = seq.keys_evicted;
        s.metrics.sequence_partials_evicted = seq.partials_evicted;
      }
      next_snapshot = next_snapshot == started ? started + std::chrono::milliseconds(1500)
                                               : next_snapshot + std::chrono::seconds(1);  // keeps the phase
      if (next_snapshot <= now) next_snapshot = now + std::chrono::seconds(1);
    }
    if (s.config.stats_interval_s > 0 && now >= next_stats) {
      SensorStats st = s.sensor->Stats();
      spdlog::info("stats: events={} drops={} decode_errors={} alerts={} processes={}",
                   s.metrics.events.load(), st.drops, st.decode_errors, s.metrics.alerts.load(),
                   s.table.size());
      if (uint64_t skipped = s.metrics.rules_skipped.load(); skipped > 0) {
        spdlog::warn("running without {} invalid rule(s) (engine.skip_invalid_rules: true)",
                     skipped);
      }
      next_stats = now + std::chrono::seconds(s.config.stats_interval_s);
    }
  }
  s.healthy = false;
  // Drain what the kernel already wrote, then flush every sink.
  s.sensor->Poll(0, on_event);
  if (containers) {
    account(s.hold->Flush(eval_held));
    containers->Stop();
  }
  if (pending_reload.valid()) pending_reload.wait();
  s.outputs->Stop(std::chrono::seconds(3));
  SensorStats st = s.sensor->Stats();
  spdlog::info("stopped: events={} drops={} alerts={}", s.metrics.events.load(), st.drops,
               s.metrics.alerts.load());
  if (s.metrics_server) s.metrics_server->Stop();
  s.sensor.reset();
  return exit_code;
}

}  // namespace vigil
