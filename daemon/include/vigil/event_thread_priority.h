// event_thread_priority.h — raises the scheduling priority of the calling thread, the
// daemon's event thread (it drains the ring buffer and evaluates the rules), so that CPU-bound
// processes on a busy host cannot starve it until the ring overflows (docs/performance.md
// "Contention"). Only this thread: the output, container and metrics threads keep the
// default. Cold path: called once before the event loop; not thread safe.
#pragma once

#include <string>

namespace vigil {

struct EventThreadPriority {
  int nice = -10;         // sensor.event_thread_nice: -20..19 (0 = leave as started)
  bool realtime = false;  // sensor.event_thread_realtime: SCHED_RR priority 1
};

// Applies `p` to the calling thread. Returns "" on success, else what failed and what to do
// (e.g. grant CAP_SYS_NICE); the daemon runs on at the old priority and logs it.
std::string RaiseEventThreadPriority(const EventThreadPriority& p);

// "nice -10", "SCHED_RR 1": what RaiseEventThreadPriority set, for the start-up log.
std::string DescribeEventThreadPriority(const EventThreadPriority& p);

}  // namespace vigil
