// Unit tests for rule test files (parsing, positioned errors) and the runner, which must
// report failing cases as failing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "vigil/rule_test.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRules = R"(
- rule: Shadow Read
  desc: test
  condition: evt.type = openat and evt.is_open_read = true and fd.name = /etc/shadow and not proc.name = sshd
  output: shadow read by %proc.name parent=%proc.pname file=%fd.name
  priority: WARNING
- rule: Disabled One
  desc: test
  condition: evt.type = openat
  output: x
  priority: WARNING
  enabled: false
)";

class RuleTestFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("vigil-ruletest-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "tests");
    std::ofstream(dir_ / "rules.yaml") << kRules;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::vector<RuleTestCase> Parse(const std::string& text, std::vector<std::string>* errors) {
    std::vector<RuleTestCase> cases;
    ParseRuleTests(text, (dir_ / "tests" / "t.yaml").string(), &cases, errors);
    return cases;
  }
  RuleTestResult RunOne(const std::string& text) {
    std::vector<std::string> errors;
    auto cases = Parse(text, &errors);
    EXPECT_TRUE(errors.empty()) << errors.front();
    EXPECT_EQ(cases.size(), 1u);
    if (cases.empty()) return {};
    RuleTestRunner runner(RuleTestOptions{});
    return runner.Run(cases.front());
  }

  fs::path dir_;
};

// A shadow read by `proc` (snapshot in the event) with the rules file next door.
std::string ShadowCase(const std::string& proc, const std::string& expect) {
  return "- name: shadow by " + proc + "\n"
         "  rules: [../rules.yaml]\n"
         "  processes:\n"
         "    - {pid: 10, ppid: 1, name: bash, exepath: /usr/bin/bash}\n"
         "  events:\n"
         "    - {evt.type: openat, evt.res: 3, evt.args: {name: /etc/shadow, flags: 0},\n"
         "       proc: {pid: 11, ppid: 10, name: " + proc + ", args: [/etc/shadow]}}\n"
         "  expect:\n" + expect;
}

TEST_F(RuleTestFixture, PassingCasePasses) {
  RuleTestResult r = RunOne(ShadowCase("cat", "    fire: [Shadow Read]\n"
                                              "    output_fields: {proc.name: cat, proc.pname: bash}\n"));
  EXPECT_TRUE(r.passed) << r.detail;
  EXPECT_EQ(r.fired, std::vector<std::string>{"Shadow Read"});
  EXPECT_EQ(r.line, 1);
  EXPECT_EQ(FormatRuleTestResult(r).rfind("PASS  ", 0), 0u);
}

TEST_F(RuleTestFixture, ExpectedFireThatDoesNotHappenFails) {
  RuleTestResult r = RunOne(ShadowCase("sshd", "    fire: [Shadow Read]\n"));
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("expected 'Shadow Read' to fire"), std::string::npos) << r.detail;
  std::string line = FormatRuleTestResult(r);
  EXPECT_EQ(line.rfind("FAIL  ", 0), 0u) << line;
  EXPECT_NE(line.find("shadow by sshd"), std::string::npos) << line;
}

TEST_F(RuleTestFixture, NotFireThatFiresFails) {
  RuleTestResult r = RunOne(ShadowCase("cat", "    not_fire: [Shadow Read]\n"));
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("'Shadow Read' fired but must not"), std::string::npos) << r.detail;
}

TEST_F(RuleTestFixture, NearMissPassesAsNegativeCase) {
  RuleTestResult r = RunOne(ShadowCase("sshd", "    not_fire: [Shadow Read]\n"));
  EXPECT_TRUE(r.passed) << r.detail;
  EXPECT_TRUE(r.fired.empty());
}

TEST_F(RuleTestFixture, WrongOutputFieldFails) {
  RuleTestResult r = RunOne(ShadowCase("cat", "    fire: [Shadow Read]\n"
                                              "    output_fields: {proc.name: dog}\n"));
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("output field proc.name: expected 'dog', got [cat]"), std::string::npos)
      << r.detail;
}

TEST_F(RuleTestFixture, UnknownOrDisabledRuleNameFails) {
  RuleTestResult unknown = RunOne(ShadowCase("sshd", "    not_fire: [Shadow Raed]\n"));
  EXPECT_FALSE(unknown.passed);
  EXPECT_NE(unknown.detail.find("no rule named 'Shadow Raed'"), std::string::npos) << unknown.detail;
  RuleTestResult disabled = RunOne(ShadowCase("sshd", "    not_fire: [Disabled One]\n"));
  EXPECT_FALSE(disabled.passed);
  EXPECT_NE(disabled.detail.find("disabled"), std::string::npos) << disabled.detail;
}

