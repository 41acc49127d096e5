// Rule loader: lists, macros, append/override, exceptions, options, and bad inputs
// (each a positioned error, never a crash, other rules still load).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "engine_test_util.h"

namespace vigil {
namespace {

using testing::DiagText;
using testing::LoadYaml;
using testing::MakeEvent;
using testing::MakeProcess;

class RuleLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    table_.Upsert(MakeProcess(1, 0, "systemd", "/usr/lib/systemd/systemd"));
    table_.Upsert(MakeProcess(20, 1, "bash", "/usr/bin/bash"));
    table_.Upsert(MakeProcess(30, 20, "nc", "/usr/bin/nc", {"-l", "4444"}));
  }
  Event Exec(uint32_t pid) {
    Event ev = MakeEvent(EventType::kExecve, pid, 0);
    return ev;
  }
  std::vector<std::string> Fire(const LoadResult& r, const Event& ev) {
    return testing::Matches(r, ev, table_);
  }
  const Diagnostic* FindDiag(const LoadResult& r, const std::string& needle) {
    for (const auto& d : r.diagnostics)
      if (d.ToString().find(needle) != std::string::npos) return &d;
    return nullptr;
  }
  ProcessTable table_;
};

constexpr const char* kBase = R"(
- list: net_tools
  items: [nc, ncat]
- list: all_tools
  items: [net_tools, socat]
- macro: spawned_process
  condition: evt.type in (execve, execveat) and evt.dir = <
- macro: net_tool
  condition: proc.name in (all_tools)
- macro: spawned_net_tool
  condition: spawned_process and net_tool
- rule: Net tool
  desc: a network tool ran
  condition: spawned_net_tool
  output: "net tool %proc.name parent=%proc.pname"
  priority: NOTICE
  tags: [network, mitre_execution]
)";

TEST_F(RuleLoader, ExpandsNestedMacroAndNestedLists) {
  auto r = LoadYaml(kBase);
  ASSERT_TRUE(r.ok()) << DiagText(r);
  EXPECT_EQ(r.rules, 1u);
  EXPECT_EQ(r.macros, 3u);
  EXPECT_EQ(r.lists, 2u);
  EXPECT_EQ(Fire(r, Exec(30)), std::vector<std::string>{"Net tool"});
  EXPECT_TRUE(Fire(r, Exec(20)).empty());
  // Rule is bucketed to execve/execveat only.
  auto bits = r.ruleset->InterestingEventTypes();
  EXPECT_TRUE(bits.test(static_cast<std::size_t>(EventType::kExecve)));
  EXPECT_TRUE(bits.test(static_cast<std::size_t>(EventType::kExecveat)));
  EXPECT_EQ(bits.count(), 2u);
  Event open = testing::OpenEvent(30, "/x", 0);
  EXPECT_TRUE(Fire(r, open).empty());
}

// The sensor reads the environment at exec only while some active rule reads proc.env: in its
// condition (directly, through a macro, an exception) or its output.
TEST_F(RuleLoader, ReadsProcessEnvOnlyWhenARuleUsesIt) {
  auto rule = [](const std::string& cond, const std::string& out, bool enabled = true) {
    return "- rule: R\n  desc: d\n  condition: " + cond + "\n  output: \"" + out +
           "\"\n  priority: NOTICE\n  enabled: " + (enabled ? "true" : "false") + "\n";
  };
  auto reads = [](const std::string& yaml) {
    auto r = LoadYaml(yaml);
    EXPECT_TRUE(r.ok()) << DiagText(r);
    return r.ruleset && r.ruleset->ReadsProcessEnv();
  };
  EXPECT_FALSE(reads(kBase));
  EXPECT_FALSE(reads(rule("evt.type = execve and proc.name = x", "%proc.cmdline %proc.args_truncated")));
  EXPECT_TRUE(reads(rule("evt.type = execve and proc.env[LD_PRELOAD] exists", "x")));
  EXPECT_TRUE(reads(rule("evt.type = execve and not proc.env icontains GLIBC_TUNABLES", "x")));
  EXPECT_TRUE(reads(rule("evt.type = execve", "env=%proc.env")));
  EXPECT_TRUE(reads("- macro: m\n  condition: proc.env[A] = b\n" + rule("evt.type = execve and m", "x")));
  EXPECT_FALSE(reads(rule("evt.type = execve and proc.env[A] = b", "x", false)));
}

