#include "vigil/record_writer.h"

#include <array>

namespace vigil {

bool SameProcessRecord(const Process& a, const Process& b, bool with_env) {
  return a.pid == b.pid && a.ppid == b.ppid && a.sid == b.sid && a.pgid == b.pgid &&
         a.vpid == b.vpid && a.vpgid == b.vpgid && a.uid == b.uid && a.gid == b.gid &&
         a.euid == b.euid && a.egid == b.egid && a.loginuid == b.loginuid && a.tty == b.tty &&
         a.start_ts_ns == b.start_ts_ns && a.exec_ts_ns == b.exec_ts_ns &&
         a.exe_ino == b.exe_ino && a.exe_ctime_ns == b.exe_ctime_ns &&
         a.exe_mtime_ns == b.exe_mtime_ns && a.cap_permitted == b.cap_permitted &&
         a.cap_effective == b.cap_effective && a.cap_inheritable == b.cap_inheritable &&
         a.exe_writable == b.exe_writable && a.exe_from_memfd == b.exe_from_memfd &&
         a.exe_upper_layer == b.exe_upper_layer && a.from_snapshot == b.from_snapshot &&
         a.args_truncated == b.args_truncated && a.env_truncated == b.env_truncated &&
         a.comm == b.comm && a.exe == b.exe && a.exepath == b.exepath && a.args == b.args &&
         a.cmdline == b.cmdline && a.cwd == b.cwd && a.cgroup == b.cgroup &&
         a.container_id == b.container_id && (!with_env || a.env == b.env);
}

void RecordWriter::AppendHeader(const std::string& hostname, uint64_t started_ns,
                                std::string* out) const {
  AppendRecordHeaderJsonl(hostname, started_ns, out, options_);
}

void RecordWriter::EnsureProcess(const Process& p, std::string* out) {
  auto it = written_.find(p.pid);
  if (it != written_.end() && SameProcessRecord(it->second, p, options_.with_env)) return;
  AppendProcessRecordJsonl(p, out, options_);
  ++process_records_;
  if (it == written_.end()) {
    written_.emplace(p.pid, p);
  } else {
    it->second = p;
  }
}

void RecordWriter::Append(const Event& ev, const Process* proc, const FdInfo* fd,
                          const ProcessTable& table, std::string* out) {
  if (proc != nullptr) {
    // Oldest ancestor first, so the reader's table has a parent before its child.
    std::array<const Process*, kMaxAncestors> chain{};
    int n = 0;
    for (const Process* a = table.Parent(*proc); a != nullptr && n < kMaxAncestors;
         a = table.Parent(*a)) {
      if (a->pid == proc->pid || a->pid == 0) break;
      chain[n++] = a;
      if (a->pid == 1) break;
    }
    for (int i = n - 1; i >= 0; --i) EnsureProcess(*chain[i], out);
    EnsureProcess(*proc, out);
  }
  AppendEventJsonl(ev, nullptr, fd, out, options_);
  // A pid that exits is forgotten: a reused pid gets a fresh record anyway (its start time
  // differs), and the map stays bounded by the live processes.
  if (ev.type == EventType::kProcExit) written_.erase(ev.tgid);
}

}  // namespace vigil
