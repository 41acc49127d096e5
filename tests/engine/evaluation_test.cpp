// Evaluation properties: no heap allocation when nothing matches, thread safety of a shared
// Ruleset, memoised macros giving the same answers as fresh evaluation.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <thread>

#include "engine_test_util.h"

#include "../support/counting_new.h"

using vigil::testing::g_allocations;

namespace vigil {
namespace {

using testing::MakeEvent;
using testing::MakeProcess;

std::string RulesFile() {
  const char* shared = std::getenv("VIGIL_SHARED_DIR");
  EXPECT_NE(shared, nullptr);
  return std::string(shared ? shared : "/nonexistent") + "/falco-rules/falco_rules.yaml";
}

struct Fixture {
  ProcessTable table;
  std::vector<Event> benign, malicious;
  Fixture() {
    table.Upsert(MakeProcess(1, 0, "systemd", "/usr/lib/systemd/systemd"));
    table.Upsert(MakeProcess(100, 1, "sshd", "/usr/sbin/sshd"));
    table.Upsert(MakeProcess(200, 100, "bash", "/usr/bin/bash"));
    table.Upsert(MakeProcess(300, 200, "cat", "/usr/bin/cat", {"/etc/shadow"}));
    table.Upsert(MakeProcess(400, 1, "nginx", "/usr/sbin/nginx"));
    table.Upsert(MakeProcess(401, 400, "sh", "/bin/sh", {"-c", "id"}));
    for (const char* p : {"/etc/hosts", "/usr/lib/libc.so.6", "relative/file", "/proc/self/stat"})
      benign.push_back(testing::OpenEvent(300, p, O_RDONLY));
    benign.push_back(testing::OpenEvent(300, "/tmp/out", O_WRONLY | O_CREAT));
    benign.push_back(MakeEvent(EventType::kExecve, 300));
    benign.push_back(MakeEvent(EventType::kClose, 300));
    Event pt = MakeEvent(EventType::kPtrace, 300);
    pt.AddNum(ArgId::kRequest, 0x4200);  // PTRACE_SETOPTIONS: not an attack
    benign.push_back(pt);
    malicious.push_back(testing::OpenEvent(300, "/etc/shadow", O_RDONLY));
    malicious.push_back(MakeEvent(EventType::kExecve, 401));
  }
};

TEST(Evaluation, NoHeapAllocationWhenNothingMatches) {
  auto r = LoadRuleFiles({RulesFile()}, {});
  ASSERT_TRUE(r.ok()) << testing::DiagText(r);
  Fixture fx;
  std::function<void(const Alert&)> on_alert = [](const Alert&) {};
  for (const auto& ev : fx.benign) EXPECT_EQ(r.ruleset->Evaluate(ev, fx.table, on_alert), 0u);  // warm-up
  uint64_t before = g_allocations.load();
  for (int i = 0; i < 1000; ++i)
    for (const auto& ev : fx.benign) r.ruleset->Evaluate(ev, fx.table, on_alert);
  EXPECT_EQ(g_allocations.load() - before, 0u);
  // Matching events do build alerts (so the counter works).
  before = g_allocations.load();
  std::size_t matches = 0;
  for (const auto& ev : fx.malicious) matches += r.ruleset->Evaluate(ev, fx.table, on_alert);
  EXPECT_GE(matches, 2u);
  EXPECT_GT(g_allocations.load() - before, 0u);
}

TEST(Evaluation, SharedRulesetIsThreadSafe) {
  auto r = LoadRuleFiles({RulesFile()}, {});
  ASSERT_TRUE(r.ok());
  Fixture fx;
  std::vector<std::size_t> expected;
  for (const auto& ev : fx.malicious) expected.push_back(r.ruleset->CountMatches(ev, fx.table));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        for (std::size_t k = 0; k < fx.malicious.size(); ++k)
          if (r.ruleset->CountMatches(fx.malicious[k], fx.table) != expected[k]) ++mismatches;
        for (const auto& ev : fx.benign)
          if (r.ruleset->CountMatches(ev, fx.table) != 0) ++mismatches;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(Evaluation, MemoisedMacrosDoNotLeakBetweenEvents) {
  // Two rules share the macro; consecutive events with different answers must not reuse
  // the previous event's memo.
  auto r = testing::LoadYaml(R"(
- macro: is_cat
  condition: proc.name = cat
- rule: a
  desc: d
  condition: evt.type = execve and is_cat
  output: o
  priority: INFO
- rule: b
  desc: d
  condition: evt.type = execve and is_cat and proc.pid > 0
  output: o
  priority: INFO
)");
  ASSERT_TRUE(r.ok()) << testing::DiagText(r);
  Fixture fx;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r.ruleset->CountMatches(MakeEvent(EventType::kExecve, 300), fx.table), 2u);
    EXPECT_EQ(r.ruleset->CountMatches(MakeEvent(EventType::kExecve, 200), fx.table), 0u);
  }
}

TEST(Evaluation, NestedEvaluateFromCallbackKeepsOuterResults) {
  auto r = testing::LoadYaml(R"(
- macro: is_cat
  condition: proc.name = cat
- rule: a
  desc: d
  condition: evt.type = execve and is_cat
  output: o
  priority: INFO
- rule: b
  desc: d
  condition: evt.type = execve and is_cat and proc.pid > 0
  output: o
  priority: INFO
)");
  ASSERT_TRUE(r.ok());
  Fixture fx;
  std::size_t outer = 0;
  Event bash = MakeEvent(EventType::kExecve, 200);
  outer = r.ruleset->Evaluate(MakeEvent(EventType::kExecve, 300), fx.table, [&](const Alert&) {
    EXPECT_EQ(r.ruleset->Evaluate(bash, fx.table, [](const Alert&) {}), 0u);
  });
  EXPECT_EQ(outer, 2u);
}

}  // namespace
}  // namespace vigil