TEST_F(RuleLoader, ListAppendAndOverride) {
  auto appended = LoadRuleStrings({{"a.yaml", kBase},
                                   {"b.yaml", "- list: net_tools\n  items: [bash]\n  append: true\n"}},
                                  {});
  ASSERT_TRUE(appended.ok()) << DiagText(appended);
  EXPECT_EQ(Fire(appended, Exec(30)).size(), 1u);
  EXPECT_EQ(Fire(appended, Exec(20)).size(), 1u);

  auto replaced = LoadRuleStrings(
      {{"a.yaml", kBase}, {"b.yaml", "- list: net_tools\n  items: [bash]\n  override:\n    items: replace\n"}}, {});
  ASSERT_TRUE(replaced.ok()) << DiagText(replaced);
  EXPECT_TRUE(Fire(replaced, Exec(30)).empty());
  EXPECT_EQ(Fire(replaced, Exec(20)).size(), 1u);

  auto by_override_append = LoadRuleStrings(
      {{"a.yaml", kBase}, {"b.yaml", "- list: net_tools\n  items: [bash]\n  override:\n    items: append\n"}}, {});
  ASSERT_TRUE(by_override_append.ok()) << DiagText(by_override_append);
  EXPECT_EQ(Fire(by_override_append, Exec(30)).size(), 1u);
  EXPECT_EQ(Fire(by_override_append, Exec(20)).size(), 1u);
}

TEST_F(RuleLoader, MacroAppendAndRuleConditionAppend) {
  auto r = LoadRuleStrings({{"a.yaml", kBase},
                            {"b.yaml", "- rule: Net tool\n  condition: and not proc.pname = bash\n  append: true\n"}},
                           {});
  ASSERT_TRUE(r.ok()) << DiagText(r);
  EXPECT_TRUE(Fire(r, Exec(30)).empty());

  auto m = LoadRuleStrings({{"a.yaml", kBase},
                            {"b.yaml", "- macro: net_tool\n  condition: or proc.name = bash\n  append: true\n"}},
                           {});
  ASSERT_TRUE(m.ok()) << DiagText(m);
  EXPECT_EQ(Fire(m, Exec(20)).size(), 1u);
}

TEST_F(RuleLoader, RuleOverrideReplacesAndAppendsPerKey) {
  auto r = LoadRuleStrings({{"a.yaml", kBase},
                            {"b.yaml", R"(
- rule: Net tool
  condition: spawned_process and proc.name = bash
  priority: CRITICAL
  tags: [extra]
  override:
    condition: replace
    priority: replace
    tags: append
)"}},
                           {});
  ASSERT_TRUE(r.ok()) << DiagText(r);
  EXPECT_TRUE(Fire(r, Exec(30)).empty());
  std::vector<Alert> alerts;
  r.ruleset->Evaluate(Exec(20), table_, [&](const Alert& a) { alerts.push_back(a); });
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].priority, Priority::kCritical);
  EXPECT_EQ(alerts[0].tags, (std::vector<std::string>{"network", "mitre_execution", "extra"}));
}

