#include "vigil/compat_syscall_table.h"

#if defined(__x86_64__)
#include <asm/unistd_32.h>  // i386 numbers only: this file must not see the x86_64 ones
#endif
#include <linux/net.h>       // SYS_SOCKET... (socketcall call numbers)

#include <utility>

namespace vigil {
namespace {

using E = EventType;

#if defined(__x86_64__)
#ifdef __NR_fchmodat2
constexpr int kI386Fchmodat2 = __NR_fchmodat2;
#else
constexpr int kI386Fchmodat2 = 452;  // Linux 6.6; older uapi headers lack it
#endif
// i386 syscall -> vigil event type. Every call listed has the same argument order as the
// native call of that type (checked against the kernel's compat wrappers); the 16-bit uid
// calls (setuid, chown...) take 16-bit ids. Calls whose arguments differ (truncate64's split
// length, old umount without flags) are left out rather than misreported.
constexpr std::pair<int, E> kI386[] = {
    {__NR_execve, E::kExecve}, {__NR_execveat, E::kExecveat},
    {__NR_clone, E::kClone}, {__NR_clone3, E::kClone3}, {__NR_fork, E::kFork},
    {__NR_vfork, E::kVfork},
    {__NR_open, E::kOpen}, {__NR_openat, E::kOpenat}, {__NR_openat2, E::kOpenat2},
    {__NR_creat, E::kCreat}, {__NR_close, E::kClose},
    {__NR_unlink, E::kUnlink}, {__NR_unlinkat, E::kUnlinkat},
    {__NR_rename, E::kRename}, {__NR_renameat, E::kRenameat}, {__NR_renameat2, E::kRenameat2},
    {__NR_mkdir, E::kMkdir}, {__NR_mkdirat, E::kMkdirat}, {__NR_rmdir, E::kRmdir},
    {__NR_symlink, E::kSymlink}, {__NR_symlinkat, E::kSymlinkat},
    {__NR_link, E::kLink}, {__NR_linkat, E::kLinkat},
    {__NR_chmod, E::kChmod}, {__NR_fchmod, E::kFchmod}, {__NR_fchmodat, E::kFchmodat},
    {__NR_chown, E::kChown}, {__NR_chown32, E::kChown},
    {__NR_lchown, E::kLchown}, {__NR_lchown32, E::kLchown},
    {__NR_fchown, E::kFchown}, {__NR_fchown32, E::kFchown}, {__NR_fchownat, E::kFchownat},
    {__NR_truncate, E::kTruncate}, {__NR_ftruncate, E::kFtruncate},
    {__NR_mount, E::kMount}, {__NR_umount2, E::kUmount2},
    {__NR_memfd_create, E::kMemfdCreate}, {__NR_chdir, E::kChdir}, {__NR_fchdir, E::kFchdir},
    {__NR_socket, E::kSocket}, {__NR_connect, E::kConnect}, {__NR_accept4, E::kAccept4},
    {__NR_bind, E::kBind}, {__NR_listen, E::kListen}, {__NR_sendto, E::kSendto},
    {__NR_recvfrom, E::kRecvfrom}, {__NR_sendmsg, E::kSendmsg}, {__NR_recvmsg, E::kRecvmsg},
    {__NR_setuid, E::kSetuid}, {__NR_setuid32, E::kSetuid},
    {__NR_setgid, E::kSetgid}, {__NR_setgid32, E::kSetgid},
    {__NR_setreuid, E::kSetreuid}, {__NR_setreuid32, E::kSetreuid},
    {__NR_setregid, E::kSetregid}, {__NR_setregid32, E::kSetregid},
    {__NR_setresuid, E::kSetresuid}, {__NR_setresuid32, E::kSetresuid},
    {__NR_setresgid, E::kSetresgid}, {__NR_setresgid32, E::kSetresgid},
    {__NR_capset, E::kCapset}, {__NR_ptrace, E::kPtrace},
    {__NR_init_module, E::kInitModule}, {__NR_finit_module, E::kFinitModule},
    {__NR_bpf, E::kBpf}, {__NR_prctl, E::kPrctl},
    {__NR_dup, E::kDup}, {__NR_dup2, E::kDup2}, {__NR_dup3, E::kDup3},
    {__NR_kill, E::kKill}, {__NR_tkill, E::kTkill}, {__NR_tgkill, E::kTgkill},
    {__NR_setns, E::kSetns}, {__NR_unshare, E::kUnshare},
    {__NR_userfaultfd, E::kUserfaultfd}, {__NR_pipe, E::kPipe}, {__NR_pipe2, E::kPipe2},
    // Issue 13's calls. utimensat/futimesat/utimes/utime take 32-bit times (only the path
    // and flags are decoded); fcntl/fcntl64 become the native fcntl (F_DUPFD* filtered in
    // the probe, reported as dup). Left out: old mmap (one struct pointer) and mmap2 (its
    // offset counts pages), rather than misreported.
    {__NR_name_to_handle_at, E::kNameToHandleAt}, {__NR_open_by_handle_at, E::kOpenByHandleAt},
    {kI386Fchmodat2, E::kFchmodat2},
    {__NR_utimensat, E::kUtimensat}, {__NR_utimensat_time64, E::kUtimensat},
    {__NR_futimesat, E::kFutimesat}, {__NR_utimes, E::kUtimes}, {__NR_utime, E::kUtime},
    {__NR_setxattr, E::kSetxattr}, {__NR_lsetxattr, E::kLsetxattr},
    {__NR_fsetxattr, E::kFsetxattr},
    {__NR_process_vm_readv, E::kProcessVmReadv}, {__NR_process_vm_writev, E::kProcessVmWritev},
    {__NR_pidfd_open, E::kPidfdOpen}, {__NR_pidfd_getfd, E::kPidfdGetfd},
    {__NR_fcntl, E::kDup}, {__NR_fcntl64, E::kDup},
    {__NR_mprotect, E::kMprotect}, {__NR_io_uring_setup, E::kIoUringSetup},
};
constexpr int kSocketcall = __NR_socketcall;
#else
constexpr std::pair<int, E> kI386[] = {{-1, E::kUnknown}};
constexpr int kSocketcall = -1;
#endif

// socketcall(call, args): send/recv are sendto/recvfrom without an address.
constexpr std::pair<int, E> kSocketcalls[] = {
    {SYS_SOCKET, E::kSocket}, {SYS_BIND, E::kBind}, {SYS_CONNECT, E::kConnect},
    {SYS_LISTEN, E::kListen}, {SYS_ACCEPT, E::kAccept}, {SYS_ACCEPT4, E::kAccept4},
    {SYS_SEND, E::kSendto}, {SYS_SENDTO, E::kSendto}, {SYS_RECV, E::kRecvfrom},
    {SYS_RECVFROM, E::kRecvfrom}, {SYS_SENDMSG, E::kSendmsg}, {SYS_RECVMSG, E::kRecvmsg},
};

}  // namespace

std::optional<EventType> CompatEventType(uint32_t i386_nr) noexcept {
  for (const auto& [nr, type] : kI386)
    if (nr >= 0 && static_cast<uint32_t>(nr) == i386_nr) return type;
  return std::nullopt;
}

std::optional<EventType> CompatSocketcallType(uint32_t call) noexcept {
  if (kSocketcall < 0) return std::nullopt;
  for (const auto& [c, type] : kSocketcalls)
    if (static_cast<uint32_t>(c) == call) return type;
  return std::nullopt;
}

int CompatSocketcallNr() noexcept { return kSocketcall; }

void FillCompatTables(const SyscallTable& table, uint16_t (&nr)[VIGIL_NR_MAX],
                      uint16_t (&socketcall)[VIGIL_SOCKETCALL_MAX]) noexcept {
  for (auto& n : nr) n = VIGIL_COMPAT_NONE;
  for (auto& n : socketcall) n = VIGIL_COMPAT_NONE;
  auto native = [&table](EventType type) -> uint16_t {
    const std::vector<int>& nrs = table.NumbersFor(type);
    return nrs.empty() ? VIGIL_COMPAT_NONE : static_cast<uint16_t>(nrs.front());
  };
  for (const auto& [i386, type] : kI386) {
    if (i386 >= 0 && i386 < VIGIL_NR_MAX) nr[i386] = native(type);
  }
#if defined(__x86_64__)
  // fcntl's event type is dup, but the probe must see the native fcntl (its F_DUPFD filter
  // and argument layout), not dup's number.
  const uint16_t fcntl = table.nr_fcntl >= 0 ? static_cast<uint16_t>(table.nr_fcntl)
                                             : uint16_t{VIGIL_COMPAT_NONE};
  nr[__NR_fcntl] = fcntl;
  nr[__NR_fcntl64] = fcntl;
#endif
  if (kSocketcall < 0) return;
  for (const auto& [call, type] : kSocketcalls) {
    if (call >= 0 && call < VIGIL_SOCKETCALL_MAX) socketcall[call] = native(type);
  }
}

}  // namespace vigil
