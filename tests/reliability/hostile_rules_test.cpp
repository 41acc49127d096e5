// Unit suite (issue 7): hostile rule files. Huge and deeply nested conditions, catastrophic
// regexes and gigantic lists must load or fail cleanly (no stack overflow, no hang), and
// evaluation time must stay bounded.
#include <fcntl.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "../engine/engine_test_util.h"

namespace vigil {
namespace {

using testing::DiagText;
using testing::LoadYaml;
using testing::Matches;
using testing::MakeProcess;
using testing::OpenEvent;

std::string RuleWithCondition(const std::string& condition) {
  return "- rule: Hostile\n  desc: d\n  condition: '" + condition +
         "'\n  output: o %fd.name\n  priority: WARNING\n";
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

TEST(HostileRules, TenThousandNestedParensFailCleanlyOrLoad) {
  std::string cond = std::string(10000, '(') + "fd.name = /etc/shadow" + std::string(10000, ')');
  auto t0 = std::chrono::steady_clock::now();
  LoadResult r = LoadYaml(RuleWithCondition(cond));
  EXPECT_LT(SecondsSince(t0), 10.0);
  // Either a positioned error (nesting limit) or a working rule; never a crash.
  if (r.errors() > 0) {
    EXPECT_NE(DiagText(r).find("rules.yaml:"), std::string::npos) << DiagText(r);
  } else {
    ASSERT_TRUE(r.ruleset);
    ProcessTable t;
    t.Upsert(MakeProcess(10, 1, "cat", "/usr/bin/cat"));
    EXPECT_EQ(Matches(r, OpenEvent(10, "/etc/shadow", O_RDONLY), t).size(), 1u);
  }
}

TEST(HostileRules, TenThousandNestedNotsFailCleanlyOrLoad) {
  std::string cond;
  for (int i = 0; i < 10000; ++i) cond += "not ";
  cond += "fd.name = /etc/shadow";
  LoadResult r = LoadYaml(RuleWithCondition(cond));
  if (r.errors() > 0) {
    EXPECT_NE(DiagText(r).find("rules.yaml:"), std::string::npos) << DiagText(r);
  } else {
    ASSERT_TRUE(r.ruleset);
    ProcessTable t;
    t.Upsert(MakeProcess(10, 1, "cat", "/usr/bin/cat"));
    // 10000 nots cancel out: the condition equals its operand.
    EXPECT_EQ(Matches(r, OpenEvent(10, "/etc/shadow", O_RDONLY), t).size(), 1u);
  }
}

TEST(HostileRules, OneMegabyteConditionLoadsAndEvaluatesInBoundedTime) {
  std::string cond = "fd.name = /etc/shadow";
  while (cond.size() < (1u << 20)) cond += " or fd.name = /nonexistent/" + std::to_string(cond.size());
  auto t0 = std::chrono::steady_clock::now();
  LoadResult r = LoadYaml(RuleWithCondition(cond));
  EXPECT_LT(SecondsSince(t0), 30.0);
  ASSERT_EQ(r.errors(), 0u) << DiagText(r).substr(0, 500);
  ProcessTable t;
  t.Upsert(MakeProcess(10, 1, "cat", "/usr/bin/cat"));
  auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(Matches(r, OpenEvent(10, "/etc/shadow", O_RDONLY), t).size(), 1u);
  EXPECT_TRUE(Matches(r, OpenEvent(10, "/etc/other", O_RDONLY), t).empty());
  EXPECT_LT(SecondsSince(t1), 1.0);
}

TEST(HostileRules, CatastrophicRegexEvaluatesInLinearTime) {
  // (a+)+$ against "aaaa...b" is exponential for backtracking engines; RE2 is linear.
  LoadResult r = LoadYaml(RuleWithCondition("fd.name regex \"/(a+)+$\""));
  ASSERT_EQ(r.errors(), 0u) << DiagText(r);
  ProcessTable t;
  t.Upsert(MakeProcess(10, 1, "cat", "/usr/bin/cat"));
  std::string path = "/" + std::string(4000, 'a') + "!";
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(Matches(r, OpenEvent(10, path, O_RDONLY), t).empty());
  double per_eval = SecondsSince(t0) / 100;
  EXPECT_LT(per_eval, 0.01) << per_eval;
  EXPECT_EQ(Matches(r, OpenEvent(10, "/" + std::string(4000, 'a'), O_RDONLY), t).size(), 1u);
}

TEST(HostileRules, HundredThousandItemListLoadsAndLooksUpFast) {
  std::string yaml = "- list: big\n  items: [";
  for (int i = 0; i < 100000; ++i) yaml += (i ? ", " : "") + std::string("/f/") + std::to_string(i);
  yaml += "]\n" + RuleWithCondition("fd.name in (big)");
  auto t0 = std::chrono::steady_clock::now();
  LoadResult r = LoadYaml(yaml);
  EXPECT_LT(SecondsSince(t0), 30.0);
  ASSERT_EQ(r.errors(), 0u) << DiagText(r).substr(0, 500);
  ProcessTable t;
  t.Upsert(MakeProcess(10, 1, "cat", "/usr/bin/cat"));
  auto t1 = std::chrono::steady_clock::now();
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(Matches(r, OpenEvent(10, "/f/99999", O_RDONLY), t).size(), 1u);
    EXPECT_TRUE(Matches(r, OpenEvent(10, "/f/100000", O_RDONLY), t).empty());
  }
  EXPECT_LT(SecondsSince(t1) / 2000, 0.001);
}

}  // namespace
}  // namespace vigil