TEST_F(RuleLoader, EnabledOnlyItemTogglesRule) {
  auto r = LoadRuleStrings({{"a.yaml", kBase}, {"b.yaml", "- rule: Net tool\n  enabled: false\n"}}, {});
  ASSERT_TRUE(r.ok()) << DiagText(r);
  EXPECT_EQ(r.disabled_rules, 1u);
  EXPECT_EQ(r.ruleset->rule_count(), 0u);
  EXPECT_TRUE(Fire(r, Exec(30)).empty());
  LoadOptions o;
  o.enabled_rules = {"Net tool"};
  auto forced = LoadRuleStrings({{"a.yaml", kBase}, {"b.yaml", "- rule: Net tool\n  enabled: false\n"}}, o);
  EXPECT_EQ(Fire(forced, Exec(30)).size(), 1u);
}

TEST_F(RuleLoader, OptionsDisableByNameTagAndPriority) {
  LoadOptions by_name;
  by_name.disabled_rules = {"Net tool"};
  EXPECT_TRUE(Fire(LoadYaml(kBase, by_name), Exec(30)).empty());
  LoadOptions by_tag;
  by_tag.disabled_tags = {"network"};
  EXPECT_TRUE(Fire(LoadYaml(kBase, by_tag), Exec(30)).empty());
  LoadOptions by_prio;
  by_prio.min_priority = Priority::kWarning;  // NOTICE is less severe
  EXPECT_TRUE(Fire(LoadYaml(kBase, by_prio), Exec(30)).empty());
  LoadOptions keep;
  keep.min_priority = Priority::kNotice;
  EXPECT_EQ(Fire(LoadYaml(kBase, keep), Exec(30)).size(), 1u);
}

TEST_F(RuleLoader, ExceptionsMultiFieldAndSingleField) {
  std::string yaml = std::string(kBase) + R"(
- rule: Exec
  desc: any exec
  condition: spawned_process
  output: exec %proc.name
  priority: INFO
  exceptions:
    - name: known_pairs
      fields: [proc.name, proc.pname]
      comps: [=, =]
      values:
        - [nc, bash]
    - name: tool_lists
      fields: [proc.name]
      comps: [in]
      values:
        - [[ncat, socat]]
    - name: single
      fields: proc.pname
      values: [systemd]
)";
  auto r = LoadYaml(yaml);
  ASSERT_TRUE(r.ok()) << DiagText(r);
  auto names = Fire(r, Exec(30));  // nc with parent bash: excepted
  EXPECT_EQ(std::count(names.begin(), names.end(), "Exec"), 0);
  EXPECT_EQ(Fire(r, Exec(20)).size(), 0u);  // parent systemd: single-field exception
  table_.Upsert(MakeProcess(40, 30, "nc", "/usr/bin/nc"));
  names = Fire(r, Exec(40));  // nc with parent nc: fires
  EXPECT_EQ(std::count(names.begin(), names.end(), "Exec"), 1);
  table_.Upsert(MakeProcess(50, 30, "socat", "/usr/bin/socat"));
  names = Fire(r, Exec(50));
  EXPECT_EQ(std::count(names.begin(), names.end(), "Exec"), 0);
}

TEST_F(RuleLoader, ExceptionValuesAppendedByName) {
  std::string a = std::string(kBase) + R"(
- rule: Exec
  desc: any exec
  condition: spawned_process
  output: exec
  priority: INFO
  exceptions:
    - name: names
      fields: [proc.name]
      comps: [=]
      values: [[bash]]
)";
  auto r = LoadRuleStrings({{"a.yaml", a},
                            {"b.yaml", "- rule: Exec\n  exceptions:\n    - name: names\n      values: [[nc]]\n  append: true\n"}},
                           {});
  ASSERT_TRUE(r.ok()) << DiagText(r);
  auto names = Fire(r, Exec(30));
  EXPECT_EQ(std::count(names.begin(), names.end(), "Exec"), 0);
  names = Fire(r, Exec(1));
  EXPECT_EQ(std::count(names.begin(), names.end(), "Exec"), 1);
}

