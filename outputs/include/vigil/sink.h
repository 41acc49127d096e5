// sink.h — the interface of one alert destination (stdout, file, syslog, HTTP, program,
// unix socket). A Sink only delivers already formatted records; queuing, formatting,
// threading and counters live in QueuedSink (queued_sink.h), which owns the Sink.
// Thread safety: every virtual is called from the owning QueuedSink's worker thread only.
// Not on the event path: a Sink may block (network, disk), the event thread never waits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "vigil/alert.h"

namespace vigil {

// One alert handed to a sink: the alert itself (for its priority, time...) and its
// rendering in the sink's format (one line, no trailing newline).
struct FormattedAlert {
  const Alert* alert = nullptr;
  std::string text;
};

class Sink {
 public:
  Sink() = default;
  virtual ~Sink() = default;
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  // Short type name: "stdout", "file", "syslog", "http", "program", "unix_socket".
  virtual std::string_view kind() const noexcept = 0;
  // Delivers `records` in order and returns how many were delivered; the rest are
  // counted as failed. Must not throw.
  virtual std::size_t Write(std::span<const FormattedAlert> records) noexcept = 0;
  // Reopens files / reconnects (logrotate, SIGUSR1). Default: nothing to reopen.
  virtual void Reopen() noexcept {}
  // Most records handed to one Write (HTTP batching); 1 = one record per Write.
  virtual std::size_t max_batch() const noexcept { return 256; }

  // Called once by QueuedSink before the first Write: `abort` becomes true when shutdown
  // passed its deadline, and long waits (backoff, retries) must then return early.
  void set_abort_flag(const std::atomic<bool>* abort) noexcept { abort_ = abort; }

 protected:
  bool aborted() const noexcept { return abort_ != nullptr && abort_->load(std::memory_order_relaxed); }
  // Sleeps for `duration` in short slices; returns false (early) when aborted.
  bool SleepUnlessAborted(std::chrono::milliseconds duration) const noexcept;

 private:
  const std::atomic<bool>* abort_ = nullptr;
};

}  // namespace vigil