TEST_F(RuleTestFixture, RulesThatDoNotLoadFailTheCase) {
  std::ofstream(dir_ / "broken.yaml") << "- rule: Broken\n  desc: x\n  condition: evt.type = = openat\n"
                                         "  output: x\n  priority: WARNING\n";
  std::vector<std::string> errors;
  auto cases = Parse("- name: broken rules\n  rules: [../broken.yaml]\n"
                     "  events: [{evt.type: openat, proc.pid: 1}]\n"
                     "  expect: {not_fire: [Broken]}\n",
                     &errors);
  ASSERT_EQ(cases.size(), 1u);
  RuleTestRunner runner(RuleTestOptions{});
  RuleTestResult r = runner.Run(cases[0]);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.detail.find("rules did not load"), std::string::npos) << r.detail;
  EXPECT_NE(r.detail.find("broken.yaml:3"), std::string::npos) << r.detail;
}

TEST_F(RuleTestFixture, OverrideRulesReplaceEachCasesRules) {
  std::vector<std::string> errors;
  auto cases = Parse(ShadowCase("cat", "    fire: [Shadow Read]\n"), &errors);
  ASSERT_EQ(cases.size(), 1u);
  std::ofstream(dir_ / "other.yaml") << "- rule: Other\n  desc: x\n  condition: evt.type = openat\n"
                                        "  output: x\n  priority: WARNING\n";
  RuleTestOptions options;
  options.override_rules = {(dir_ / "other.yaml").string()};
  RuleTestRunner runner(options);
  RuleTestResult r = runner.Run(cases[0]);
  EXPECT_FALSE(r.passed);  // "Shadow Read" is not in other.yaml
  EXPECT_NE(r.detail.find("no rule named 'Shadow Read'"), std::string::npos) << r.detail;
}

TEST_F(RuleTestFixture, ParseErrorsCarryFileLineAndColumn) {
  std::vector<std::string> errors;
  auto cases = Parse("- name: ok\n"
                     "  events: [{evt.type: openat, proc.pid: 1}]\n"
                     "  expect: {fire: [X]}\n"
                     "- name: typo\n"
                     "  evnts: []\n"
                     "  events: [{evt.type: not_a_type}]\n"
                     "  expect: {fire: [X], fires: [Y]}\n",
                     &errors);
  EXPECT_EQ(cases.size(), 1u);
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].find("t.yaml:5:3: error: unknown key 'evnts'"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("t.yaml:6:12: error: bad event: unknown evt.type 'not_a_type'"),
            std::string::npos)
      << errors[1];
  EXPECT_NE(errors[2].find(":7:23: error: unknown key 'expect.fires'"), std::string::npos) << errors[2];
}

TEST_F(RuleTestFixture, CaseWithoutExpectationsIsAnError) {
  std::vector<std::string> errors;
  auto cases = Parse("- name: asserts nothing\n"
                     "  events: [{evt.type: openat, proc.pid: 1}]\n"
                     "  expect: {}\n",
                     &errors);
  EXPECT_TRUE(cases.empty());
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors[0].find("at least one rule"), std::string::npos) << errors[0];
}

TEST_F(RuleTestFixture, QuotedScalarsStayStringsAndNumbersAreTyped) {
  std::vector<std::string> errors;
  auto cases = Parse("- name: typing\n"
                     "  events: [{evt.type: chmod, proc.pid: 7, evt.args: {filename: '1234', mode: 0o4755}}]\n"
                     "  expect: {fire: [X]}\n",
                     &errors);
  ASSERT_EQ(cases.size(), 1u) << (errors.empty() ? "" : errors[0]);
  const std::string& line = cases[0].events[0];
  EXPECT_NE(line.find(R"("filename":"1234")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("mode":2541)"), std::string::npos) << line;
  EXPECT_NE(line.find(R"("evt.time":1700000000000000000)"), std::string::npos) << line;
}

TEST(RuleTestFiles, LoadsEveryYamlInADirectoryInOrder) {
  fs::path dir = fs::temp_directory_path() / ("vigil-ruletest-dir-" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto one_case = [](const std::string& name) {
    return "- name: " + name + "\n  events: [{evt.type: openat, proc.pid: 1}]\n  expect: {fire: [X]}\n";
  };
  std::ofstream(dir / "b.yaml") << one_case("second");
  std::ofstream(dir / "a.yaml") << one_case("first");
  std::ofstream(dir / "notes.txt") << "not a test";
  std::vector<RuleTestCase> cases;
  std::vector<std::string> errors;
  EXPECT_TRUE(LoadRuleTests(dir.string(), &cases, &errors));
  fs::remove_all(dir);
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0].name, "first");
  EXPECT_EQ(cases[1].name, "second");
}

}  // namespace
}  // namespace vigil