TEST_F(RuleLoader, MatchModeFirstStopsAtTheFirstRule) {
  std::string yaml = std::string(kBase) + R"(
- rule: Second
  desc: d
  condition: spawned_process
  output: o
  priority: INFO
)";
  EXPECT_EQ(Fire(LoadYaml(yaml), Exec(30)).size(), 2u);
  LoadOptions first;
  first.mode = MatchMode::kFirst;
  EXPECT_EQ(Fire(LoadYaml(yaml, first), Exec(30)), std::vector<std::string>{"Net tool"});
}

TEST_F(RuleLoader, NonSyscallSourcesAreInactiveAndCounted) {
  auto r = LoadYaml(std::string(kBase) + R"(
- rule: K8s thing
  desc: d
  condition: ka.verb = create
  output: o
  priority: INFO
  source: k8s_audit
- required_engine_version: 0.57.0
- required_plugin_versions:
    - name: k8saudit
      version: 0.7.0
)");
  ASSERT_TRUE(r.ok()) << DiagText(r);
  EXPECT_EQ(r.inactive_source_rules, 1u);
  EXPECT_EQ(r.rules, 1u);
}

TEST_F(RuleLoader, RuleWithoutEventTypeWarnsAndMatchesEveryType) {
  auto r = LoadYaml("- rule: any\n  desc: d\n  condition: proc.name = nc\n  output: o\n  priority: INFO\n");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.warnings(), 1u);
  EXPECT_NE(FindDiag(r, "no evt.type restriction"), nullptr);
  EXPECT_TRUE(r.ruleset->InterestingEventTypes().all());
  EXPECT_EQ(Fire(r, testing::OpenEvent(30, "/x", 0)).size(), 1u);
  auto quiet = LoadYaml("- rule: any\n  desc: d\n  condition: proc.name = nc\n  output: o\n  priority: INFO\n  warn_evttypes: false\n");
  EXPECT_EQ(quiet.warnings(), 0u);
}

TEST_F(RuleLoader, NegatedEventTypeBucketsTheComplement) {
  auto r = LoadYaml("- rule: r\n  desc: d\n  condition: evt.type != execve and proc.name = nc\n  output: o\n  priority: INFO\n");
  ASSERT_TRUE(r.ok());
  auto bits = r.ruleset->InterestingEventTypes();
  EXPECT_FALSE(bits.test(static_cast<std::size_t>(EventType::kExecve)));
  EXPECT_TRUE(bits.test(static_cast<std::size_t>(EventType::kOpenat)));
  EXPECT_TRUE(Fire(r, Exec(30)).empty());
  EXPECT_EQ(Fire(r, testing::OpenEvent(30, "/x", 0)).size(), 1u);
}

// ---------------------------------------------------------------- bad inputs

struct BadCase {
  const char* name;
  const char* yaml;
  const char* message;  // substring of the diagnostic
  int line, col;
};

class BadRules : public ::testing::TestWithParam<BadCase> {};

constexpr const char* kGoodRule = R"(
- rule: good
  desc: d
  condition: evt.type = execve
  output: o
  priority: INFO
)";

