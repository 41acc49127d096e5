// queued_sink.h — a Sink behind its own bounded queue and worker thread, with counters.
// Owner: OutputManager (one per configured sink).
// Thread safety: Submit/Flush/Reopen/Stats may be called from any thread. Submit is the
// event-path entry: it never blocks on I/O (a short mutex section to push a pointer) and
// never allocates; a full queue drops the alert and counts it. Formatting and delivery
// happen on the worker thread. SIGPIPE is blocked on the worker thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "vigil/alert.h"
#include "vigil/output_format.h"
#include "vigil/sink.h"

namespace vigil {

struct SinkOptions {
  std::string name;                           // shown in Stats(), e.g. "http"
  OutputFormat format = OutputFormat::kJson;
  Priority min_priority = Priority::kDebug;   // alerts less severe than this are skipped
  std::size_t queue_capacity = 10000;
};

struct SinkStats {
  std::string name;
  uint64_t sent = 0;      // records the sink delivered
  uint64_t failed = 0;    // records the sink could not deliver (after its retries)
  uint64_t dropped = 0;   // alerts refused because the queue was full (or left at shutdown)
  uint64_t filtered = 0;  // alerts below this sink's min_priority
  std::size_t queue_depth = 0;
};

class QueuedSink {
 public:
  // Starts the worker thread.
  QueuedSink(SinkOptions options, std::unique_ptr<Sink> sink);
  // Stop(1 s).
  ~QueuedSink();
  QueuedSink(const QueuedSink&) = delete;
  QueuedSink& operator=(const QueuedSink&) = delete;

  // Non-blocking. Returns false when the alert was filtered or dropped.
  bool Submit(std::shared_ptr<const Alert> alert) noexcept;
  // Waits until every alert submitted before the call was delivered or failed.
  // Returns false on timeout.
  bool Flush(std::chrono::milliseconds timeout);
  // Asks the worker to call Sink::Reopen() before its next write. Call it from the
  // daemon's signal-handling thread (SIGUSR1/SIGHUP), not from a signal handler.
  void Reopen() noexcept;
  // Flushes for up to `timeout`, then aborts the sink's waits, counts what is still
  // queued as dropped and joins the worker. Idempotent.
  void Stop(std::chrono::milliseconds timeout);
  SinkStats Stats() const;
  const SinkOptions& options() const noexcept { return options_; }

 private:
  void Run();

  const SinkOptions options_;
  std::unique_ptr<Sink> sink_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // worker waits for alerts / stop / reopen
  std::condition_variable done_cv_;   // Flush waits for progress
  std::vector<std::shared_ptr<const Alert>> ring_;  // fixed capacity, allocated once
  std::size_t head_ = 0;              // next to pop
  std::size_t count_ = 0;
  uint64_t accepted_ = 0;             // alerts pushed, ever
  uint64_t completed_ = 0;            // alerts delivered/failed/dropped by the worker
  bool stop_ = false;

  std::atomic<bool> reopen_requested_{false};
  std::atomic<bool> abort_{false};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> filtered_{0};

  std::thread worker_;
};

}  // namespace vigil
