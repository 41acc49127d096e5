#include "vigil/record_decoder.h"

#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <cstdio>
#include <cstring>

#include "vigil/syscall_table.h"
#include "wire.h"

namespace vigil {
namespace {

template <typename T>
T Load(const unsigned char* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

int64_t ClockNs(clockid_t id) noexcept {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

void FillHeader(const vigil_hdr& h, int64_t offset, Event* out) noexcept {
  out->ts_ns = h.ts + static_cast<uint64_t>(offset);
  out->tid = h.tid;
  out->tgid = h.tgid;
  out->cpu = h.cpu;
}

void ResetEvent(Event* out) noexcept {
  out->type = EventType::kUnknown;
  out->res = 0;
  out->is_compat = false;
  out->file_resolved = false;
  out->path_truncated = false;
  out->raw_path = {};
  out->alias_path = {};
  out->nargs = 0;
  out->has_tuple = false;
  out->tuple = SockTuple{};
  out->exec = nullptr;
  out->fork = nullptr;
  out->exit_code = 0;
  out->io_uring = false;
  out->fixed_file = false;
}

}  // namespace

int64_t RecordDecoder::BootToWallOffsetNs() noexcept {
  // Bracket the boot-time sample with two wall samples to halve the error.
  int64_t w0 = ClockNs(CLOCK_REALTIME);
  int64_t b = ClockNs(CLOCK_BOOTTIME);
  int64_t w1 = ClockNs(CLOCK_REALTIME);
  return w0 + (w1 - w0) / 2 - b;
}

std::string_view JoinPath(std::string_view dir, std::string_view rel, char* buf,
                          std::size_t cap, bool rooted) noexcept {
  if (cap == 0) return rel;
  std::size_t n = 0;
  std::size_t floor = 0;  // ".." never goes above this length (the chroot's root)
  auto push_components = [&](std::string_view s) -> bool {
    std::size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && s[i] == '/') ++i;
      std::size_t j = i;
      while (j < s.size() && s[j] != '/') ++j;
      std::string_view comp = s.substr(i, j - i);
      i = j;
      if (comp.empty() || comp == ".") continue;
      if (comp == "..") {
        if (n <= floor) continue;                   // ".." of the root is the root
        while (n > floor && buf[n - 1] != '/') --n;  // drop the last component
        if (n > floor) --n;                         // and its slash
        continue;
      }
      if (n + 1 + comp.size() > cap) return false;
      buf[n++] = '/';
      std::memcpy(buf + n, comp.data(), comp.size());
      n += comp.size();
    }
    return true;
  };
  bool ok = true;
  if (rel.empty() || rel.front() != '/' || rooted) ok = push_components(dir);
  if (rooted) floor = n;
  if (ok) ok = push_components(rel);
  if (!ok) return rel;
  if (n == 0) buf[n++] = '/';
  return std::string_view(buf, n);
}

std::string_view RecordDecoder::TruncatedPath(std::string_view tail) noexcept {
  // The walk stopped before the root: "<truncated>" keeps the tail from reading as an
  // absolute path it is not (it can only be a suffix of the real one).
  static constexpr std::string_view kMark = "<truncated>";
  std::size_t room = arena_.size() - arena_used_;
  if (room < kMark.size() + tail.size()) return kMark;
  char* dst = arena_.data() + arena_used_;
  std::memcpy(dst, kMark.data(), kMark.size());
  std::memcpy(dst + kMark.size(), tail.data(), tail.size());
  arena_used_ += kMark.size() + tail.size();
  return std::string_view(dst, kMark.size() + tail.size());
}

std::string_view RecordDecoder::Resolve(std::string_view dir, std::string_view rel,
                                        bool rooted) noexcept {
  if (dir.empty()) return rel;
  std::size_t room = arena_.size() - arena_used_;
  std::string_view out = JoinPath(dir, rel, arena_.data() + arena_used_, room, rooted);
  if (out.data() == arena_.data() + arena_used_) arena_used_ += out.size();
  return out;
}

DecodeResult RecordDecoder::Decode(const void* data, std::size_t size, Event* out) noexcept {
  ResetEvent(out);
  arena_used_ = 0;
  if (data == nullptr || size < sizeof(vigil_hdr)) return DecodeResult::kMalformed;
  const auto* p = static_cast<const unsigned char*>(data);
  vigil_hdr h = Load<vigil_hdr>(p);
  if (h.size < sizeof(vigil_hdr) || h.size > size) return DecodeResult::kMalformed;
  size = h.size;
  FillHeader(h, boot_to_wall_ns_, out);
  switch (h.type) {
    case VIGIL_REC_SYSCALL: return DecodeSyscall(p, size, out);
    case VIGIL_REC_EXEC: return DecodeExec(p, size, out);
    case VIGIL_REC_FORK: return DecodeFork(p, size, out);
    case VIGIL_REC_EXIT: return DecodeExit(p, size, out);
    case VIGIL_REC_THROTTLE: return DecodeThrottle(p, size, out);
    default: return DecodeResult::kMalformed;
  }
}

DecodeResult RecordDecoder::DecodeSyscall(const unsigned char* p, std::size_t size,
                                          Event* out) noexcept {
  if (size < sizeof(vigil_sys_rec)) return DecodeResult::kMalformed;
  vigil_sys_rec r = Load<vigil_sys_rec>(p);
  const unsigned char* data = p + sizeof(vigil_sys_rec);
  std::size_t avail = size - sizeof(vigil_sys_rec);
  std::size_t need = (r.flags & VIGIL_SYS_HAS_TUPLE) ? sizeof(vigil_tuple) : 0;
  for (uint16_t l : r.str_len) need += l;
  if (need > avail) return DecodeResult::kMalformed;
  const SyscallSpec* spec = SyscallTable::Get().Find(r.nr);
  if (spec == nullptr) return DecodeResult::kSkipped;
  out->type = spec->type;
  out->res = r.res;
  out->io_uring = (r.flags & VIGIL_SYS_IO_URING) != 0;
  out->fixed_file = (r.flags & VIGIL_SYS_FIXED_FILE) != 0;
  out->is_compat = (r.flags & VIGIL_SYS_COMPAT) != 0;

  std::size_t pos = 0;
  if (r.flags & VIGIL_SYS_HAS_TUPLE) {
    vigil_tuple t = Load<vigil_tuple>(data);
    pos = sizeof(vigil_tuple);
    if (t.family != 0) {
      SockTuple& st = out->tuple;
      st.family = t.family;
      st.l4proto = t.l4proto;
      std::memcpy(st.sip.data(), t.sip, 16);
      std::memcpy(st.dip.data(), t.dip, 16);
      st.sport = t.sport;
      st.dport = t.dport;
      if (t.family == AF_UNIX) {
        std::size_t ulen = t.unix_len < VIGIL_UNIX_PATH_MAX ? t.unix_len : VIGIL_UNIX_PATH_MAX;
        const char* up = reinterpret_cast<const char*>(data) + offsetof(vigil_tuple, unix_path);
        st.unix_path = std::string_view(up, strnlen(up, ulen));
      }
      // The probe reads the socket as local -> remote; Falco's tuple is client -> server,
      // so the accepting (server) side swaps, and
      // bind reports the bound (server) address as d*.
      if (spec->desc.fd_arg == VIGIL_FD_RES || spec->type == EventType::kBind) {
        std::swap(st.sip, st.dip);
        std::swap(st.sport, st.dport);
      }
      out->has_tuple = true;
    }
  }
  std::string_view strs[4];
  for (int i = 0; i < 4; ++i) {
    strs[i] = std::string_view(reinterpret_cast<const char*>(data + pos), r.str_len[i]);
    pos += r.str_len[i];
  }
  const bool extra = (spec->desc.dir_arg[1] & 0xf8) == VIGIL_DIR_EXTRA;
  // A chrooted caller (VIGIL_SYS_ROOTED): an absolute string is under its root (dir slot).
  const bool rooted = (r.flags & VIGIL_SYS_ROOTED) != 0;
  std::string_view resolved[2] = {Resolve(strs[1], strs[0], rooted),
                                  extra ? strs[2] : Resolve(strs[3], strs[2], rooted)};
  if (r.flags & VIGIL_SYS_FILE) {
    // The file the kernel opened names the event; the caller's string stays raw.
    out->file_resolved = true;
    out->raw_path = strs[0];
    if (r.flags & VIGIL_SYS_FILE_TRUNCATED) {
      out->path_truncated = true;
      resolved[0] = TruncatedPath(strs[2]);
    } else {
      resolved[0] = strs[2];
    }
  }

  for (const ParamSource& ps : spec->params) {
    switch (ps.kind) {
      case ParamSource::kNone: break;
      case ParamSource::kRaw:
        out->AddNum(ps.id, static_cast<int64_t>(r.args[ps.index % 6]));
        break;
      case ParamSource::kRawInt:
        out->AddNum(ps.id, static_cast<int32_t>(static_cast<uint32_t>(r.args[ps.index % 6])));
        break;
      case ParamSource::kResult: out->AddNum(ps.id, r.res); break;
      case ParamSource::kString: out->AddStr(ps.id, resolved[ps.index & 1]); break;
      case ParamSource::kExtraString: out->AddStr(ps.id, strs[3]); break;
      case ParamSource::kFdPath: out->AddStr(ps.id, strs[0]); break;
    }
  }
  if (r.flags & VIGIL_SYS_FILE) {
    // Falco's open exit arguments: dev as user space sees it (stat's st_dev), inode.
    const uint32_t major = r.dev >> 20, minor = r.dev & 0xfffff;
    out->AddNum(ArgId::kDev, static_cast<int64_t>(makedev(major, minor)));
    out->AddNum(ArgId::kIno, static_cast<int64_t>(r.ino));
  }
  return DecodeResult::kEvent;
}

DecodeResult RecordDecoder::DecodeExec(const unsigned char* p, std::size_t size,
                                       Event* out) noexcept {
  if (size < sizeof(vigil_exec_rec)) return DecodeResult::kMalformed;
  vigil_exec_rec r = Load<vigil_exec_rec>(p);
  std::size_t need = 0;
  for (uint16_t l : r.str_len) need += l;
  if (need > size - sizeof(vigil_exec_rec)) return DecodeResult::kMalformed;
  const auto& table = SyscallTable::Get();
  out->type = static_cast<int>(r.nr) == table.nr_execveat ? EventType::kExecveat
                                                           : EventType::kExecve;
  out->res = 0;
  out->is_compat = (r.flags & VIGIL_EXEC_COMPAT) != 0;
  const char* s = reinterpret_cast<const char*>(p + sizeof(vigil_exec_rec));
  std::string_view strs[VIGIL_EXEC_STRS];
  for (int i = 0; i < VIGIL_EXEC_STRS; ++i) {
    strs[i] = std::string_view(s, r.str_len[i]);
    s += r.str_len[i];
  }
  exec_ = ExecInfo{};
  exec_.filename = strs[0];
  exec_.exepath = strs[1];
  exec_.cwd = strs[2];
  exec_.cgroup = strs[3];
  exec_.env = strs[4];
  exec_.args = strs[5];
  exec_.args_truncated = (r.flags & VIGIL_EXEC_TRUNCATED) != 0;
  exec_.env_captured = (r.flags & VIGIL_EXEC_ENV) != 0;
  exec_.env_truncated = (r.flags & VIGIL_EXEC_ENV_TRUNCATED) != 0;
  const char* comm = reinterpret_cast<const char*>(p + offsetof(vigil_exec_rec, comm));
  exec_.comm = std::string_view(comm, strnlen(comm, sizeof(r.comm)));
  // A relative filename (execve("./x")) is resolved against the cwd.
  if (!exec_.filename.empty() && exec_.filename.front() != '/' && !exec_.cwd.empty()) {
    exec_.filename = Resolve(exec_.cwd, exec_.filename);
  }
  // fd-relative execs (execveat with a dirfd, fexecve) are named "/dev/fd/N[/path]" by the
  // kernel: they are execveat even when the syscall number was not readable.
  if (exec_.filename.substr(0, 8) == "/dev/fd/") out->type = EventType::kExecveat;
  exec_.ppid = r.ppid;
  exec_.sid = r.sid;
  exec_.pgid = r.pgid;
  exec_.vpid = r.vpid;
  exec_.vpgid = r.vpgid;
  exec_.uid = r.uid;
  exec_.gid = r.gid;
  exec_.euid = r.euid;
  exec_.egid = r.egid;
  exec_.loginuid = r.loginuid;
  exec_.tty = r.tty;
  exec_.exe_ino = r.exe_ino;
  exec_.exe_ctime_ns = r.exe_ctime_ns;
  exec_.exe_mtime_ns = r.exe_mtime_ns;
  exec_.cap_permitted = r.cap_permitted;
  exec_.cap_effective = r.cap_effective;
  exec_.cap_inheritable = r.cap_inheritable;
  exec_.start_ts_ns = r.start_boot_ns ? r.start_boot_ns + static_cast<uint64_t>(boot_to_wall_ns_) : 0;
  exec_.exe_writable = (r.flags & VIGIL_EXEC_WRITABLE) != 0;
  exec_.exe_from_memfd = (r.flags & VIGIL_EXEC_MEMFD) != 0;
  exec_.exe_upper_layer = (r.flags & VIGIL_EXEC_UPPER) != 0;
  out->exec = &exec_;
  out->AddStr(ArgId::kFilename, exec_.filename);
  out->AddStr(ArgId::kExe, exec_.args.substr(0, exec_.args.find('\0')));  // argv[0], as Falco
  out->AddStr(ArgId::kCwd, exec_.cwd);
  out->AddNum(ArgId::kPid, r.vpid);
  return DecodeResult::kEvent;
}

DecodeResult RecordDecoder::DecodeFork(const unsigned char* p, std::size_t size,
                                       Event* out) noexcept {
  if (size < sizeof(vigil_fork_rec)) return DecodeResult::kMalformed;
  vigil_fork_rec r = Load<vigil_fork_rec>(p);
  const auto& table = SyscallTable::Get();
  const int nr = r.nr;
  if (nr == table.nr_clone) out->type = EventType::kClone;
  else if (nr == table.nr_clone3) out->type = EventType::kClone3;
  else if (nr == table.nr_fork) out->type = EventType::kFork;
  else if (nr == table.nr_vfork) out->type = EventType::kVfork;
  else out->type = EventType::kClone;
  out->res = r.child_tid;
  out->is_compat = (r.rflags & VIGIL_FORK_COMPAT) != 0;
  fork_.child_tid = r.child_tid;
  fork_.child_tgid = r.child_tgid;
  fork_.flags = r.flags;
  out->fork = &fork_;
  out->AddNum(ArgId::kFlags, static_cast<int64_t>(r.flags));
  out->AddNum(ArgId::kPid, r.child_tgid);
  out->AddNum(ArgId::kTid, r.child_tid);
  return DecodeResult::kEvent;
}

DecodeResult RecordDecoder::DecodeExit(const unsigned char* p, std::size_t size,
                                       Event* out) noexcept {
  if (size < sizeof(vigil_exit_rec)) return DecodeResult::kMalformed;
  vigil_exit_rec r = Load<vigil_exit_rec>(p);
  out->type = EventType::kProcExit;
  out->res = 0;
  const uint32_t status = r.exit_code;
  const uint32_t sig = status & 0x7f;
  out->exit_code = static_cast<int32_t>((status >> 8) & 0xff);
  out->AddNum(ArgId::kStatus, status);
  out->AddNum(ArgId::kRet, out->exit_code);
  out->AddNum(ArgId::kSig, sig);
  return DecodeResult::kEvent;
}

// Flood control (probes/lib/flood.bpf.h): evt.type = drop, for the throttled process.
// evt.arg.phase = begin|end, evt.arg.dropped = records lost, evt.arg.events = records it
// produced in the window, evt.arg.types = "openat=17000 connect=3" (dropped per syscall).
DecodeResult RecordDecoder::DecodeThrottle(const unsigned char* p, std::size_t size,
                                           Event* out) noexcept {
  if (size < sizeof(vigil_throttle_rec)) return DecodeResult::kMalformed;
  vigil_throttle_rec r = Load<vigil_throttle_rec>(p);
  if (r.phase != VIGIL_THROTTLE_BEGIN && r.phase != VIGIL_THROTTLE_END)
    return DecodeResult::kMalformed;
  out->type = EventType::kDropped;
  out->res = 0;
  out->AddStr(ArgId::kPhase, r.phase == VIGIL_THROTTLE_BEGIN ? "begin" : "end");
  out->AddNum(ArgId::kDropped, static_cast<int64_t>(r.dropped));
  out->AddNum(ArgId::kEvents, static_cast<int64_t>(r.window_events));
  std::size_t used = 0;
  auto append = [&](std::string_view name, uint64_t n) {
    char num[24];
    int len = std::snprintf(num, sizeof(num), "%llu", static_cast<unsigned long long>(n));
    std::size_t need = (used ? 1 : 0) + name.size() + 1 + static_cast<std::size_t>(len);
    if (len <= 0 || used + need > throttle_types_.size()) return;
    if (used) throttle_types_[used++] = ' ';
    std::memcpy(&throttle_types_[used], name.data(), name.size());
    used += name.size();
    throttle_types_[used++] = '=';
    std::memcpy(&throttle_types_[used], num, static_cast<std::size_t>(len));
    used += static_cast<std::size_t>(len);
  };
  const SyscallTable& table = SyscallTable::Get();
  for (int i = 0; i < VIGIL_THROTTLE_TOP; ++i) {
    if (r.nr[i] >= VIGIL_NR_MAX) continue;
    const SyscallSpec* spec = table.Find(r.nr[i]);
    append(spec ? EventTypeName(spec->type) : std::string_view("unknown"), r.nr_count[i]);
  }
  if (r.other) append("other", r.other);
  out->AddStr(ArgId::kTypes, std::string_view(throttle_types_.data(), used));
  return DecodeResult::kEvent;
}

}  // namespace vigil
