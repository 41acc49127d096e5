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

}  // namespace
}  // namespace vigil
