// Sequence and threshold rules: the `sequence:` item's validation (file:line:col), ordered
// steps with %stepN captures, windows on event time, until, per-key state, the key cap and
// its eviction counter, state kept across a reload of an unchanged definition, and no heap
// allocation per event when no step matches.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "engine_test_util.h"
#include "vigil/sequence_engine.h"

#include "../support/counting_new.h"

using vigil::testing::g_allocations;

namespace vigil {
namespace {

using testing::DiagText;
using testing::LoadYaml;
using testing::MakeEvent;
using testing::MakeProcess;

constexpr uint64_t kSec = 1000000000ULL;
constexpr uint64_t kT0 = 1'700'000'000'000'000'000ULL;

const char* kDropRun = R"(
- macro: writes_tmp
  condition: evt.type in (open, openat) and evt.is_open_write=true and fd.name startswith /tmp/
- sequence: Drop Then Run
  desc: a file written in /tmp is executed by the same parent
  by: [proc.ppid]
  maxspan: 30s
  steps:
    - condition: writes_tmp
    - condition: evt.type = execve and proc.exepath = %step1.fd.name
  until: evt.type = procexit
  output: ran %step1.fd.name written by %step1.proc.name (now %proc.name, key %seq.key)
  priority: CRITICAL
  tags: [test]
)";

struct Env {
  ProcessTable table;
  SequenceEngine engine;
  std::vector<Alert> alerts;
  explicit Env(SequenceOptions o = {}) : engine(o) {
    table.Upsert(MakeProcess(100, 1, "bash", "/usr/bin/bash"));
    table.Upsert(MakeProcess(101, 100, "curl", "/usr/bin/curl"));
    table.Upsert(MakeProcess(102, 100, "payload", "/tmp/payload"));
    table.Upsert(MakeProcess(201, 200, "curl", "/usr/bin/curl"));
    table.Upsert(MakeProcess(202, 300, "payload", "/tmp/payload"));
  }
  std::size_t Feed(Event ev, uint64_t at) {
    ev.ts_ns = kT0 + at;
    return engine.Process(ev, table, [&](const Alert& a) { alerts.push_back(a); });
  }
  std::size_t Write(uint32_t pid, const char* path, uint64_t at) {
    return Feed(testing::OpenEvent(pid, path, O_WRONLY | O_CREAT), at);
  }
  std::size_t Exec(uint32_t pid, uint64_t at) { return Feed(MakeEvent(EventType::kExecve, pid), at); }
};

std::shared_ptr<const Ruleset> Load(const std::string& yaml) {
  auto r = LoadYaml(yaml);
  EXPECT_TRUE(r.ok()) << DiagText(r);
  EXPECT_EQ(r.sequences, 1u);
  return r.ruleset;
}

TEST(Sequence, StepsInOrderWithinWindowAlertWithCapturedFields) {
  Env env;
  env.engine.SetRuleset(Load(kDropRun));
  ASSERT_EQ(env.engine.sequence_count(), 1u);
  EXPECT_EQ(env.Exec(102, 0), 0u);  // step 2 before step 1: nothing
  EXPECT_EQ(env.Write(101, "/tmp/payload", 1 * kSec), 0u);
  EXPECT_EQ(env.Exec(102, 5 * kSec), 1u);
  ASSERT_EQ(env.alerts.size(), 1u);
  const Alert& a = env.alerts[0];
  EXPECT_EQ(a.rule, "Drop Then Run");
  EXPECT_EQ(a.priority, Priority::kCritical);
  EXPECT_EQ(a.output, "ran /tmp/payload written by curl (now payload, key 100)");
  EXPECT_EQ(a.ts_ns, kT0 + 5 * kSec);
  ASSERT_GE(a.output_fields.size(), 3u);
  EXPECT_EQ(a.output_fields[0].name, "step1.fd.name");
  EXPECT_EQ(a.output_fields[0].str, "/tmp/payload");
  EXPECT_EQ(a.tags, std::vector<std::string>{"test"});
  // Completed: the partial match is gone, a second exec does not alert again.
  EXPECT_EQ(env.Exec(102, 6 * kSec), 0u);
}

TEST(Sequence, NearMissOutsideWindowDifferentKeyOrOtherFile) {
  Env env;
  env.engine.SetRuleset(Load(kDropRun));
  env.Write(101, "/tmp/payload", 0);
  EXPECT_EQ(env.Exec(102, 31 * kSec), 0u);  // window is 30 s of event time
  env.Write(201, "/tmp/payload", 40 * kSec);  // parent 200
  EXPECT_EQ(env.Exec(202, 41 * kSec), 0u);    // parent 300: another key
  env.Write(101, "/tmp/other", 50 * kSec);
  EXPECT_EQ(env.Exec(102, 51 * kSec), 0u);    // %step1.fd.name differs
  env.Write(101, "/tmp/payload", 60 * kSec);
  EXPECT_EQ(env.Exec(102, 61 * kSec), 1u);    // and the positive still works after all that
}

TEST(Sequence, UntilEndsThePartialMatch) {
  Env env;
  env.engine.SetRuleset(Load(kDropRun));
  env.Write(101, "/tmp/payload", 0);
  // exit of a child of 100 (key = ppid 100) ends the partial match.
  env.Feed(MakeEvent(EventType::kProcExit, 101), 1 * kSec);
  EXPECT_EQ(env.Exec(102, 2 * kSec), 0u);
}

TEST(Sequence, ThresholdCountAndDistinct) {
  const char* rules = R"(
- sequence: Many Failed Opens
  by: proc.pid
  maxspan: 10s
  condition: evt.type = openat and evt.rawres < 0 and fs.path.name = /etc/shadow
  threshold: 3
  output: "%seq.count failed opens of %fs.path.name by %proc.name"
- sequence: Port Scan
  by: [proc.pid]
  maxspan: 10s
  condition: evt.type = openat and evt.rawres >= 0
  distinct: fd.name
  threshold: 3
  output: "%seq.count distinct files"
)";
  auto r = LoadYaml(rules);
  ASSERT_TRUE(r.ok()) << DiagText(r);
  Env env;
  env.engine.SetRuleset(r.ruleset);
  auto fail = [&](uint64_t at) { return env.Feed(testing::OpenEvent(101, "/etc/shadow", O_RDONLY, -13), at); };
  EXPECT_EQ(fail(0), 0u);
  EXPECT_EQ(fail(1 * kSec), 0u);
  EXPECT_EQ(fail(12 * kSec), 0u);  // the first two fell out of the window
  EXPECT_EQ(fail(13 * kSec), 0u);
  EXPECT_EQ(fail(14 * kSec), 1u);
  ASSERT_EQ(env.alerts.size(), 1u);
  EXPECT_EQ(env.alerts[0].output, "3 failed opens of /etc/shadow by curl");
  EXPECT_EQ(fail(15 * kSec), 0u);  // counting starts afresh after an alert
  env.alerts.clear();
  auto open = [&](const char* p, uint64_t at) { return env.Feed(testing::OpenEvent(101, p, O_RDONLY), at); };
  EXPECT_EQ(open("/a", 0 + 20 * kSec), 0u);
  EXPECT_EQ(open("/a", 21 * kSec), 0u);  // same value: not distinct
  EXPECT_EQ(open("/b", 22 * kSec), 0u);
  EXPECT_EQ(open("/c", 23 * kSec), 1u);
  EXPECT_EQ(env.alerts.at(0).rule, "Port Scan");
}

