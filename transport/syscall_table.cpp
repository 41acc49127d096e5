#include "vigil/syscall_table.h"

#include <sys/syscall.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string_view>

// Numbers older libc headers may lack (x86_64 ABI; the same on every 64-bit arch that has
// the generic table since 5.x).
#if !defined(SYS_fchmodat2)
#define SYS_fchmodat2 452
#endif
#if !defined(SYS_pidfd_open)
#define SYS_pidfd_open 434
#endif
#if !defined(SYS_pidfd_getfd)
#define SYS_pidfd_getfd 438
#endif

namespace vigil {
namespace {

using P = ParamSource;

constexpr P Raw(ArgId id, uint8_t i) { return P{id, P::kRaw, i}; }
constexpr P Int(ArgId id, uint8_t i) { return P{id, P::kRawInt, i}; }
constexpr P Res(ArgId id) { return P{id, P::kResult, 0}; }
constexpr P Str(ArgId id, uint8_t slot) { return P{id, P::kString, slot}; }
constexpr P Extra(ArgId id) { return P{id, P::kExtraString, 0}; }
constexpr P FdPath(ArgId id) { return P{id, P::kFdPath, 0}; }

constexpr uint8_t kNone = VIGIL_ARG_NONE;
constexpr uint8_t kCwd = VIGIL_DIR_CWD;

// Capture description builder: strings with their directory source, socket details.
struct D {
  vigil_sc_desc d{0, {kNone, kNone}, {kNone, kNone}, kNone, kNone, kNone};
  D& S0(uint8_t arg, uint8_t dir = kNone) { d.str_arg[0] = arg; d.dir_arg[0] = dir; return *this; }
  D& S1(uint8_t arg, uint8_t dir = kNone) { d.str_arg[1] = arg; d.dir_arg[1] = dir; return *this; }
  D& ResFdPath() { d.str_arg[0] = VIGIL_STR_RES_FD; return *this; }
  D& FdArgPath(uint8_t fd_arg) { d.str_arg[0] = VIGIL_STR_FD_ARG; d.dir_arg[0] = fd_arg; return *this; }
  D& Flags(uint8_t f) { d.flags |= f; return *this; }
  D& Tuple(uint8_t fd) { d.flags |= VIGIL_SC_TUPLE; d.fd_arg = fd; return *this; }
  D& Addr(uint8_t addr, uint8_t len, bool len_is_ptr = false) {
    d.flags |= VIGIL_SC_TUPLE | VIGIL_SC_USER_ADDR;
    if (len_is_ptr) d.flags |= VIGIL_SC_USER_ADDR_PLEN;
    d.addr_arg = addr;
    d.addr_len_arg = len;
    return *this;
  }
};

}  // namespace

const SyscallTable& SyscallTable::Get() {
  static const SyscallTable table;
  return table;
}

SyscallTable::SyscallTable() {
  auto add = [this](long nr, EventType type, D d, std::initializer_list<P> params) {
    SyscallSpec s;
    s.nr = static_cast<int>(nr);
    s.type = type;
    s.desc = d.d;
    if (params.size() > kMaxParams) {
      // A programming error in this table: never drop an argument silently.
      const std::string_view name = EventTypeName(type);
      std::fprintf(stderr, "vigil: syscall table: %.*s has %zu arguments, more than %zu\n",
                   static_cast<int>(name.size()), name.data(), params.size(), kMaxParams);
      std::abort();
    }
    std::size_t i = 0;
    for (const P& p : params) s.params[i++] = p;
    specs_.push_back(s);
  };
  using A = ArgId;
  using E = EventType;
  // Process life cycle. Success comes from sched_process_exec / sched_process_fork.
  add(SYS_execve, E::kExecve, D().S0(0, kCwd).Flags(VIGIL_SC_SKIP_SUCCESS),
      {Str(A::kFilename, 0)});
  add(SYS_execveat, E::kExecveat, D().S0(1, 0).Flags(VIGIL_SC_SKIP_SUCCESS),
      {Int(A::kDirfd, 0), Str(A::kPathname, 0), Raw(A::kFlags, 4)});
  add(SYS_clone, E::kClone, D().Flags(VIGIL_SC_SKIP_SUCCESS), {Raw(A::kFlags, 0)});
  add(SYS_clone3, E::kClone3, D().Flags(VIGIL_SC_SKIP_SUCCESS), {});
#ifdef SYS_fork
  add(SYS_fork, E::kFork, D().Flags(VIGIL_SC_SKIP_SUCCESS), {});
#endif
#ifdef SYS_vfork
  add(SYS_vfork, E::kVfork, D().Flags(VIGIL_SC_SKIP_SUCCESS), {});
#endif
  // Files.
#ifdef SYS_open
  add(SYS_open, E::kOpen, D().S0(0, kCwd).Flags(VIGIL_SC_OPEN),
      {Res(A::kFd), Str(A::kName, 0), Raw(A::kFlags, 1), Raw(A::kMode, 2)});
#endif
  add(SYS_openat, E::kOpenat, D().S0(1, 0).Flags(VIGIL_SC_OPEN),
      {Res(A::kFd), Int(A::kDirfd, 0), Str(A::kName, 0), Raw(A::kFlags, 2), Raw(A::kMode, 3)});
  add(SYS_openat2, E::kOpenat2, D().S0(1, 0).Flags(VIGIL_SC_DEREF_A2 | VIGIL_SC_OPEN),
      {Res(A::kFd), Int(A::kDirfd, 0), Str(A::kName, 0), Raw(A::kFlags, 2), Raw(A::kMode, 3)});
#ifdef SYS_creat
  add(SYS_creat, E::kCreat, D().S0(0, kCwd).Flags(VIGIL_SC_OPEN | VIGIL_SC_OPEN_WRITE), {Res(A::kFd), Str(A::kName, 0), Raw(A::kMode, 1)});
#endif
  add(SYS_close, E::kClose, D(), {Int(A::kFd, 0)});
#ifdef SYS_unlink
  add(SYS_unlink, E::kUnlink, D().S0(0, kCwd), {Str(A::kPath, 0)});
#endif
  add(SYS_unlinkat, E::kUnlinkat, D().S0(1, 0),
      {Int(A::kDirfd, 0), Str(A::kName, 0), Raw(A::kFlags, 2)});
#ifdef SYS_rename
  add(SYS_rename, E::kRename, D().S0(0, kCwd).S1(1, kCwd),
      {Str(A::kOldpath, 0), Str(A::kNewpath, 1)});
#endif
#ifdef SYS_renameat
  add(SYS_renameat, E::kRenameat, D().S0(1, 0).S1(3, 2),
      {Int(A::kOlddirfd, 0), Str(A::kOldpath, 0), Int(A::kNewdirfd, 2), Str(A::kNewpath, 1)});
#endif
  add(SYS_renameat2, E::kRenameat2, D().S0(1, 0).S1(3, 2),
      {Int(A::kOlddirfd, 0), Str(A::kOldpath, 0), Int(A::kNewdirfd, 2), Str(A::kNewpath, 1),
       Raw(A::kFlags, 4)});
#ifdef SYS_mkdir
  add(SYS_mkdir, E::kMkdir, D().S0(0, kCwd), {Str(A::kPath, 0), Raw(A::kMode, 1)});
#endif
  add(SYS_mkdirat, E::kMkdirat, D().S0(1, 0),
      {Int(A::kDirfd, 0), Str(A::kPath, 0), Raw(A::kMode, 2)});
#ifdef SYS_rmdir
  add(SYS_rmdir, E::kRmdir, D().S0(0, kCwd), {Str(A::kPath, 0)});
#endif
#ifdef SYS_symlink
  add(SYS_symlink, E::kSymlink, D().S0(0).S1(1, kCwd),
      {Str(A::kTarget, 0), Str(A::kLinkpath, 1)});
#endif
  add(SYS_symlinkat, E::kSymlinkat, D().S0(0).S1(2, 1),
      {Str(A::kTarget, 0), Int(A::kLinkdirfd, 1), Str(A::kLinkpath, 1)});
#ifdef SYS_link
  add(SYS_link, E::kLink, D().S0(0, kCwd).S1(1, kCwd),
      {Str(A::kOldpath, 0), Str(A::kNewpath, 1)});
#endif
  add(SYS_linkat, E::kLinkat, D().S0(1, 0).S1(3, 2),
      {Int(A::kOlddir, 0), Str(A::kOldpath, 0), Int(A::kNewdir, 2), Str(A::kNewpath, 1),
       Raw(A::kFlags, 4)});
#ifdef SYS_chmod
  add(SYS_chmod, E::kChmod, D().S0(0, kCwd), {Str(A::kFilename, 0), Raw(A::kMode, 1)});
#endif
  add(SYS_fchmod, E::kFchmod, D(), {Int(A::kFd, 0), Raw(A::kMode, 1)});
  add(SYS_fchmodat, E::kFchmodat, D().S0(1, 0),
      {Int(A::kDirfd, 0), Str(A::kFilename, 0), Raw(A::kMode, 2)});
#ifdef SYS_chown
  add(SYS_chown, E::kChown, D().S0(0, kCwd),
      {Str(A::kPath, 0), Int(A::kUid, 1), Int(A::kGid, 2)});
#endif
#ifdef SYS_lchown
  add(SYS_lchown, E::kLchown, D().S0(0, kCwd),
      {Str(A::kPath, 0), Int(A::kUid, 1), Int(A::kGid, 2)});
#endif
  add(SYS_fchown, E::kFchown, D(), {Int(A::kFd, 0), Int(A::kUid, 1), Int(A::kGid, 2)});
  add(SYS_fchownat, E::kFchownat, D().S0(1, 0),
      {Int(A::kDirfd, 0), Str(A::kPathname, 0), Int(A::kUid, 2), Int(A::kGid, 3),
       Raw(A::kFlags, 4)});
  add(SYS_truncate, E::kTruncate, D().S0(0, kCwd), {Str(A::kPath, 0), Raw(A::kLength, 1)});
  add(SYS_ftruncate, E::kFtruncate, D(), {Int(A::kFd, 0), Raw(A::kLength, 1)});
  add(SYS_mount, E::kMount, D().S0(1, kCwd).S1(2, VIGIL_DIR_EXTRA | 0),
      {Extra(A::kDev), Str(A::kDir, 0), Str(A::kType, 1), Raw(A::kFlags, 3)});
  add(SYS_umount2, E::kUmount2, D().S0(0, kCwd), {Str(A::kName, 0), Raw(A::kFlags, 1)});
  add(SYS_memfd_create, E::kMemfdCreate, D().S0(0),
      {Res(A::kFd), Str(A::kName, 0), Raw(A::kFlags, 1)});
  add(SYS_chdir, E::kChdir, D().S0(0, kCwd), {Str(A::kPath, 0)});
  add(SYS_fchdir, E::kFchdir, D(), {Int(A::kFd, 0)});
  // Network.
  add(SYS_socket, E::kSocket, D(),
      {Res(A::kFd), Int(A::kDomain, 0), Int(A::kType, 1), Int(A::kProto, 2)});
  add(SYS_connect, E::kConnect, D().Tuple(0).Addr(1, 2), {Int(A::kFd, 0)});
  add(SYS_accept, E::kAccept, D().Tuple(VIGIL_FD_RES), {Res(A::kFd)});
  add(SYS_accept4, E::kAccept4, D().Tuple(VIGIL_FD_RES), {Res(A::kFd), Raw(A::kFlags, 3)});
  add(SYS_bind, E::kBind, D().Tuple(0), {Int(A::kFd, 0)});
  add(SYS_listen, E::kListen, D(), {Int(A::kFd, 0), Int(A::kBacklog, 1)});
  add(SYS_sendto, E::kSendto, D().Tuple(0).Addr(4, 5), {Int(A::kFd, 0), Raw(A::kSize, 2)});
  add(SYS_recvfrom, E::kRecvfrom, D().Tuple(0), {Int(A::kFd, 0), Raw(A::kSize, 2)});
  add(SYS_sendmsg, E::kSendmsg, D().Tuple(0), {Int(A::kFd, 0)});
  add(SYS_recvmsg, E::kRecvmsg, D().Tuple(0), {Int(A::kFd, 0)});
  // Privileges and process control.
  add(SYS_setuid, E::kSetuid, D(), {Int(A::kUid, 0)});
  add(SYS_setgid, E::kSetgid, D(), {Int(A::kGid, 0)});
  add(SYS_setreuid, E::kSetreuid, D(), {Int(A::kRuid, 0), Int(A::kEuid, 1)});
  add(SYS_setregid, E::kSetregid, D(), {Int(A::kRgid, 0), Int(A::kEgid, 1)});
  add(SYS_setresuid, E::kSetresuid, D(),
      {Int(A::kRuid, 0), Int(A::kEuid, 1), Int(A::kSuid, 2)});
  add(SYS_setresgid, E::kSetresgid, D(),
      {Int(A::kRgid, 0), Int(A::kEgid, 1), Int(A::kSgid, 2)});
  add(SYS_capset, E::kCapset, D(), {});
  add(SYS_ptrace, E::kPtrace, D(),
      {Raw(A::kRequest, 0), Int(A::kPid, 1), Raw(A::kAddr, 2), Raw(A::kData, 3)});
  add(SYS_init_module, E::kInitModule, D().S0(2), {Raw(A::kLength, 1), Str(A::kUargs, 0)});
  add(SYS_finit_module, E::kFinitModule, D().S0(1),
      {Int(A::kFd, 0), Str(A::kUargs, 0), Raw(A::kFlags, 2)});
  // id (GET_FD_BY_ID, OBJ_GET_INFO_BY_FD) and whether it is one of vigil's objects: read
  // in the probe (probes/syscalls/targets.bpf.h).
  add(SYS_bpf, E::kBpf, D(), {Int(A::kCmd, 0), Raw(A::kObjId, 3), Raw(A::kVigilObject, 4)});
  add(SYS_prctl, E::kPrctl, D(), {Int(A::kOption, 0), Raw(A::kArg2, 1)});
  // dup*: the probe reads the socket tuple of oldfd (still open at sys_exit), so fd.* of a
  // duplicated socket needs no user-space fd table (and no open/close tracking).
  add(SYS_dup, E::kDup, D().Tuple(0), {Res(A::kFd), Int(A::kOldfd, 0)});
#ifdef SYS_dup2
  add(SYS_dup2, E::kDup2, D().Tuple(0), {Res(A::kFd), Int(A::kOldfd, 0), Int(A::kNewfd, 1)});
#endif
  add(SYS_dup3, E::kDup3, D().Tuple(0),
      {Res(A::kFd), Int(A::kOldfd, 0), Int(A::kNewfd, 1), Raw(A::kFlags, 2)});
  add(SYS_kill, E::kKill, D(), {Int(A::kPid, 0), Int(A::kSig, 1)});
  add(SYS_tkill, E::kTkill, D(), {Int(A::kTid, 0), Int(A::kSig, 1)});
  add(SYS_tgkill, E::kTgkill, D(), {Int(A::kPid, 0), Int(A::kTid, 1), Int(A::kSig, 2)});
  add(SYS_setns, E::kSetns, D(), {Int(A::kFd, 0), Int(A::kNstype, 1)});
  add(SYS_unshare, E::kUnshare, D(), {Raw(A::kFlags, 0)});
  add(SYS_userfaultfd, E::kUserfaultfd, D(), {Res(A::kFd), Raw(A::kFlags, 0)});
  // Another way to the same effect (issue 13): handles instead of paths, attribute and
  // time changes, other processes' memory and fds, executable mappings.
  add(SYS_name_to_handle_at, E::kNameToHandleAt, D().S0(1, 0),
      {Int(A::kDirfd, 0), Str(A::kPathname, 0), Raw(A::kFlags, 4)});
  add(SYS_open_by_handle_at, E::kOpenByHandleAt, D().ResFdPath(),
      {Res(A::kFd), Int(A::kMountfd, 0), Raw(A::kFlags, 2), FdPath(A::kPath)});
  add(SYS_fchmodat2, E::kFchmodat2, D().S0(1, 0),
      {Int(A::kDirfd, 0), Str(A::kFilename, 0), Raw(A::kMode, 2), Raw(A::kFlags, 3)});
  // A NULL path (futimens, futimes) acts on the dirfd's own file: the kernel path of that
  // fd is then the pathname (VIGIL_DIR_FD_FILE). utimes/utime: the old path-only calls.
  add(SYS_utimensat, E::kUtimensat, D().S0(1, VIGIL_DIR_FD_FILE | 0),
      {Int(A::kDirfd, 0), Str(A::kPathname, 0), Raw(A::kFlags, 3)});
#ifdef SYS_futimesat
  add(SYS_futimesat, E::kFutimesat, D().S0(1, VIGIL_DIR_FD_FILE | 0),
      {Int(A::kDirfd, 0), Str(A::kPathname, 0)});
#endif
#ifdef SYS_utimes
  add(SYS_utimes, E::kUtimes, D().S0(0, kCwd), {Str(A::kPathname, 0)});
#endif
#ifdef SYS_utime
  add(SYS_utime, E::kUtime, D().S0(0, kCwd), {Str(A::kPathname, 0)});
#endif
  add(SYS_setxattr, E::kSetxattr, D().S0(0, kCwd).S1(1),
      {Str(A::kPath, 0), Str(A::kName, 1), Raw(A::kSize, 3), Raw(A::kFlags, 4)});
  add(SYS_lsetxattr, E::kLsetxattr, D().S0(0, kCwd).S1(1),
      {Str(A::kPath, 0), Str(A::kName, 1), Raw(A::kSize, 3), Raw(A::kFlags, 4)});
  add(SYS_fsetxattr, E::kFsetxattr, D().S0(1),
      {Int(A::kFd, 0), Str(A::kName, 0), Raw(A::kSize, 3), Raw(A::kFlags, 4)});
  add(SYS_process_vm_readv, E::kProcessVmReadv, D(),
      {Int(A::kPid, 0), Raw(A::kFlags, 5)});
  add(SYS_process_vm_writev, E::kProcessVmWritev, D(),
      {Int(A::kPid, 0), Raw(A::kFlags, 5)});
  add(SYS_pidfd_open, E::kPidfdOpen, D(), {Res(A::kFd), Int(A::kPid, 0), Raw(A::kFlags, 1)});
  add(SYS_pidfd_getfd, E::kPidfdGetfd, D(),
      {Res(A::kFd), Int(A::kPidFd, 0), Int(A::kTargetFd, 1), Raw(A::kFlags, 2),
       Int(A::kTargetPid, 3)});  // target_pid: the pidfd's process, resolved in the probe
  // fcntl is reported only for F_DUPFD / F_DUPFD_CLOEXEC (filtered in the kernel), as the
  // dup it is: fd-redirection rules written for dup/dup2/dup3 see it.
  add(SYS_fcntl, E::kDup, D().Tuple(0), {Res(A::kFd), Int(A::kOldfd, 0), Int(A::kCmd, 1)});
  // Reported only when the mapping is made executable (PROT_EXEC, filtered in the kernel).
  // name: the kernel path of the mapped file (the struct file behind fd, walked at exit),
  // absent for an anonymous mapping; fd.name of an mmap is that path, not the fd table's.
  add(SYS_mmap, E::kMmap, D().FdArgPath(4),
      {Raw(A::kAddr, 0), Raw(A::kLength, 1), Raw(A::kProt, 2), Raw(A::kFlags, 3),
       Int(A::kFd, 4), Raw(A::kOffset, 5), Str(A::kName, 0)});
  add(SYS_mprotect, E::kMprotect, D(), {Raw(A::kAddr, 0), Raw(A::kLength, 1), Raw(A::kProt, 2)});
  add(SYS_io_uring_setup, E::kIoUringSetup, D(), {Res(A::kFd), Raw(A::kEntries, 0)});
  // Reported for io_uring requests only (probes/io_uring, iou_rw), never by sys_exit (the
  // sensor keeps them out of the interest bitmap): name is the kernel path of the file.
  add(SYS_read, E::kRead, D(), {Int(A::kFd, 0), Raw(A::kSize, 2), Str(A::kName, 0)});
  add(SYS_write, E::kWrite, D(), {Int(A::kFd, 0), Raw(A::kSize, 2), Str(A::kName, 0)});
  add(SYS_readv, E::kReadv, D(), {Int(A::kFd, 0), Str(A::kName, 0)});
  add(SYS_writev, E::kWritev, D(), {Int(A::kFd, 0), Str(A::kName, 0)});
#ifdef SYS_pipe
  add(SYS_pipe, E::kPipe, D(), {});
#endif
  add(SYS_pipe2, E::kPipe2, D(), {Raw(A::kFlags, 1)});

  for (const SyscallSpec& s : specs_) {
    if (s.nr < 0 || s.nr >= VIGIL_NR_MAX) continue;
    by_nr_[static_cast<std::size_t>(s.nr)] = &s;
    by_type_[static_cast<std::size_t>(s.type)].push_back(s.nr);
  }
  nr_execve = SYS_execve;
  nr_execveat = SYS_execveat;
  nr_clone = SYS_clone;
  nr_clone3 = SYS_clone3;
#ifdef SYS_fork
  nr_fork = SYS_fork;
#endif
#ifdef SYS_vfork
  nr_vfork = SYS_vfork;
#endif
  nr_fcntl = SYS_fcntl;
  nr_mmap = SYS_mmap;
  nr_mprotect = SYS_mprotect;
  nr_bpf = SYS_bpf;
  nr_pidfd_getfd = SYS_pidfd_getfd;
}

void SyscallTable::FillDescriptors(vigil_sc_desc (&out)[VIGIL_NR_MAX]) const noexcept {
  for (auto& d : out) d = D().d;
  for (const SyscallSpec& s : specs_) {
    if (s.nr >= 0 && s.nr < VIGIL_NR_MAX) out[s.nr] = s.desc;
  }
}

void SyscallTable::InterestBytes(const std::bitset<kEventTypeCount>& types,
                                 uint8_t (&out)[VIGIL_NR_MAX]) const noexcept {
  for (auto& b : out) b = 0;
  for (const SyscallSpec& s : specs_) {
    if (s.nr >= 0 && s.nr < VIGIL_NR_MAX && types.test(static_cast<std::size_t>(s.type))) {
      out[s.nr] = 1;
    }
  }
}

}  // namespace vigil
