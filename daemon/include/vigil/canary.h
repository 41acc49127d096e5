// canary.h — proof that the probes still report: once a second the daemon vforks a child
// that exits at once; its exit (procexit, reported by the sched_process_exit probe for any
// tgid but the daemon's) must come back through the ring. When none has come back for
// kSilentAfter, the sensor is silent (probes detached, ring full or consumer starved) and
// the daemon raises "vigil tampering: sensor silent".
// Owner: daemon. Not thread safe: the event thread calls everything. Observe() is on the
// hot path (two compares per event); Tick() is cold (one vfork a second).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "vigil/event.h"

namespace vigil {

class Canary {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr auto kInterval = std::chrono::seconds(1);
  static constexpr auto kSilentAfter = std::chrono::seconds(5);
  static constexpr int kUnansweredMin = 3;

  ~Canary();
  // Forks the next canary when one is due and reaps finished ones.
  void Tick(Clock::time_point now);
  // Notes a canary's exit.
  void Observe(const Event& ev) noexcept {
    if (ev.type == EventType::kProcExit && pending_ > 0 &&
        ev.tgid == static_cast<uint32_t>(pending_)) {
      last_seen_ = Clock::now();
      unanswered_ = 0;
      ++seen_;
    }
  }
  // True once per silence: no canary came back for kSilentAfter and at least
  // kUnansweredMin were sent meanwhile (so the daemon's own pauses, e.g. SIGSTOP or a
  // starved event loop, do not count as the sensor's silence).
  bool SilenceStarted(Clock::time_point now);
  // True once when a canary arrives again after a silence.
  bool Recovered();
  uint64_t sent() const { return sent_; }
  pid_t last_pid() const { return pending_; }
  uint64_t seen() const { return seen_; }
  Clock::duration silent_for(Clock::time_point now) const { return now - last_seen_; }

 private:
  pid_t pending_ = 0;  // the last canary's pid (its exit is what we wait for)
  std::vector<pid_t> unreaped_;  // only our own children are reaped (sinks spawn others)
  Clock::time_point next_{};
  Clock::time_point last_seen_ = Clock::now();
  bool silent_ = false;
  uint64_t sent_ = 0, seen_ = 0, seen_at_silence_ = 0;
  int unanswered_ = 0;  // canaries sent since the last one seen
};

}  // namespace vigil