TEST(Sequence, KeyCapEvictsOldestAndCounts) {
  SequenceOptions o;
  o.max_keys = 4;
  Env env(o);
  env.engine.SetRuleset(Load(kDropRun));
  for (uint32_t i = 0; i < 10; ++i) {
    env.table.Upsert(MakeProcess(1000 + i, 500 + i, "curl", "/usr/bin/curl"));
    env.Write(1000 + i, "/tmp/x", i);
  }
  auto st = env.engine.stats();
  EXPECT_EQ(st.keys_live, 4u);
  EXPECT_EQ(st.keys_evicted, 6u);
  EXPECT_GT(st.state_bytes, 0u);
  // The newest keys survive: a run under parent 509 still completes, one under 500 does not.
  env.table.Upsert(MakeProcess(2000, 509, "x", "/tmp/x"));
  env.table.Upsert(MakeProcess(2001, 500, "x", "/tmp/x"));
  EXPECT_EQ(env.Exec(2001, 100), 0u);
  EXPECT_EQ(env.Exec(2000, 101), 1u);
}

TEST(Sequence, StateSurvivesReloadOfAnUnchangedDefinition) {
  Env env;
  env.engine.SetRuleset(Load(kDropRun));
  env.Write(101, "/tmp/payload", 0);
  env.engine.SetRuleset(Load(std::string(kDropRun) + "\n- rule: Other\n  desc: d\n  condition: evt.type = close\n  output: x\n  priority: INFO\n"));
  EXPECT_EQ(env.engine.stats().state_carried, 1u);
  EXPECT_EQ(env.Exec(102, 1 * kSec), 1u);
  // A changed definition (here: a macro it uses) starts empty.
  env.Write(101, "/tmp/payload", 2 * kSec);
  std::string changed = kDropRun;
  changed.replace(changed.find("/tmp/"), 5, "/var/tmp/ or fd.name startswith /tmp/");
  env.engine.SetRuleset(Load(changed));
  EXPECT_EQ(env.engine.stats().state_carried, 0u);
  EXPECT_EQ(env.Exec(102, 3 * kSec), 0u);
}

