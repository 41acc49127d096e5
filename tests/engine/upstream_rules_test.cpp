// Loads the upstream Falco rules shipped in $VIGIL_SHARED_DIR/falco-rules and checks that
// their stable rules fire on in-memory events describing the behaviour.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "engine_test_util.h"

namespace vigil {
namespace {

using testing::MakeEvent;
using testing::MakeProcess;

std::string RulesDir() {
  const char* shared = std::getenv("VIGIL_SHARED_DIR");
  // Fail (never skip) when the directory is missing.
  EXPECT_NE(shared, nullptr) << "VIGIL_SHARED_DIR is not set";
  if (!shared) return "/nonexistent";
  std::string dir = std::string(shared) + "/falco-rules";
  EXPECT_TRUE(std::filesystem::is_directory(dir)) << dir << " is missing";
  return dir;
}

LoadOptions Opts() {
  LoadOptions o;
  o.hostname = "testhost";
  return o;
}

TEST(UpstreamRules, AllThreeLoadTogetherWithoutErrors) {
  std::string d = RulesDir();
  auto r = LoadRuleFiles({d + "/falco_rules.yaml", d + "/falco-incubating_rules.yaml",
                          d + "/falco-sandbox_rules.yaml"},
                         Opts());
  EXPECT_TRUE(r.ok()) << testing::DiagText(r);
  EXPECT_GT(r.rules, 80u);
  EXPECT_GT(r.macros, 100u);
  EXPECT_GT(r.lists, 80u);
  EXPECT_GT(r.ruleset->rule_count(), 20u);
}

class UpstreamFile : public ::testing::TestWithParam<const char*> {};

TEST_P(UpstreamFile, LoadsAloneWithoutErrors) {
  auto r = LoadRuleFiles({RulesDir() + "/" + GetParam()}, Opts());
  EXPECT_TRUE(r.ok()) << testing::DiagText(r);
  EXPECT_GT(r.rules, 10u);
}

INSTANTIATE_TEST_SUITE_P(Files, UpstreamFile,
                         ::testing::Values("falco_rules.yaml", "falco-incubating_rules.yaml",
                                           "falco-sandbox_rules.yaml"));

class StableRules : public ::testing::Test {
 protected:
  void SetUp() override {
    result_ = LoadRuleFiles({RulesDir() + "/falco_rules.yaml"}, Opts());
    ASSERT_TRUE(result_.ok()) << testing::DiagText(result_);
    table_.Upsert(MakeProcess(1, 0, "systemd", "/usr/lib/systemd/systemd"));
  }
  std::vector<std::string> Fire(const Event& ev) { return testing::Matches(result_, ev, table_); }
  LoadResult result_;
  ProcessTable table_;
};

TEST_F(StableRules, ReadSensitiveFileUntrustedFiresOnShadowRead) {
  table_.Upsert(MakeProcess(100, 1, "sshd", "/usr/sbin/sshd"));
  table_.Upsert(MakeProcess(200, 100, "bash", "/usr/bin/bash"));
  table_.Upsert(MakeProcess(300, 200, "cat", "/usr/bin/cat", {"/etc/shadow"}));
  Event ev = testing::OpenEvent(300, "/etc/shadow", O_RDONLY);
  auto names = Fire(ev);
  EXPECT_NE(std::find(names.begin(), names.end(), "Read sensitive file untrusted"), names.end())
      << ::testing::PrintToString(names);
  // A non-sensitive file does not fire it.
  Event ok = testing::OpenEvent(300, "/etc/hostname", O_RDONLY);
  auto none = Fire(ok);
  EXPECT_EQ(std::find(none.begin(), none.end(), "Read sensitive file untrusted"), none.end());
}

TEST_F(StableRules, PtraceAttachFires) {
  table_.Upsert(MakeProcess(400, 1, "gdb", "/usr/bin/gdb", {"-p", "1"}));
  Event ev = MakeEvent(EventType::kPtrace, 400, 0);
  ev.AddNum(ArgId::kRequest, 16);  // PTRACE_ATTACH
  ev.AddNum(ArgId::kPid, 1);
  auto names = Fire(ev);
  EXPECT_NE(std::find(names.begin(), names.end(), "PTRACE attached to process"), names.end())
      << ::testing::PrintToString(names);
}

TEST_F(StableRules, InterestingEventTypesCoverExecAndOpen) {
  auto bits = result_.ruleset->InterestingEventTypes();
  EXPECT_TRUE(bits.test(static_cast<std::size_t>(EventType::kExecve)));
  EXPECT_TRUE(bits.test(static_cast<std::size_t>(EventType::kOpenat)));
  EXPECT_FALSE(bits.test(static_cast<std::size_t>(EventType::kUnknown)) && bits.all());
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

// Stable rules firing on the behaviour they describe (and not on a near miss).
class StableRuleBehaviour : public ::testing::Test {
 protected:
  void SetUp() override {
    result_ = LoadRuleFiles({RulesDir() + "/falco_rules.yaml"}, Opts());
    ASSERT_TRUE(result_.ok()) << testing::DiagText(result_);
    table_.Upsert(MakeProcess(1, 0, "systemd", "/usr/lib/systemd/systemd"));
  }
  bool Fires(const Event& ev, const std::string& rule) {
    auto names = testing::Matches(result_, ev, table_);
    return std::find(names.begin(), names.end(), rule) != names.end();
  }
  Process InContainer(Process p) {
    p.container_id = "3ad7b26ded6d";
    return p;
  }
  LoadResult result_;
  ProcessTable table_;
};

TEST_F(StableRuleBehaviour, TerminalShellInContainer) {
  Process sh = InContainer(MakeProcess(600, 0, "bash", "/usr/bin/bash"));
  sh.tty = 34816;
  table_.Upsert(sh);
  EXPECT_TRUE(Fires(MakeEvent(EventType::kExecve, 600), "Terminal shell in container"));
  sh.tty = 0;
  table_.Upsert(sh);
  EXPECT_FALSE(Fires(MakeEvent(EventType::kExecve, 600), "Terminal shell in container"));
  Process host = MakeProcess(601, 0, "bash", "/usr/bin/bash");
  host.tty = 34816;
  table_.Upsert(host);
  EXPECT_FALSE(Fires(MakeEvent(EventType::kExecve, 601), "Terminal shell in container"));
}

TEST_F(StableRuleBehaviour, RunShellUntrustedBelowWebServer) {
  table_.Upsert(MakeProcess(700, 1, "nginx", "/usr/sbin/nginx"));
  table_.Upsert(MakeProcess(701, 700, "sh", "/bin/sh", {"-c", "id"}));
  EXPECT_TRUE(Fires(MakeEvent(EventType::kExecve, 701), "Run shell untrusted"));
  table_.Upsert(MakeProcess(702, 1, "sshd", "/usr/sbin/sshd"));
  table_.Upsert(MakeProcess(703, 702, "sh", "/bin/sh", {"-c", "id"}));
  EXPECT_FALSE(Fires(MakeEvent(EventType::kExecve, 703), "Run shell untrusted"));
}

TEST_F(StableRuleBehaviour, PacketSocketInContainer) {
  table_.Upsert(InContainer(MakeProcess(800, 1, "tcpdump", "/usr/bin/tcpdump")));
  Event ev = MakeEvent(EventType::kSocket, 800, 3);
  ev.AddNum(ArgId::kDomain, 17);  // AF_PACKET
  ev.AddNum(ArgId::kType, 3);
  ev.AddNum(ArgId::kProto, 768);
  EXPECT_TRUE(Fires(ev, "Packet socket created in container"));
  Event inet = MakeEvent(EventType::kSocket, 800, 3);
  inet.AddNum(ArgId::kDomain, 2);
  EXPECT_FALSE(Fires(inet, "Packet socket created in container"));
}

TEST_F(StableRuleBehaviour, ExecutionFromDevShmAndMemfd) {
  Process shm = MakeProcess(900, 1, "x", "/dev/shm/x");
  table_.Upsert(shm);
  EXPECT_TRUE(Fires(MakeEvent(EventType::kExecve, 900), "Execution from /dev/shm"));
  Process memfd = MakeProcess(901, 1, "3", "memfd:payload (deleted)");
  memfd.exe_from_memfd = true;
  table_.Upsert(memfd);
  EXPECT_TRUE(Fires(MakeEvent(EventType::kExecve, 901), "Fileless execution via memfd_create"));
  EXPECT_FALSE(Fires(MakeEvent(EventType::kExecve, 900), "Fileless execution via memfd_create"));
}

TEST_F(StableRuleBehaviour, SymlinkOverSensitiveFile) {
  table_.Upsert(MakeProcess(1000, 1, "ln", "/usr/bin/ln", {"-s", "/etc/shadow", "/tmp/s"}));
  Event ev = MakeEvent(EventType::kSymlinkat, 1000, 0);
  ev.AddStr(ArgId::kTarget, "/etc/shadow");
  ev.AddNum(ArgId::kNewdirfd, AT_FDCWD);
  ev.AddStr(ArgId::kLinkpath, "/tmp/s");
  EXPECT_TRUE(Fires(ev, "Create Symlink Over Sensitive Files"));
  Event ok = MakeEvent(EventType::kSymlinkat, 1000, 0);
  ok.AddStr(ArgId::kTarget, "/etc/hostname");
  ok.AddNum(ArgId::kNewdirfd, AT_FDCWD);
  ok.AddStr(ArgId::kLinkpath, "/tmp/s");
  EXPECT_FALSE(Fires(ok, "Create Symlink Over Sensitive Files"));
}

TEST_F(StableRuleBehaviour, ClearLogActivities) {
  table_.Upsert(MakeProcess(1100, 1, "bash", "/usr/bin/bash"));
  Event trunc = testing::OpenEvent(1100, "/var/log/syslog", O_WRONLY | O_TRUNC, 3);
  EXPECT_TRUE(Fires(trunc, "Clear Log Activities"));
  Event append = testing::OpenEvent(1100, "/var/log/syslog", O_WRONLY | O_APPEND, 3);
  EXPECT_FALSE(Fires(append, "Clear Log Activities"));
}

TEST_F(StableRuleBehaviour, KernelModuleLoadInContainer) {
  Process p = InContainer(MakeProcess(1200, 1, "insmod", "/usr/sbin/insmod"));
  p.cap_effective = 1ULL << 16;  // CAP_SYS_MODULE
  table_.Upsert(p);
  EXPECT_TRUE(Fires(MakeEvent(EventType::kFinitModule, 1200), "Linux Kernel Module Injection Detected"));
  p.cap_effective = 0;
  table_.Upsert(p);
  EXPECT_FALSE(Fires(MakeEvent(EventType::kFinitModule, 1200), "Linux Kernel Module Injection Detected"));
}

TEST_F(StableRuleBehaviour, RedirectStdioToSocketInContainer) {
  table_.Upsert(InContainer(MakeProcess(1300, 1, "bash", "/usr/bin/bash", {"-i"})));
  FdInfo sock;
  sock.type = FdType::kIpv4;
  sock.family = 2;
  sock.l4proto = 6;
  sock.name = "172.17.0.2:40000->10.0.0.1:4444";
  table_.SetFd(1300, 3, sock);
  Event ev = MakeEvent(EventType::kDup2, 1300, 0);
  ev.AddNum(ArgId::kOldfd, 3);
  ev.AddNum(ArgId::kNewfd, 0);
  EXPECT_TRUE(Fires(ev, "Redirect STDOUT/STDIN to Network Connection in Container"));
  Event other = MakeEvent(EventType::kDup2, 1300, 7);
  other.AddNum(ArgId::kOldfd, 3);
  other.AddNum(ArgId::kNewfd, 7);
  EXPECT_FALSE(Fires(other, "Redirect STDOUT/STDIN to Network Connection in Container"));
}

TEST_F(StableRuleBehaviour, DebugfsInPrivilegedContainer) {
  Process p = InContainer(MakeProcess(1500, 1, "debugfs", "/usr/sbin/debugfs", {"/dev/sda1"}));
  p.cap_effective = 0x1fffeffffffULL;  // --privileged on a host whose root lacks CAP_SYS_RESOURCE
  table_.Upsert(p);
  EXPECT_TRUE(Fires(MakeEvent(EventType::kExecve, 1500), "Debugfs Launched in Privileged Container"));
  p.cap_effective = 0xa80425fb;  // Docker's default capability set
  table_.Upsert(p);
  EXPECT_FALSE(Fires(MakeEvent(EventType::kExecve, 1500), "Debugfs Launched in Privileged Container"));
}

TEST_F(StableRuleBehaviour, SearchPrivateKeys) {
  table_.Upsert(MakeProcess(1400, 1, "find", "/usr/bin/find", {"/", "-name", "id_rsa"}));
  EXPECT_TRUE(Fires(MakeEvent(EventType::kExecve, 1400), "Search Private Keys or Passwords"));
  table_.Upsert(MakeProcess(1401, 1, "find", "/usr/bin/find", {"/", "-name", "notes.txt"}));
  EXPECT_FALSE(Fires(MakeEvent(EventType::kExecve, 1401), "Search Private Keys or Passwords"));
}

}  // namespace
}  // namespace vigil