TEST_P(BadRules, ReportsPositionedErrorAndKeepsGoodRules) {
  const BadCase& c = GetParam();
  auto r = LoadRuleStrings({{"bad.yaml", c.yaml}, {"good.yaml", kGoodRule}}, {});
  ASSERT_FALSE(r.ok()) << c.name;
  bool found = false;
  for (const auto& d : r.diagnostics) {
    if (d.warning || d.ToString().find(c.message) == std::string::npos) continue;
    found = true;
    EXPECT_EQ(d.file, "bad.yaml") << d.ToString();
    EXPECT_EQ(d.line, c.line) << d.ToString();
    EXPECT_EQ(d.col, c.col) << d.ToString();
    EXPECT_EQ(d.ToString().rfind("bad.yaml:" + std::to_string(c.line) + ":" + std::to_string(c.col) + ": error: ", 0), 0u);
  }
  EXPECT_TRUE(found) << c.name << ": no diagnostic containing '" << c.message << "' in:\n" << testing::DiagText(r);
  // The good rule in the other file still loads.
  auto rules = r.ruleset->rules();
  EXPECT_TRUE(std::any_of(rules.begin(), rules.end(), [](const RuleInfo& i) { return i.name == "good"; }));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadRules,
    ::testing::Values(
        BadCase{"UnbalancedParens",
                "- rule: r\n  desc: d\n  condition: evt.type = open and (proc.name = a\n  output: o\n  priority: INFO\n",
                "unbalanced parenthesis", 3, 34},
        BadCase{"UnbalancedParensFolded",
                "- rule: r\n  desc: d\n  condition: >\n    evt.type = open\n    and proc.name = a)\n  output: o\n  priority: INFO\n",
                "unbalanced parenthesis", 5, 22},
        BadCase{"UnknownField",
                "- rule: r\n  desc: d\n  condition: evt.type = open and proc.nmae = a\n  output: o\n  priority: INFO\n",
                "unknown field 'proc.nmae'", 3, 34},
        BadCase{"UnknownFieldInOutput",
                "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: x %proc.nmae\n  priority: INFO\n",
                "unknown field 'proc.nmae'", 4, 13},
        BadCase{"UnknownMacro",
                "- rule: r\n  desc: d\n  condition: evt.type = open and not my_macro\n  output: o\n  priority: INFO\n",
                "undefined macro 'my_macro'", 3, 38},
        BadCase{"BadRegex",
                "- rule: r\n  desc: d\n  condition: 'fd.name regex \"a(b\"'\n  output: o\n  priority: INFO\n",
                "invalid regular expression", 3, 29},
        BadCase{"NotANumber",
                "- rule: r\n  desc: d\n  condition: evt.type = open and proc.pid = abc\n  output: o\n  priority: INFO\n",
                "'abc' is not a number", 3, 45},
        BadCase{"OperatorTypeMismatch",
                "- rule: r\n  desc: d\n  condition: evt.type = open and proc.pid contains 1\n  output: o\n  priority: INFO\n",
                "operator 'contains' cannot be used with INT64", 3, 34},
        BadCase{"CyclicMacros",
                "- macro: a\n  condition: b\n- macro: b\n  condition: a\n- rule: r\n  desc: d\n  condition: evt.type = open and a\n  output: o\n  priority: INFO\n",
                "macro cycle", 4, 14},
        BadCase{"MacroSyntaxError",
                "- macro: a\n  condition: proc.name =\n- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n",
                "macro 'a'", 2, 25},
        BadCase{"DuplicateRule",
                "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n",
                "duplicate rule 'r'", 6, 9},
        BadCase{"DuplicateList",
                "- list: l\n  items: [a]\n- list: l\n  items: [b]\n",
                "duplicate list 'l'", 3, 9},
        BadCase{"BadPriority",
                "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: SEVERE\n",
                "invalid priority 'SEVERE'", 5, 13},
        BadCase{"ConditionNotAString",
                "- rule: r\n  desc: d\n  condition: [a, b]\n  output: o\n  priority: INFO\n",
                "'condition' must be a string", 3, 14},
        BadCase{"ItemsNotAList",
                "- list: l\n  items: abc\n",
                "'items' must be a list", 2, 10},
        BadCase{"MissingKeys",
                "- rule: r\n  desc: d\n  condition: evt.type = open\n",
                "missing 'output', 'priority'", 1, 9},
        BadCase{"AppendToUnknown",
                "- rule: nope\n  condition: and proc.name = a\n  append: true\n",
                "no rule by that name", 1, 9},
        BadCase{"InvalidYaml",
                "- rule: r\n  desc: [unclosed\n",
                "invalid YAML", 3, 1},
        BadCase{"NotASequence",
                "rule: r\n",
                "must be a YAML sequence", 1, 1},
        BadCase{"BadEnabled",
                "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n  enabled: maybe\n",
                "'enabled' must be true or false", 6, 12},
        BadCase{"BadExceptionShape",
                "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.name, proc.pname]\n      values: [[a]]\n",
                "a value has 1 entries but there are 2 fields", 9, 16},
        BadCase{"ExceptionUnknownField",
                "- rule: r\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: INFO\n  exceptions:\n    - name: e\n      fields: [proc.nme]\n      values: [[a]]\n",
                "unknown field 'proc.nme'", 8, 16},
        BadCase{"BadCidr",
                "- rule: r\n  desc: d\n  condition: evt.type = connect and fd.snet = 10.0.0.0/99\n  output: o\n  priority: INFO\n",
                "not an IP address or CIDR", 3, 47}),
    [](const ::testing::TestParamInfo<BadCase>& i) { return std::string(i.param.name); });

