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
