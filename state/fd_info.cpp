#include "vigil/fd_info.h"

namespace vigil {

char FdTypeChar(FdType t) noexcept {
  switch (t) {
    case FdType::kFile: return 'f';
    case FdType::kDirectory: return 'd';
    case FdType::kIpv4: return '4';
    case FdType::kIpv6: return '6';
    case FdType::kUnix: return 'u';
    case FdType::kPipe: return 'p';
    case FdType::kEvent: return 'e';
    case FdType::kSignalfd: return 's';
    case FdType::kEventpoll: return 'l';
    case FdType::kInotify: return 'i';
    case FdType::kTimerfd: return 't';
    case FdType::kNetlink: return 'n';
    case FdType::kMemfd: return 'm';
    case FdType::kBpf: return 'b';
    case FdType::kUserfaultfd: return 'u';
    case FdType::kIoUring: return 'r';
    case FdType::kUnknown: break;
  }
  return 'o';
}

const char* FdTypeName(FdType t) noexcept {
  switch (t) {
    case FdType::kFile: return "file";
    case FdType::kDirectory: return "directory";
    case FdType::kIpv4: return "ipv4";
    case FdType::kIpv6: return "ipv6";
    case FdType::kUnix: return "unix";
    case FdType::kPipe: return "pipe";
    case FdType::kEvent: return "event";
    case FdType::kSignalfd: return "signalfd";
    case FdType::kEventpoll: return "eventpoll";
    case FdType::kInotify: return "inotify";
    case FdType::kTimerfd: return "timerfd";
    case FdType::kNetlink: return "netlink";
    case FdType::kMemfd: return "memfd";
    case FdType::kBpf: return "bpf";
    case FdType::kUserfaultfd: return "userfaultfd";
    case FdType::kIoUring: return "io_uring";
    case FdType::kUnknown: break;
  }
  return "<NA>";
}

}  // namespace vigil