TEST(RuleLoaderFiles, UnknownEventTypeNamesWarnOnRequest) {
  LoadOptions o;
  o.warn_unknown_event_types = true;
  auto r = LoadYaml("- rule: r\n  desc: d\n  condition: evt.type in (openat, sendmmsg)\n  output: o\n  priority: INFO\n", o);
  EXPECT_TRUE(r.ok());
  ASSERT_EQ(r.warnings(), 1u) << DiagText(r);
  EXPECT_NE(r.diagnostics[0].message.find("sendmmsg"), std::string::npos);
  EXPECT_EQ(LoadYaml("- rule: r\n  desc: d\n  condition: evt.type in (openat, sendmmsg)\n  output: o\n  priority: INFO\n").warnings(), 0u);
}

TEST(RuleLoaderFiles, EnabledOnlyForUnknownRuleIsAnError) {
  auto r = LoadYaml("- rule: ghost\n  enabled: false\n");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(DiagText(r).find("only sets 'enabled'"), std::string::npos) << DiagText(r);
}

TEST(RuleLoaderFiles, DirectoryLoadsYamlFilesInSortedOrder) {
  char tmpl[] = "/tmp/vigil-rules-dir-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/10_b.yaml") << "- list: l\n  items: [b]\n  append: true\n";
  std::ofstream(dir + "/00_a.yaml") << "- list: l\n  items: [a]\n- rule: r\n  desc: d\n  condition: evt.type = execve and proc.name in (l)\n  output: o\n  priority: INFO\n";
  std::ofstream(dir + "/notes.txt") << "not yaml: [";
  auto r = LoadRuleFiles({dir}, {});
  EXPECT_TRUE(r.ok()) << DiagText(r);
  ProcessTable t;
  t.Upsert(MakeProcess(5, 1, "b", "/b"));
  EXPECT_EQ(r.ruleset->CountMatches(MakeEvent(EventType::kExecve, 5), t), 1u);
  std::filesystem::remove_all(dir);
}

TEST(RuleLoaderFiles, MissingFileIsAnErrorNotACrash) {
  auto r = LoadRuleFiles({"/nonexistent/rules.yaml"}, {});
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_NE(r.diagnostics[0].ToString().find("/nonexistent/rules.yaml: error: cannot read"), std::string::npos);
  EXPECT_EQ(r.ruleset->rule_count(), 0u);
}

TEST(RuleLoaderFiles, SkipIfUnknownFilterWarnsAndSkips) {
  auto r = LoadYaml(std::string(kGoodRule) +
                    "- rule: r\n  desc: d\n  condition: evt.type = open and foo.bar = 1\n  output: o\n  priority: INFO\n  skip-if-unknown-filter: true\n");
  EXPECT_TRUE(r.ok()) << DiagText(r);
  EXPECT_EQ(r.warnings(), 1u);
  EXPECT_EQ(r.ruleset->rule_count(), 1u);
}

}  // namespace
}  // namespace vigil
