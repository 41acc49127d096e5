#include "vigil/process_table.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <sched.h>

namespace vigil {
namespace {

std::string FormatAddr(uint16_t family, const std::array<uint8_t, 16>& ip) {
  char buf[INET6_ADDRSTRLEN] = {0};
  if (family == AF_INET6) {
    inet_ntop(AF_INET6, ip.data(), buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET, ip.data(), buf, sizeof(buf));
  }
  return buf;
}

std::string TupleName(const SockTuple& t) {
  if (t.family == AF_UNIX) return std::string(t.unix_path);
  if (t.family != AF_INET && t.family != AF_INET6) return {};
  return FormatAddr(t.family, t.sip) + ":" + std::to_string(t.sport) + "->" +
         FormatAddr(t.family, t.dip) + ":" + std::to_string(t.dport);
}

FdType SocketFdType(int64_t domain) {
  switch (domain) {
    case AF_INET: return FdType::kIpv4;
    case AF_INET6: return FdType::kIpv6;
    case AF_UNIX: return FdType::kUnix;
    case AF_NETLINK: return FdType::kNetlink;
    default: return FdType::kUnknown;
  }
}

void FillFromTuple(FdInfo& fd, const SockTuple& t, bool server) {
  fd.family = t.family;
  if (t.l4proto) fd.l4proto = t.l4proto;
  fd.sip = t.sip;
  fd.dip = t.dip;
  fd.sport = t.sport;
  fd.dport = t.dport;
  fd.is_server = server;
  fd.connected = true;
  if (t.family == AF_INET) fd.type = FdType::kIpv4;
  else if (t.family == AF_INET6) fd.type = FdType::kIpv6;
  else if (t.family == AF_UNIX) fd.type = FdType::kUnix;
  fd.name = TupleName(t);
}

int64_t ArgNum(const Event& ev, ArgId id, int64_t dflt) {
  const Arg* a = ev.Find(id);
  return a && !a->is_str ? a->num : dflt;
}

std::string_view ArgStr(const Event& ev, ArgId id) {
  const Arg* a = ev.Find(id);
  return a && a->is_str ? a->str : std::string_view();
}

}  // namespace

ProcessTable::Entry* ProcessTable::Get(uint32_t tgid) noexcept {
  auto it = procs_.find(tgid);
  return it == procs_.end() ? nullptr : &it->second;
}

ProcessTable::Entry& ProcessTable::GetOrCreate(uint32_t tgid) {
  if (Entry* known = Get(tgid)) return *known;
  Entry& e = GetOrCreateEmpty(tgid);
  if (resolver_) {
    if (auto p = resolver_(tgid)) {
      e.proc = std::move(*p);
      e.proc.pid = tgid;
    }
  }
  return e;
}

ProcessTable::Entry& ProcessTable::GetOrCreateEmpty(uint32_t tgid) {
  auto it = procs_.find(tgid);
  if (it != procs_.end()) return it->second;
  EnforceCap();
  Entry e;
  e.proc.pid = tgid;
  return procs_.emplace(tgid, std::move(e)).first->second;
}

void ProcessTable::EnforceCap() {
  if (procs_.size() < limits_.max_processes) return;
  // Evict exited entries first, then the oldest by exec time.
  for (auto it = procs_.begin(); it != procs_.end();) {
    if (it->second.proc.exited) {
      it = procs_.erase(it);
      ++evictions_;
    } else {
      ++it;
    }
  }
  while (procs_.size() >= limits_.max_processes) {
    auto oldest = std::min_element(procs_.begin(), procs_.end(), [](const auto& a, const auto& b) {
      return a.second.proc.exec_ts_ns < b.second.proc.exec_ts_ns;
    });
    procs_.erase(oldest);
    ++evictions_;
  }
}

void ProcessTable::ReapPending() {
  for (uint32_t tgid : pending_exit_) procs_.erase(tgid);
  pending_exit_.clear();
}

Process& ProcessTable::Upsert(Process p) {
  Entry& e = GetOrCreateEmpty(p.pid);  // p replaces the whole process
  if (p.cmdline.empty()) p.cmdline = BuildCmdline(p.comm, p.args);
  if (p.container_id.empty()) AssignContainer(&p);
  e.proc = std::move(p);
  return e.proc;
}

void ProcessTable::SetFd(uint32_t tgid, int64_t fd, FdInfo info) {
  Entry& e = GetOrCreate(tgid);
  if (e.fds.size() >= limits_.max_fds_per_process && !e.fds.count(fd)) return;
  e.fds[fd] = std::move(info);
}

const Process* ProcessTable::Find(uint32_t tgid) const noexcept {
  auto it = procs_.find(tgid);
  return it == procs_.end() ? nullptr : &it->second.proc;
}

const Process* ProcessTable::FindOrResolve(uint32_t tgid) {
  if (const Process* p = Find(tgid)) return p;
  if (!resolver_) return nullptr;
  auto p = resolver_(tgid);
  if (!p) return nullptr;
  return &Upsert(std::move(*p));
}

const Process* ProcessTable::Parent(const Process& p) const noexcept {
  if (p.ppid == 0 || p.ppid == p.pid) return nullptr;
  return Find(p.ppid);
}

void ProcessTable::CopyLineage(const Process& p, ProcessTable* out) const {
  const Process* cur = &p;
  for (int depth = 0; cur && depth < 64; ++depth) {
    out->Upsert(*cur);
    const Process* parent = Parent(*cur);
    if (!parent || parent == cur || out->Find(parent->pid)) break;
    cur = parent;
  }
}

uint32_t ProcessTable::TgidOf(uint32_t tid) const noexcept {
  auto it = threads_.find(tid);
  return it == threads_.end() ? tid : it->second;
}

const FdInfo* ProcessTable::FindFd(uint32_t tgid, int64_t fd) const noexcept {
  auto it = procs_.find(tgid);
  if (it == procs_.end()) return nullptr;
  auto f = it->second.fds.find(fd);
  return f == it->second.fds.end() ? nullptr : &f->second;
}

std::size_t ProcessTable::fd_count() const noexcept {
  std::size_t n = 0;
  for (const auto& [_, e] : procs_) n += e.fds.size();
  return n;
}

void ProcessTable::Apply(const Event& ev) {
  if (!pending_exit_.empty()) ReapPending();
  const uint32_t tgid = ev.tgid;

  switch (ev.type) {
    case EventType::kExecve:
    case EventType::kExecveat: {
      if (ev.res != 0 || ev.exec == nullptr) break;
      const ExecInfo& x = *ev.exec;
      Entry& e = GetOrCreate(tgid);
      Process& p = e.proc;
      p.pid = tgid;
      if (x.ppid) p.ppid = x.ppid;
      p.sid = x.sid;
      p.pgid = x.pgid;
      p.vpid = x.vpid;
      p.vpgid = x.vpgid;
      p.uid = x.uid;
      p.gid = x.gid;
      p.euid = x.euid;
      p.egid = x.egid;
      p.loginuid = x.loginuid;
      p.tty = x.tty;
      p.comm.assign(x.comm);
      auto argv = SplitNul(x.args);
      if (!argv.empty()) {
        p.exe = argv.front();
        p.args.assign(argv.begin() + 1, argv.end());
      } else {
        p.exe.assign(x.filename);
        p.args.clear();
      }
      p.exepath.assign(x.exepath.empty() ? x.filename : x.exepath);
      p.cmdline = BuildCmdline(p.comm, p.args);
      if (!x.cwd.empty()) p.cwd.assign(x.cwd);
      p.env = SplitNul(x.env);
      p.args_truncated = x.args_truncated;
      p.env_truncated = x.env_truncated;
      if (!x.cgroup.empty()) {
        p.cgroup.assign(x.cgroup);
        AssignContainer(&p);
      } else if (p.container_id.empty()) {
        p.container_id = "host";
      }
      p.exe_ino = x.exe_ino;
      p.exe_ctime_ns = x.exe_ctime_ns;
      p.exe_mtime_ns = x.exe_mtime_ns;
      p.cap_permitted = x.cap_permitted;
      p.cap_effective = x.cap_effective;
      p.cap_inheritable = x.cap_inheritable;
      if (x.start_ts_ns) p.start_ts_ns = x.start_ts_ns;
      p.exec_ts_ns = ev.ts_ns;
      p.exe_writable = x.exe_writable;
      p.exe_from_memfd = x.exe_from_memfd;
      p.exe_upper_layer = x.exe_upper_layer;
      p.from_snapshot = false;
      p.exited = false;
      break;
    }
    case EventType::kClone:
    case EventType::kClone3:
    case EventType::kFork:
    case EventType::kVfork: {
      if (ev.fork == nullptr || ev.res <= 0) break;
      const ForkInfo& f = *ev.fork;
      if ((f.flags & CLONE_THREAD) != 0 || (f.child_tgid == tgid && f.child_tid != tgid)) {
        threads_[f.child_tid] = tgid;
        break;
      }
      Entry& parent = GetOrCreate(tgid);
      Process child_proc = parent.proc;
      auto parent_fds = parent.fds;  // copy before GetOrCreate may rehash
      child_proc.pid = f.child_tgid ? f.child_tgid : f.child_tid;
      child_proc.ppid = tgid;
      child_proc.start_ts_ns = ev.ts_ns;
      child_proc.from_snapshot = false;
      child_proc.exited = false;
      Entry& child = GetOrCreateEmpty(child_proc.pid);  // filled from the parent below
      child.proc = std::move(child_proc);
      child.fds = std::move(parent_fds);
      break;
    }
    case EventType::kProcExit: {
      if (ev.tid != tgid) {
        threads_.erase(ev.tid);
        break;
      }
      if (Entry* e = Get(tgid)) {
        e->proc.exited = true;
        pending_exit_.push_back(tgid);
      }
      break;
    }
    case EventType::kOpen:
    case EventType::kOpenat:
    case EventType::kOpenat2:
    case EventType::kCreat:
    case EventType::kOpenByHandleAt: {
      if (ev.res < 0 || ev.fixed_file) break;  // a fixed-file slot is no fd
      FdInfo fd;
      fd.type = FdType::kFile;
      std::string_view name = ArgStr(ev, ArgId::kName);
      if (name.empty()) name = ArgStr(ev, ArgId::kPath);  // open_by_handle_at
      fd.name.assign(name);
      fd.open_flags = static_cast<uint64_t>(ArgNum(ev, ArgId::kFlags, 0));
      SetFd(tgid, ev.res, std::move(fd));
      break;
    }
    case EventType::kMemfdCreate: {
      if (ev.res < 0) break;
      FdInfo fd;
      fd.type = FdType::kMemfd;
      fd.name = "memfd:" + std::string(ArgStr(ev, ArgId::kName));
      SetFd(tgid, ev.res, std::move(fd));
      break;
    }
    case EventType::kClose: {
      if (ev.res != 0) break;
      if (Entry* e = Get(tgid)) e->fds.erase(ArgNum(ev, ArgId::kFd, -1));
      break;
    }
    case EventType::kDup:
    case EventType::kDup2:
    case EventType::kDup3: {
      if (ev.res < 0) break;
      int64_t oldfd = ArgNum(ev, ArgId::kOldfd, ArgNum(ev, ArgId::kFd, -1));
      if (const FdInfo* src = FindFd(tgid, oldfd)) {
        FdInfo copy = *src;
        SetFd(tgid, ev.res, std::move(copy));
      }
      break;
    }
    case EventType::kSocket: {
      if (ev.res < 0) break;
      FdInfo fd;
      fd.type = SocketFdType(ArgNum(ev, ArgId::kDomain, 0));
      fd.family = static_cast<uint16_t>(ArgNum(ev, ArgId::kDomain, 0));
      fd.l4proto = static_cast<uint8_t>(ArgNum(ev, ArgId::kProto, 0));
      SetFd(tgid, ev.res, std::move(fd));
      break;
    }
    case EventType::kConnect:
    case EventType::kSendto:
    case EventType::kBind: {
      if (!ev.has_tuple) break;
      if (ev.type == EventType::kConnect && ev.res < 0 && ev.res != -115 /*EINPROGRESS*/) break;
      int64_t fdnum = ArgNum(ev, ArgId::kFd, -1);
      if (fdnum < 0) break;  // io_uring requests name no fd number
      Entry& e = GetOrCreate(tgid);
      if (e.fds.size() >= limits_.max_fds_per_process && !e.fds.count(fdnum)) break;
      FdInfo& fd = e.fds[fdnum];
      FillFromTuple(fd, ev.tuple, ev.type == EventType::kBind);
      break;
    }
    case EventType::kAccept:
    case EventType::kAccept4: {
      if (ev.res < 0) break;
      FdInfo fd;
      if (ev.has_tuple) FillFromTuple(fd, ev.tuple, true);
      SetFd(tgid, ev.res, std::move(fd));
      break;
    }
    case EventType::kChdir: {
      if (ev.res != 0) break;
      std::string_view path = ArgStr(ev, ArgId::kPath);
      if (!path.empty()) GetOrCreate(tgid).proc.cwd.assign(path);
      break;
    }
    case EventType::kSetuid:
    case EventType::kSetresuid:
    case EventType::kSetreuid: {
      if (ev.res != 0) break;
      Entry& e = GetOrCreate(tgid);
      int64_t uid = ArgNum(ev, ArgId::kUid, ArgNum(ev, ArgId::kEuid, -1));
      if (uid >= 0) {
        e.proc.uid = static_cast<uint32_t>(uid);
        e.proc.euid = static_cast<uint32_t>(uid);
      }
      break;
    }
    case EventType::kSetgid:
    case EventType::kSetresgid:
    case EventType::kSetregid: {
      if (ev.res != 0) break;
      Entry& e = GetOrCreate(tgid);
      int64_t gid = ArgNum(ev, ArgId::kGid, ArgNum(ev, ArgId::kEgid, -1));
      if (gid >= 0) {
        e.proc.gid = static_cast<uint32_t>(gid);
        e.proc.egid = static_cast<uint32_t>(gid);
      }
      break;
    }
    default:
      break;
  }
}

}  // namespace vigil
