#include "vigil/self_protection.h"

#include <sstream>

#include <yaml-cpp/yaml.h>

namespace vigil {
namespace {

// Quotes a path for a Falco list/value (double quotes, backslash-escaped).
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string PathCondition(const std::string& field, const SelfProtectionTargets& t) {
  std::ostringstream os;
  os << "(";
  bool first = true;
  auto add = [&](const std::string& clause) {
    if (!first) os << " or ";
    os << clause;
    first = false;
  };
  if (!t.files.empty() || !t.binary.empty()) {
    std::ostringstream in;
    in << field << " in (";
    bool f = true;
    for (const auto& p : t.files) {
      in << (f ? "" : ", ") << Quote(p);
      f = false;
    }
    if (!t.binary.empty()) in << (f ? "" : ", ") << Quote(t.binary);
    in << ")";
    add(in.str());
  }
  for (const auto& d : t.directories) {
    std::string dir = d;
    if (!dir.empty() && dir.back() != '/') dir.push_back('/');
    add(field + " startswith " + Quote(dir));
  }
  if (first) os << "evt.num < 0";
  os << ")";
  return os.str();
}

// Routine control of the daemon (docs/detections.md, "Self-protection"): a control signal
// (SIGHUP=1 reload, SIGUSR1=10 reopen, SIGTERM=15 stop) sent by root from
//  - PID 1 itself (the service manager),
//  - a kill/start-stop-daemon binary whose parent is PID 1 (systemd's ExecReload/ExecStop,
//    init scripts),
//  - a process whose parent or grandparent is logrotate (postrotate: sh -c "kill -HUP ..."
//    with the shell's builtin kill, or /usr/bin/kill under that shell).
// Executables are judged by proc.exepath / pexepath / aexepath (the kernel's mm->exe_file),
// never by proc.name, which any process can set.
constexpr const char* kRoutineControlSignal =
    "(evt.rawarg.sig in (1, 10, 15) and user.uid = 0 and ("
    "proc.pid = 1"
    " or (proc.ppid = 1 and proc.exepath in (/usr/bin/kill, /bin/kill, "
    "/usr/sbin/start-stop-daemon, /sbin/start-stop-daemon))"
    " or proc.pexepath in (/usr/sbin/logrotate, /sbin/logrotate)"
    " or proc.aexepath[2] in (/usr/sbin/logrotate, /sbin/logrotate)))";

}  // namespace

namespace {

void EmitRule(YAML::Emitter& out, const std::string& name, const std::string& desc,
              const std::string& condition, const std::string& output, const char* priority) {
  out << YAML::BeginMap;
  out << YAML::Key << "rule" << YAML::Value << YAML::DoubleQuoted << name;
  out << YAML::Key << "desc" << YAML::Value << YAML::DoubleQuoted << desc;
  out << YAML::Key << "condition" << YAML::Value << YAML::DoubleQuoted << condition;
  out << YAML::Key << "output" << YAML::Value << YAML::DoubleQuoted << output;
  out << YAML::Key << "priority" << YAML::Value << priority;
  out << YAML::Key << "tags" << YAML::Value << YAML::Flow << YAML::BeginSeq << "vigil"
      << "self_protection" << "mitre_defense_evasion" << "T1562.001" << YAML::EndSeq;
  out << YAML::EndMap;
}

}  // namespace

std::string SelfProtectionRules(const SelfProtectionTargets& t) {
  const std::string pid = std::to_string(t.pid);
  const std::string who =
      " by %proc.name (pid=%proc.pid cmdline=%proc.cmdline user=%user.name parent=%proc.pname)";
  YAML::Emitter out;
  out << YAML::BeginSeq;
  EmitRule(out, "vigil tampering: daemon traced",
           "Another process used ptrace on the vigil daemon (to inspect, stop or inject into it).",
           "evt.type = ptrace and evt.rawarg.pid = " + pid,
           "vigil daemon traced with %evt.arg.request" + who, "CRITICAL");
  EmitRule(out, "vigil tampering: signal sent to daemon",
           "A signal was sent to the vigil daemon by something other than routine control "
           "(SIGHUP/SIGUSR1/SIGTERM sent as root by the service manager, by the kill binary it "
           "runs, or by logrotate's postrotate script). SIGKILL, SIGSTOP and signals from "
           "anything else always alert.",
           "evt.type in (kill, tkill, tgkill) and evt.rawarg.pid = " + pid +
               " and evt.rawarg.sig != 0 and not " + kRoutineControlSignal,
           "signal %evt.arg.sig sent to the vigil daemon" + who, "WARNING");
  EmitRule(out, "vigil tampering: configuration, rules or binary modified",
           "The vigil daemon's configuration, rules or executable was opened for writing, "
           "renamed, or deleted.",
           "(evt.type in (open, openat, openat2, creat) and evt.is_open_write = true and " +
               PathCondition("fd.name", t) + ") or (evt.type in (rename, renameat, renameat2) and (" +
               PathCondition("evt.arg.oldpath", t) + " or " + PathCondition("evt.arg.newpath", t) +
               ")) or (evt.type in (unlink, unlinkat) and (" + PathCondition("evt.arg.name", t) +
               " or " + PathCondition("evt.arg.path", t) + "))",
           "vigil file modified (type=%evt.type file=%fd.name oldpath=%evt.arg.oldpath "
           "newpath=%evt.arg.newpath name=%evt.arg.name)" + who,
           "CRITICAL");
  EmitRule(out, "vigil tampering: BPF objects taken by id",
           "A process obtained a BPF program, map or link by id, or detached a link: the way to "
           "unload or blind another tool's probes.",
           // BPF_PROG_GET_FD_BY_ID=13, BPF_MAP_GET_FD_BY_ID=14, BPF_LINK_GET_FD_BY_ID=30,
           // BPF_LINK_DETACH=34 (uapi/linux/bpf.h)
           "evt.type = bpf and evt.rawarg.cmd in (13, 14, 30, 34)",
           "BPF object grabbed by id (cmd=%evt.arg.cmd)" + who, "NOTICE");
  EmitRule(out, "vigil tampering: vigil's BPF objects accessed",
           "Another process took one of vigil's own BPF programs, maps or links by id, or read "
           "its details by fd: the first step to clearing the interest bitmap, detaching a "
           "probe or reading what vigil watches. The probe marks the call when the id is one "
           "of vigil's (resolved in the kernel).",
           "evt.type = bpf and evt.rawarg.cmd in (13, 14, 15, 30) and evt.rawarg.vigil_object = 1",
           "vigil BPF object accessed (cmd=%evt.arg.cmd id=%evt.rawarg.id)" + who, "CRITICAL");
  EmitRule(out, "vigil tampering: daemon memory or file descriptors accessed",
           "Another process read or wrote the daemon's memory (process_vm_readv/writev, "
           "/proc/<pid>/mem) or took one of its file descriptors with pidfd_getfd (its BPF "
           "maps and ring buffer are fds).",
           "(evt.type in (process_vm_readv, process_vm_writev) and evt.rawarg.pid = " + pid +
               ") or (evt.type = pidfd_getfd and evt.rawarg.target_pid = " + pid +
               ") or (evt.type in (open, openat, openat2) and fd.name startswith \"/proc/" + pid +
               "/\" and fd.filename = mem)",
           "vigil daemon memory or fds accessed (type=%evt.type file=%fd.name target_fd=%evt.arg.target_fd)" +
               who,
           "CRITICAL");
  out << YAML::EndSeq;
  return std::string("# Generated by the vigil daemon: tamper detection for pid ") + pid + "\n" +
         out.c_str() + "\n";
}

}  // namespace vigil
