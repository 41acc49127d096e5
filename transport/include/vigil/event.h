// event.h — the decoded, typed event every later stage consumes.
// Produced by the transport decoder (from kernel ring-buffer records) and by the JSON Lines
// reader (replay). Strings are string_views into the producer's buffer: an Event is valid
// only while the producer's callback runs, so consumers copy what they keep (state does).
// Plain data, no allocation, hot path. Arguments are named with Falco's argument names
// (evt.arg.<name>) through ArgId so the engine resolves them at compile time.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "vigil/event_types.h"

namespace vigil {

// Falco argument names used across event types (evt.arg.<name>).
#define VIGIL_ARG_IDS(X)                                                                    \
  X(kFd, "fd") X(kDirfd, "dirfd") X(kName, "name") X(kPath, "path") X(kFilename, "filename") \
  X(kFlags, "flags") X(kMode, "mode") X(kDev, "dev") X(kIno, "ino")                         \
  X(kOldpath, "oldpath") X(kNewpath, "newpath") X(kOlddirfd, "olddirfd")                    \
  X(kNewdirfd, "newdirfd") X(kTarget, "target") X(kLinkpath, "linkpath")                    \
  X(kUid, "uid") X(kGid, "gid") X(kRuid, "ruid") X(kEuid, "euid") X(kSuid, "suid")          \
  X(kRgid, "rgid") X(kEgid, "egid") X(kSgid, "sgid")                                        \
  X(kRequest, "request") X(kPid, "pid") X(kTid, "tid") X(kAddr, "addr") X(kData, "data")    \
  X(kDomain, "domain") X(kType, "type") X(kProto, "proto") X(kBacklog, "backlog")           \
  X(kTuple, "tuple") X(kSize, "size") X(kOption, "option") X(kArg2, "arg2")                 \
  X(kCmd, "cmd") X(kSig, "sig") X(kOldfd, "oldfd") X(kNewfd, "newfd")                       \
  X(kSource, "source") X(kFstype, "fstype") X(kLength, "length") X(kNstype, "nstype")       \
  X(kCapEffective, "cap_effective") X(kCapPermitted, "cap_permitted")                      \
  X(kCapInheritable, "cap_inheritable") X(kStatus, "status") X(kUargs, "uargs")             \
  X(kExe, "exe") X(kArgs, "args") X(kCwd, "cwd") X(kResOrFd, "res_or_fd")              \
  X(kLinkdirfd, "linkdirfd") X(kOlddir, "olddir") X(kNewdir, "newdir")                     \
  X(kPathname, "pathname") X(kDir, "dir") X(kRet, "ret")                                   \
  X(kMountfd, "mountfd") X(kPidFd, "pid_fd") X(kTargetFd, "target_fd") X(kProt, "prot")    \
  X(kOffset, "offset") X(kTargetPid, "target_pid") X(kEntries, "entries")     \
  X(kObjId, "id") X(kVigilObject, "vigil_object")                                        \
  X(kPhase, "phase") X(kDropped, "dropped") X(kEvents, "events") X(kTypes, "types")

enum class ArgId : uint8_t {
#define VIGIL_X_ARG(e, n) e,
  VIGIL_ARG_IDS(VIGIL_X_ARG)
#undef VIGIL_X_ARG
  kCount
};

std::string_view ArgName(ArgId id) noexcept;
bool ArgIdFromName(std::string_view name, ArgId* out) noexcept;

// One argument: either a number, a string (path, name...), or both unset.
struct Arg {
  ArgId id = ArgId::kCount;
  bool is_str = false;
  int64_t num = 0;
  std::string_view str;
};

// A socket endpoint pair as Falco's fd.* fields see it (client/server view is derived).
struct SockTuple {
  uint16_t family = 0;          // AF_INET, AF_INET6, AF_UNIX, 0 = none
  uint8_t l4proto = 0;          // IPPROTO_TCP/UDP/... (0 unknown)
  std::array<uint8_t, 16> sip{};  // source/local (IPv4 in the first 4 bytes)
  std::array<uint8_t, 16> dip{};  // destination/remote
  uint16_t sport = 0, dport = 0;  // host byte order
  std::string_view unix_path;     // AF_UNIX path (abstract names start with '@')
};

// Process image details delivered by exec (sched_process_exec) and by the start-up snapshot.
struct ExecInfo {
  std::string_view filename;   // path passed to execve as resolved by the kernel
  std::string_view exepath;    // absolute path of the new executable (d_path)
  std::string_view comm;       // task comm after exec
  std::string_view args;       // argv joined with '\0' (argv[0] first), as in mm->arg_*
                               // (up to VIGIL_ARGS_MAX - 1 bytes, probes/wire.h)
  std::string_view env;        // envp joined with '\0', as in mm->env_* (up to
                               // VIGIL_ENV_MAX - 1 bytes; empty when not captured)
  std::string_view cwd;        // absolute cwd
  std::string_view cgroup;     // cgroup path (for container id)
  uint32_t ppid = 0, sid = 0, pgid = 0, vpid = 0, vpgid = 0;
  uint32_t uid = 0, gid = 0, euid = 0, egid = 0, loginuid = UINT32_MAX;
  uint32_t tty = 0;            // tty device number, 0 if none
  uint64_t exe_ino = 0, exe_ctime_ns = 0, exe_mtime_ns = 0;
  uint64_t cap_permitted = 0, cap_effective = 0, cap_inheritable = 0;
  uint64_t start_ts_ns = 0;    // process start time (wall clock)
  bool exe_writable = false;   // the executable is writable by the exec'ing user
  bool exe_from_memfd = false; // the executable is a memfd (fileless)
  bool exe_upper_layer = false;// overlayfs upper layer (dropped into a container)
  bool args_truncated = false; // argv was longer than what `args` holds (or unreadable)
  bool env_captured = false;   // `env` was read (the sensor's env capture was on)
  bool env_truncated = false;  // envp was longer than what `env` holds (or unreadable)
};

// fork/clone/vfork/clone3 (child side details, reported in the parent's context).
struct ForkInfo {
  uint32_t child_tid = 0, child_tgid = 0;
  uint64_t flags = 0;          // clone flags
};

inline constexpr std::size_t kMaxArgs = 8;

struct Event {
  EventType type = EventType::kUnknown;
  uint64_t ts_ns = 0;          // wall clock, ns since the epoch
  uint32_t tid = 0, tgid = 0;  // host ids of the thread that made the call
  uint32_t cpu = 0;
  int64_t res = 0;             // syscall return value (negative errno on failure)
  bool is_compat = false;      // a 32-bit (i386 ABI) call of a 64-bit kernel (evt.is_compat)
  // Open family success: the name argument is the path of the file the kernel opened
  // (walked from the struct file, absolute to the real root), raw_path the caller's string.
  bool file_resolved = false;
  bool path_truncated = false; // that walk stopped early: the name is "<truncated>" + tail
  std::string_view raw_path;   // the caller's string as given (fd.nameraw)
  // A watched file (one a rule names) opened by another path: that kernel path (fd.alias);
  // the name argument then holds the watched path (watched_files.h).
  std::string_view alias_path;
  uint8_t nargs = 0;
  std::array<Arg, kMaxArgs> args{};
  bool has_tuple = false;
  SockTuple tuple;             // connect/accept/bind/sendto...: the endpoints
  const ExecInfo* exec = nullptr;  // execve/execveat success only
  const ForkInfo* fork = nullptr;  // clone family only
  int32_t exit_code = 0;       // procexit
  bool io_uring = false;       // an io_uring request reported as this syscall type
  bool fixed_file = false;     // io_uring: the file is a registered (fixed) file; an open's
                               // result is the slot, not an fd (fd.is_fixed_file)

  const Arg* Find(ArgId id) const noexcept {
    for (uint8_t i = 0; i < nargs; ++i)
      if (args[i].id == id) return &args[i];
    return nullptr;
  }
  // Appends an argument; silently ignored past kMaxArgs (producers size their schemas).
  void AddNum(ArgId id, int64_t v) noexcept {
    if (nargs < kMaxArgs) args[nargs++] = Arg{id, false, v, {}};
  }
  void AddStr(ArgId id, std::string_view s) noexcept {
    if (nargs < kMaxArgs) args[nargs++] = Arg{id, true, 0, s};
  }
  bool failed() const noexcept { return res < 0; }
};

}  // namespace vigil
