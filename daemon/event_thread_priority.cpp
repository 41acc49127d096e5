#include "vigil/event_thread_priority.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vigil {

std::string RaiseEventThreadPriority(const EventThreadPriority& p) {
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  if (p.nice != 0 && ::setpriority(PRIO_PROCESS, tid, p.nice) != 0) {
    return "cannot set the event thread's nice value to " + std::to_string(p.nice) + ": " +
           std::strerror(errno) +
           " (grant CAP_SYS_NICE, or set sensor.event_thread_nice: 0 to run at the default)";
  }
  if (p.realtime) {
    sched_param param{};
    param.sched_priority = 1;
    if (::sched_setscheduler(0, SCHED_RR, &param) != 0) {  // 0: the calling thread
      return std::string("cannot make the event thread SCHED_RR: ") + std::strerror(errno) +
             " (grant CAP_SYS_NICE, or set sensor.event_thread_realtime: false)";
    }
  }
  return "";
}

std::string DescribeEventThreadPriority(const EventThreadPriority& p) {
  std::string text = "nice " + std::to_string(p.nice);
  if (p.realtime) text += ", SCHED_RR 1";
  return text;
}

}  // namespace vigil
