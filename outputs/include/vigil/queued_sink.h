// queued_sink.h — a Sink behind its own bounded queue and worker thread, with counters.
// Owner: OutputManager (one per configured sink).
// Thread safety: Submit/Flush/Reopen/Stats may be called from any thread. Submit is the
// event-path entry: it never blocks on I/O (a short mutex section to push a pointer) and
// never allocates; a full queue drops the alert and counts it. Formatting and delivery
// happen on the worker thread. SIGPIPE is blocked on the worker thread.
// With a disk spool (DiskSpool, at-least-once): the worker writes every alert it takes
// from the queue to the spool first (so a crash or restart loses nothing that left the
// queue), then delivers from the spool in order and acknowledges what the sink took; a
// failed delivery is retried with exponential backoff while new alerts keep going to
// disk. The event thread still only pushes a pointer.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "vigil/alert.h"
#include "vigil/disk_spool.h"
#include "vigil/output_format.h"
#include "vigil/sink.h"

namespace vigil {

struct SinkOptions {
  std::string name;                           // shown in Stats(), e.g. "http"
  OutputFormat format = OutputFormat::kJson;
  Priority min_priority = Priority::kDebug;   // alerts less severe than this are skipped
  std::size_t queue_capacity = 10000;
  // With a spool: wait after a failed delivery, doubling up to the max.
  std::chrono::milliseconds retry_backoff{200};
  std::chrono::milliseconds max_retry_backoff{5000};
};

struct SinkStats {
  std::string name;
  uint64_t sent = 0;      // records the sink delivered
  uint64_t failed = 0;    // records the sink could not deliver (after its retries)
  uint64_t dropped = 0;   // alerts refused because the queue was full (or left at shutdown)
  uint64_t filtered = 0;  // alerts below this sink's min_priority
  std::size_t queue_depth = 0;
  bool spool_enabled = false;
  DiskSpoolStats spool;   // only with spool_enabled
  uint64_t replayed = 0;  // delivered from the spool after a failed attempt or a restart
};

class QueuedSink {
 public:
  // Starts the worker thread.
  // `spool` (optional): the sink's disk spool, opened by the caller.
  QueuedSink(SinkOptions options, std::unique_ptr<Sink> sink, std::unique_ptr<DiskSpool> spool = nullptr);
  // Spool opened later by the worker, once this process's previous holder of the
  // directory closed it (a reload builds the new outputs while the old ones still run).
  QueuedSink(SinkOptions options, std::unique_ptr<Sink> sink, DiskSpoolOptions deferred_spool);
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
  void RunSpooled();
  bool OpenDeferredSpool();  // worker: retries until opened; false when stopping
  // Spool mode: delivers one batch from the spool; false if the sink failed.
  bool DeliverFromSpool(std::vector<std::string>* peeked, std::vector<Alert>* decoded,
                        std::vector<FormattedAlert>* records);

  const SinkOptions options_;
  std::unique_ptr<Sink> sink_;
  std::unique_ptr<DiskSpool> spool_;            // set before the worker starts, or by it
  std::atomic<const DiskSpool*> spool_view_{nullptr};  // for Stats() from other threads
  const bool spooled_;
  std::optional<DiskSpoolOptions> deferred_spool_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;   // worker waits for alerts / stop / reopen
  std::condition_variable done_cv_;   // Flush waits for progress
  std::vector<std::shared_ptr<const Alert>> ring_;  // fixed capacity, allocated once
  std::size_t head_ = 0;              // next to pop
  std::size_t count_ = 0;
  uint64_t accepted_ = 0;             // alerts pushed, ever
  uint64_t completed_ = 0;            // alerts delivered/failed/dropped by the worker
  bool stop_ = false;
  bool exited_ = false;               // the worker returned (Flush stops waiting)
  std::size_t in_hand_ = 0;           // spool mode: taken from the queue, not yet on disk
  uint64_t spool_pending_ = 0;        // spool mode: records on disk not yet delivered
  bool replaying_ = false;            // spool mode: delivering what waited (counts replayed)
  uint64_t spool_failed_logged_ns_ = 0;

  std::atomic<bool> reopen_requested_{false};
  std::atomic<bool> abort_{false};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> filtered_{0};
  std::atomic<uint64_t> replayed_{0};

  std::thread worker_;
};

}  // namespace vigil
