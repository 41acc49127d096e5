// output_manager.h — the alert dispatcher: owns the sinks, applies the global minimum
// priority and per-rule rate limiting, and fans each alert out to every sink's queue.
// Owner: the daemon (one per process). Thread safety: all methods may be called from any
// thread, except AddSink (set-up only, before the first Submit). Submit is serialised by a
// mutex held only for the rate-limit lookup and the queue pushes; Flush/Stats never take it. Submit is the event-path entry: it never blocks on I/O (full queues drop
// and count); it allocates one shared copy of the alert for all sinks. Alerts without a
// hostname get this machine's; alerts without a uuid get a fresh one (Alert::uuid).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "vigil/alert.h"
#include "vigil/alert_uuid.h"
#include "vigil/outputs_config.h"
#include "vigil/queued_sink.h"
#include "vigil/rate_limiter.h"

namespace vigil {

struct OutputTotals {
  uint64_t submitted = 0;   // Submit calls
  uint64_t filtered = 0;    // below the global min_priority
  uint64_t suppressed = 0;  // folded by the rate limiter
};

class OutputManager {
 public:
  struct Options {
    Priority min_priority = Priority::kDebug;
    RateLimitConfig rate_limit;
  };
  explicit OutputManager(Options options);
  // Flush(2 s) then stops every sink.
  ~OutputManager();
  OutputManager(const OutputManager&) = delete;
  OutputManager& operator=(const OutputManager&) = delete;

  // Builds the manager and every enabled sink of `config`. Returns nullptr and appends
  // "outputs.<sink>: what" messages to *errors when a sink cannot start (e.g. the alert
  // file cannot be opened, its spool directory is locked by another vigil). No sink
  // enabled is valid (alerts are then only counted). Logs each enabled sink, where it
  // sends and whether it spools.
  static std::unique_ptr<OutputManager> Create(const OutputsConfig& config,
                                               std::vector<std::string>* errors);

  // Adds a sink (before the first Submit; also how tests and embedders plug their own).
  // `spool`: optional disk spool for this sink (at-least-once delivery).
  void AddSink(SinkOptions options, std::unique_ptr<Sink> sink, std::unique_ptr<DiskSpool> spool = nullptr);

  void Submit(const Alert& alert);
  void Submit(Alert&& alert);
  // Waits until every sink delivered (or failed) what was submitted before the call.
  // Returns false if some sink did not finish within `timeout` (shared by all sinks).
  bool Flush(std::chrono::milliseconds timeout);
  // Reopens files / reconnects sockets in every sink (SIGUSR1, logrotate).
  void Reopen();
  // Flushes for up to `timeout`, then stops every sink's worker. Idempotent.
  void Stop(std::chrono::milliseconds timeout);
  std::vector<SinkStats> Stats() const;
  OutputTotals Totals() const;

 private:
  void Dispatch(std::shared_ptr<const Alert> alert);
  bool Admit(const Alert& alert, uint64_t* folded);

  const Options options_;
  mutable std::mutex mu_;
  const std::string hostname_;  // fills alerts that carry no hostname
  AlertRateLimiter rate_limiter_;
  AlertUuidGenerator uuids_;
  OutputTotals totals_;
  std::vector<std::unique_ptr<QueuedSink>> sinks_;
};

}  // namespace vigil
