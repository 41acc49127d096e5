#include "vigil/self_protection.h"

#include <fcntl.h>
#include <signal.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vigil/rule_loader.h"
#include "vigil/ruleset.h"

namespace vigil {
namespace {

class SelfProtection : public ::testing::Test {
 protected:
  void SetUp() override {
    SelfProtectionTargets t;
    t.pid = 4242;
    t.binary = "/usr/local/bin/vigil";
    t.files = {"/etc/vigil/vigil.yaml"};
    t.directories = {"/etc/vigil/rules.d"};
    LoadResult r = LoadRuleStrings({{kSelfProtectionDocName, SelfProtectionRules(t)}}, {});
    for (const auto& d : r.diagnostics) ADD_FAILURE() << d.ToString();
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r.ruleset->rule_count(), kSelfProtectionRuleCount);
    rules_ = r.ruleset;
    Process attacker;
    attacker.pid = 100;
    attacker.comm = "evil";
    table_.Upsert(attacker);
  }
  std::vector<std::string> Fired(const Event& ev) {
    std::vector<std::string> names;
    rules_->Evaluate(ev, table_, [&](const Alert& a) { names.push_back(a.rule); });
    return names;
  }
  Event Base(EventType type) {
    Event ev;
    ev.type = type;
    ev.tid = ev.tgid = 100;
    return ev;
  }
  std::shared_ptr<const Ruleset> rules_;
  ProcessTable table_;
};

TEST_F(SelfProtection, PtraceOfDaemonFires) {
  Event ev = Base(EventType::kPtrace);
  ev.AddNum(ArgId::kRequest, 16 /*PTRACE_ATTACH*/);
  ev.AddNum(ArgId::kPid, 4242);
  EXPECT_EQ(Fired(ev), std::vector<std::string>{"vigil tampering: daemon traced"});
  Event other = Base(EventType::kPtrace);
  other.AddNum(ArgId::kRequest, 16);
  other.AddNum(ArgId::kPid, 4243);
  EXPECT_TRUE(Fired(other).empty());
}

TEST_F(SelfProtection, SignalToDaemonFiresButProbeSignalDoesNot) {
  Event ev = Base(EventType::kKill);
  ev.AddNum(ArgId::kPid, 4242);
  ev.AddNum(ArgId::kSig, SIGKILL);
  EXPECT_EQ(Fired(ev), std::vector<std::string>{"vigil tampering: signal sent to daemon"});
  Event probe = Base(EventType::kKill);
  probe.AddNum(ArgId::kPid, 4242);
  probe.AddNum(ArgId::kSig, 0);
  EXPECT_TRUE(Fired(probe).empty());
}

// Process `pid` (root unless uid given) with this executable and parent.
void AddProcess(ProcessTable& table, uint32_t pid, uint32_t ppid, const std::string& exepath,
                const std::string& comm, uint32_t uid = 0) {
  Process p;
  p.pid = pid;
  p.ppid = ppid;
  p.exepath = exepath;
  p.comm = comm;
  p.uid = p.euid = uid;
  table.Upsert(p);
}

TEST_F(SelfProtection, RoutineControlSignalsDoNotFire) {
  AddProcess(table_, 1, 0, "/usr/lib/systemd/systemd", "systemd");
  AddProcess(table_, 200, 1, "/usr/bin/kill", "kill");              // ExecReload=/bin/kill -HUP
  AddProcess(table_, 300, 1, "/usr/sbin/logrotate", "logrotate");
  AddProcess(table_, 301, 300, "/usr/bin/dash", "sh");               // postrotate, builtin kill
  AddProcess(table_, 302, 301, "/usr/bin/kill", "kill");             // postrotate, /usr/bin/kill
  auto signal_from = [&](uint32_t sender, int sig) {
    Event ev = Base(EventType::kKill);
    ev.tid = ev.tgid = sender;
    ev.AddNum(ArgId::kPid, 4242);
    ev.AddNum(ArgId::kSig, sig);
    return Fired(ev);
  };
  for (uint32_t sender : {1u, 200u, 301u, 302u}) {
    for (int sig : {SIGHUP, SIGUSR1, SIGTERM}) {
      EXPECT_TRUE(signal_from(sender, sig).empty()) << "sender " << sender << " sig " << sig;
    }
    // Stopping detection the hard way always alerts, whoever does it.
    EXPECT_EQ(signal_from(sender, SIGKILL).size(), 1u) << sender;
    EXPECT_EQ(signal_from(sender, SIGSTOP).size(), 1u) << sender;
  }
}

TEST_F(SelfProtection, ControlSignalsFromAnythingElseFire) {
  AddProcess(table_, 1, 0, "/usr/lib/systemd/systemd", "systemd");
  // An interactive root shell's kill, a binary merely named like a trusted one, a kill run
  // by an unprivileged user under PID 1, a copy of kill elsewhere.
  AddProcess(table_, 400, 399, "/usr/bin/kill", "kill");
  AddProcess(table_, 401, 1, "/tmp/evil", "kill");
  AddProcess(table_, 402, 1, "/tmp/x/logrotate", "logrotate");
  AddProcess(table_, 403, 402, "/usr/bin/kill", "kill");
  AddProcess(table_, 404, 1, "/usr/bin/kill", "kill", 1000);
  AddProcess(table_, 405, 1, "/home/u/kill", "kill");
  for (uint32_t sender : {100u, 400u, 401u, 403u, 404u, 405u}) {
    for (int sig : {SIGHUP, SIGUSR1, SIGTERM}) {
      Event ev = Base(EventType::kKill);
      ev.tid = ev.tgid = sender;
      ev.AddNum(ArgId::kPid, 4242);
      ev.AddNum(ArgId::kSig, sig);
      EXPECT_EQ(Fired(ev), std::vector<std::string>{"vigil tampering: signal sent to daemon"})
          << "sender " << sender << " sig " << sig;
    }
  }
}

TEST_F(SelfProtection, WritesToConfigRulesOrBinaryFire) {
  for (const char* path : {"/etc/vigil/vigil.yaml", "/etc/vigil/rules.d/10_x.yaml",
                           "/usr/local/bin/vigil"}) {
    Event ev = Base(EventType::kOpenat);
    ev.res = 3;
    ev.AddStr(ArgId::kName, path);
    ev.AddNum(ArgId::kFlags, O_WRONLY | O_TRUNC);
    EXPECT_EQ(Fired(ev),
              std::vector<std::string>{"vigil tampering: configuration, rules or binary modified"})
        << path;
  }
  Event read = Base(EventType::kOpenat);
  read.res = 3;
  read.AddStr(ArgId::kName, "/etc/vigil/vigil.yaml");
  read.AddNum(ArgId::kFlags, O_RDONLY);
  EXPECT_TRUE(Fired(read).empty());
  Event elsewhere = Base(EventType::kOpenat);
  elsewhere.res = 3;
  elsewhere.AddStr(ArgId::kName, "/etc/vigil/rules.d.bak");
  elsewhere.AddNum(ArgId::kFlags, O_WRONLY);
  EXPECT_TRUE(Fired(elsewhere).empty());
}

TEST_F(SelfProtection, RenameOverRulesFires) {
  Event ev = Base(EventType::kRename);
  ev.AddStr(ArgId::kOldpath, "/tmp/evil.yaml");
  ev.AddStr(ArgId::kNewpath, "/etc/vigil/rules.d/00_base.yaml");
  EXPECT_EQ(Fired(ev),
            std::vector<std::string>{"vigil tampering: configuration, rules or binary modified"});
}

TEST_F(SelfProtection, BpfGetByIdFires) {
  Event ev = Base(EventType::kBpf);
  ev.AddNum(ArgId::kCmd, 30 /*BPF_LINK_GET_FD_BY_ID*/);
  EXPECT_EQ(Fired(ev), std::vector<std::string>{"vigil tampering: BPF objects taken by id"});
  Event load = Base(EventType::kBpf);
  load.AddNum(ArgId::kCmd, 5 /*BPF_PROG_LOAD*/);
  EXPECT_TRUE(Fired(load).empty());
}

TEST_F(SelfProtection, BpfAccessToVigilsOwnObjectIsCritical) {
  Event ev = Base(EventType::kBpf);
  ev.AddNum(ArgId::kCmd, 14 /*BPF_MAP_GET_FD_BY_ID*/);
  ev.AddNum(ArgId::kObjId, 77);
  ev.AddNum(ArgId::kVigilObject, 1);
  std::vector<std::string> fired = Fired(ev);
  EXPECT_EQ(fired, (std::vector<std::string>{"vigil tampering: BPF objects taken by id",
                                             "vigil tampering: vigil's BPF objects accessed"}));
  Event info = Base(EventType::kBpf);
  info.AddNum(ArgId::kCmd, 15 /*BPF_OBJ_GET_INFO_BY_FD*/);
  info.AddNum(ArgId::kObjId, 77);
  info.AddNum(ArgId::kVigilObject, 1);
  EXPECT_EQ(Fired(info), std::vector<std::string>{"vigil tampering: vigil's BPF objects accessed"});
  Event other = Base(EventType::kBpf);
  other.AddNum(ArgId::kCmd, 15);
  other.AddNum(ArgId::kObjId, 78);
  other.AddNum(ArgId::kVigilObject, 0);
  EXPECT_TRUE(Fired(other).empty());
}

TEST_F(SelfProtection, DaemonMemoryAndFdAccessFires) {
  const std::vector<std::string> want{"vigil tampering: daemon memory or file descriptors accessed"};
  Event vm = Base(EventType::kProcessVmWritev);
  vm.AddNum(ArgId::kPid, 4242);
  EXPECT_EQ(Fired(vm), want);
  Event vm_other = Base(EventType::kProcessVmReadv);
  vm_other.AddNum(ArgId::kPid, 4243);
  EXPECT_TRUE(Fired(vm_other).empty());
  Event getfd = Base(EventType::kPidfdGetfd);
  getfd.res = 5;
  getfd.AddNum(ArgId::kFd, 5);
  getfd.AddNum(ArgId::kPidFd, 4);
  getfd.AddNum(ArgId::kTargetFd, 9);
  getfd.AddNum(ArgId::kFlags, 0);
  getfd.AddNum(ArgId::kTargetPid, 4242);
  EXPECT_EQ(Fired(getfd), want);
  Event mem = Base(EventType::kOpenat);
  mem.res = 3;
  mem.AddNum(ArgId::kFd, 3);
  mem.AddNum(ArgId::kDirfd, -100);
  mem.AddStr(ArgId::kName, "/proc/4242/mem");
  mem.AddNum(ArgId::kFlags, O_RDWR);
  EXPECT_EQ(Fired(mem), want);
  Event maps = Base(EventType::kOpenat);
  maps.res = 3;
  maps.AddNum(ArgId::kFd, 3);
  maps.AddNum(ArgId::kDirfd, -100);
  maps.AddStr(ArgId::kName, "/proc/4242/status");
  maps.AddNum(ArgId::kFlags, O_RDONLY);
  EXPECT_TRUE(Fired(maps).empty());
}

}  // namespace
}  // namespace vigil
