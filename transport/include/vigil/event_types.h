// event_types.h — the closed list of event types vigil decodes, with their Falco names.
// Owned by transport; read by every later stage. Pure data, no state, hot-path safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vigil {

// X(enumerator, "falco evt.type name")
#define VIGIL_EVENT_TYPES(X)                                                               \
  X(kUnknown, "unknown")                                                                   \
  X(kExecve, "execve") X(kExecveat, "execveat")                                            \
  X(kClone, "clone") X(kClone3, "clone3") X(kFork, "fork") X(kVfork, "vfork")              \
  X(kProcExit, "procexit")                                                                 \
  X(kOpen, "open") X(kOpenat, "openat") X(kOpenat2, "openat2") X(kCreat, "creat")          \
  X(kClose, "close")                                                                       \
  X(kUnlink, "unlink") X(kUnlinkat, "unlinkat")                                            \
  X(kRename, "rename") X(kRenameat, "renameat") X(kRenameat2, "renameat2")                 \
  X(kMkdir, "mkdir") X(kMkdirat, "mkdirat") X(kRmdir, "rmdir")                             \
  X(kSymlink, "symlink") X(kSymlinkat, "symlinkat") X(kLink, "link") X(kLinkat, "linkat")  \
  X(kChmod, "chmod") X(kFchmod, "fchmod") X(kFchmodat, "fchmodat")                         \
  X(kChown, "chown") X(kLchown, "lchown") X(kFchown, "fchown") X(kFchownat, "fchownat")    \
  X(kTruncate, "truncate") X(kFtruncate, "ftruncate")                                      \
  X(kMount, "mount") X(kUmount2, "umount2") X(kMemfdCreate, "memfd_create")                \
  X(kSocket, "socket") X(kConnect, "connect") X(kAccept, "accept") X(kAccept4, "accept4")  \
  X(kBind, "bind") X(kListen, "listen")                                                    \
  X(kSendto, "sendto") X(kRecvfrom, "recvfrom") X(kSendmsg, "sendmsg") X(kRecvmsg, "recvmsg") \
  X(kSetuid, "setuid") X(kSetgid, "setgid") X(kSetreuid, "setreuid") X(kSetregid, "setregid") \
  X(kSetresuid, "setresuid") X(kSetresgid, "setresgid") X(kCapset, "capset")               \
  X(kPtrace, "ptrace") X(kInitModule, "init_module") X(kFinitModule, "finit_module")       \
  X(kBpf, "bpf") X(kPrctl, "prctl")                                                        \
  X(kDup, "dup") X(kDup2, "dup2") X(kDup3, "dup3")                                         \
  X(kKill, "kill") X(kTkill, "tkill") X(kTgkill, "tgkill")                                 \
  X(kSetns, "setns") X(kUnshare, "unshare") X(kChdir, "chdir") X(kFchdir, "fchdir")        \
  X(kUserfaultfd, "userfaultfd") X(kPipe, "pipe") X(kPipe2, "pipe2")                       \
  X(kNameToHandleAt, "name_to_handle_at") X(kOpenByHandleAt, "open_by_handle_at")         \
  X(kFchmodat2, "fchmodat2") X(kUtimensat, "utimensat") X(kFutimesat, "futimesat")         \
  X(kUtimes, "utimes") X(kUtime, "utime")                                                  \
  X(kSetxattr, "setxattr") X(kLsetxattr, "lsetxattr") X(kFsetxattr, "fsetxattr")           \
  X(kProcessVmReadv, "process_vm_readv") X(kProcessVmWritev, "process_vm_writev")          \
  X(kPidfdOpen, "pidfd_open") X(kPidfdGetfd, "pidfd_getfd")                                \
  X(kMmap, "mmap") X(kMprotect, "mprotect") X(kIoUringSetup, "io_uring_setup")            \
  X(kRead, "read") X(kWrite, "write") X(kReadv, "readv") X(kWritev, "writev")              \
  X(kDropped, "drop") X(kContainer, "container")

enum class EventType : uint16_t {
#define VIGIL_X_ENUM(e, n) e,
  VIGIL_EVENT_TYPES(VIGIL_X_ENUM)
#undef VIGIL_X_ENUM
  kCount
};

inline constexpr std::size_t kEventTypeCount = static_cast<std::size_t>(EventType::kCount);

// Falco name of an event type ("openat"); "unknown" for out-of-range values.
std::string_view EventTypeName(EventType t) noexcept;

// Reverse lookup by Falco name; nullopt when vigil does not know the name.
std::optional<EventType> EventTypeFromName(std::string_view name) noexcept;

}  // namespace vigil