TEST(Sequence, NoHeapAllocationWhenNoStepMatches) {
  Env env;
  env.engine.SetRuleset(Load(kDropRun));
  env.Write(101, "/tmp/payload", 0);  // some live state, so later steps are evaluated too
  std::vector<Event> benign;
  benign.push_back(testing::OpenEvent(101, "/etc/hosts", O_RDONLY));
  benign.push_back(testing::OpenEvent(101, "/var/log/x", O_WRONLY));
  benign.push_back(MakeEvent(EventType::kExecve, 202));  // key 300 has no state
  benign.push_back(MakeEvent(EventType::kClose, 101));
  for (auto& ev : benign) env.Feed(ev, 1);  // warm-up
  uint64_t before = g_allocations.load();
  for (int i = 0; i < 1000; ++i)
    for (auto& ev : benign) env.Feed(ev, 2 + static_cast<uint64_t>(i));
  EXPECT_EQ(g_allocations.load() - before, 0u);
  EXPECT_TRUE(env.alerts.empty());
  before = g_allocations.load();
  EXPECT_EQ(env.Exec(102, 3000), 1u);  // a match allocates (so the counter works)
  EXPECT_GT(g_allocations.load() - before, 0u);
}

TEST(Sequence, StepTypesAreInterestingEventTypes) {
  auto rs = Load(kDropRun);
  auto types = rs->InterestingEventTypes();
  EXPECT_TRUE(types.test(static_cast<std::size_t>(EventType::kExecve)));
  EXPECT_TRUE(types.test(static_cast<std::size_t>(EventType::kOpenat)));
  EXPECT_TRUE(types.test(static_cast<std::size_t>(EventType::kProcExit)));
  EXPECT_EQ(rs->rule_count(), 0u);
  ASSERT_EQ(rs->sequences().size(), 1u);
  EXPECT_EQ(rs->sequences()[0].steps, 2u);
  EXPECT_EQ(rs->sequences()[0].maxspan_ns, 30 * kSec);
}

TEST(Sequence, EveryErrorIsReportedWithItsPosition) {
  const char* bad = R"(- sequence: Bad
  by: [proc.nosuchfield]
  maxspan: 10 parsecs
  steps:
    - condition: evt.type = execve and
    - condition: proc.name = %step3.proc.name
    - condition: not proc.name = %step1.proc.name
    - bogus: 1
  output: x %step9.proc.name
- sequence: Bad Threshold
  by: proc.pid
  maxspan: 5s
  condition: evt.type = connect
  threshold: 1
  output: x
- sequence: No Form
  by: proc.pid
  maxspan: 5s
  output: x
)";
  auto r = LoadYaml(bad);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.sequences, 0u);
  const std::string text = DiagText(r);
  EXPECT_NE(text.find("rules.yaml:3:12: error: sequence 'Bad': 'maxspan' must be a positive duration"), std::string::npos) << text;
  EXPECT_NE(text.find("rules.yaml:8:7: error: sequence 'Bad': each step must be a map with a 'condition'"), std::string::npos) << text;
  EXPECT_NE(text.find("rules.yaml:14:14: error: sequence 'Bad Threshold': 'threshold' must be a whole number"), std::string::npos) << text;
  EXPECT_NE(text.find("rules.yaml:16:3: error: sequence 'No Form': needs 'steps'"), std::string::npos) << text;

  // Compile-stage errors (the reader accepted the shape).
  const char* bad2 = R"(- sequence: Bad
  by: [proc.nosuchfield]
  maxspan: 10s
  steps:
    - condition: evt.type = execve and
    - condition: proc.name = %step3.proc.name
    - condition: not proc.name = %step1.proc.name
  output: x
)";
  r = LoadYaml(bad2);
  const std::string t2 = DiagText(r);
  EXPECT_NE(t2.find("rules.yaml:2:7: error: sequence 'Bad': by: unknown field 'proc.nosuchfield'"), std::string::npos) << t2;
  EXPECT_NE(t2.find("rules.yaml:5:39: error: sequence 'Bad': step 1:"), std::string::npos) << t2;
  EXPECT_NE(t2.find("rules.yaml:6:30: error: sequence 'Bad': step 2: '%step3.proc.name' refers to step 3"), std::string::npos) << t2;
  EXPECT_NE(t2.find("rules.yaml:7:18: error: sequence 'Bad': step 3: a %stepN comparison cannot be under 'not'"), std::string::npos) << t2;
}

}  // namespace
}  // namespace vigil
