// Issue 15: rule-loader errors point at the exact line:col of the offending token and quote
// it whole; `vigil validate`'s lints (LoadOptions::lint) warn, with positions, about
// mistakes that load but do not do what the author meant.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "vigil/rule_loader.h"

namespace vigil {
namespace {

std::string All(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.ToString() + "\n";
  return out;
}

const Diagnostic* Find(const LoadResult& r, const std::string& needle, bool warning) {
  for (const auto& d : r.diagnostics)
    if (d.warning == warning && d.ToString().find(needle) != std::string::npos) return &d;
  return nullptr;
}

TEST(RuleDiagnostics, OutputTypoInFoldedBlockPointsAtTheField) {
  auto r = LoadRuleStrings({{"r.yaml",
                             "- rule: r\n"
                             "  desc: d\n"
                             "  condition: evt.type = execve\n"
                             "  output: >\n"
                             "    shell spawned (user=%user.name\n"
                             "    parent=%proc.pnmae cmd=%proc.cmdline)\n"
                             "  priority: INFO\n"}},
                           {});
  const Diagnostic* d = Find(r, "unknown field 'proc.pnmae'", false);
  ASSERT_NE(d, nullptr) << All(r);
  EXPECT_EQ(d->line, 6) << All(r);
  EXPECT_EQ(d->col, 12) << All(r);
  EXPECT_NE(d->message.find("'%proc.pnmae'"), std::string::npos) << d->message;
}

TEST(RuleDiagnostics, ExceptionFieldTypoPointsAtTheField) {
  auto r = LoadRuleStrings({{"r.yaml",
                             "- rule: r\n"
                             "  desc: d\n"
                             "  condition: evt.type = execve\n"
                             "  output: o\n"
                             "  priority: INFO\n"
                             "  exceptions:\n"
                             "    - name: known\n"
                             "      fields:\n"
                             "        - proc.name\n"
                             "        - proc.pnaem\n"
                             "      values: [[a, b]]\n"}},
                           {});
  const Diagnostic* d = Find(r, "unknown field 'proc.pnaem'", false);
  ASSERT_NE(d, nullptr) << All(r);
  EXPECT_EQ(d->line, 10) << All(r);
  EXPECT_EQ(d->col, 11) << All(r);
}

TEST(RuleDiagnostics, SyntaxErrorsQuoteTheWholeToken) {
  auto r = LoadRuleStrings({{"r.yaml",
                             "- rule: r\n"
                             "  desc: d\n"
                             "  condition: evt.type = execve and proc.name = (bash, sh, zsh)\n"
                             "  output: o\n"
                             "  priority: INFO\n"}},
                           {});
  const Diagnostic* d = Find(r, "found '(bash, sh, zsh)'", false);
  ASSERT_NE(d, nullptr) << All(r);
  EXPECT_EQ(d->line, 3);
  EXPECT_EQ(d->col, 48);

  auto r2 = LoadRuleStrings({{"r.yaml",
                              "- rule: r\n"
                              "  desc: d\n"
                              "  condition: evt.type = execve and proc.name in (bash, sh zshell_long)\n"
                              "  output: o\n"
                              "  priority: INFO\n"}},
                            {});
  EXPECT_NE(Find(r2, "found 'zshell_long'", false), nullptr) << All(r2);
}

LoadResult Lint(const std::string& condition, const std::string& extra = "") {
  LoadOptions o;
  o.lint = true;
  return LoadRuleStrings({{"l.yaml", extra +
                                         "- rule: r\n"
                                         "  desc: d\n"
                                         "  condition: " + condition + "\n"
                                         "  output: o\n"
                                         "  priority: INFO\n"}},
                         o);
}

TEST(RuleLints, UndefinedListLikeNameInInWarns) {
  auto r = Lint("evt.type = execve and proc.name in (shell_binaries)");
  ASSERT_TRUE(r.ok()) << All(r);
  const Diagnostic* d = Find(r, "'shell_binaries' looks like a list name", true);
  ASSERT_NE(d, nullptr) << All(r);
  EXPECT_EQ(d->line, 3);
  EXPECT_EQ(d->col, 50);
  // Defined: no warning. Plain values and quoted strings: no warning.
  auto ok = Lint("evt.type = execve and proc.name in (shell_binaries, mysql_install_d, 'my_thing')",
                 "- list: shell_binaries\n  items: [bash, sh]\n");
  EXPECT_EQ(Find(ok, "looks like a list name", true), nullptr) << All(ok);
  auto mixed = Lint("evt.type = execve and proc.name in (bash, shell_binaries)");
  EXPECT_NE(Find(mixed, "'shell_binaries' looks like a list name", true), nullptr) << All(mixed);
  auto files = Lint("evt.type = open and fd.name in (/etc/shadow, sensitive_files)");
  EXPECT_NE(Find(files, "'sensitive_files' looks like a list name", true), nullptr) << All(files);
  // 15 characters against a comm field: a truncated process name, not a list.
  auto comm = Lint("evt.type = execve and proc.aname in (unicorn_launche)");
  EXPECT_EQ(Find(comm, "looks like a list name", true), nullptr) << All(comm);
  auto values = Lint("evt.type = execve and proc.name in (bash, mysql_install_d)");
  EXPECT_EQ(Find(values, "looks like a list name", true), nullptr) << All(values);
}

TEST(RuleLints, UnknownEventTypeWarnsWithPosition) {
  auto r = Lint("evt.type in (execve, exceve)");
  ASSERT_TRUE(r.ok()) << All(r);
  const Diagnostic* d = Find(r, "unknown evt.type 'exceve'", true);
  ASSERT_NE(d, nullptr) << All(r);
  EXPECT_EQ(d->line, 3);
  EXPECT_EQ(d->col, 35);
}

TEST(RuleLints, OrderingComparisonOnStringFieldWarns) {
  auto r = Lint("evt.type = open and evt.res >= 0");
  ASSERT_TRUE(r.ok()) << All(r);
  const Diagnostic* d = Find(r, "'evt.res >= 0' compares text, not numbers", true);
  ASSERT_NE(d, nullptr) << All(r);
  EXPECT_EQ(d->line, 3);
  EXPECT_NE(d->message.find("evt.rawres"), std::string::npos);
  auto fine = Lint("evt.type = open and evt.rawres >= 0");
  EXPECT_EQ(Find(fine, "compares text", true), nullptr) << All(fine);
}

TEST(RuleLints, LintsAreOffUnlessAsked) {
  auto r = LoadRuleStrings({{"l.yaml",
                             "- rule: r\n  desc: d\n"
                             "  condition: evt.type in (exceve) and proc.name in (shell_binaries)\n"
                             "  output: o\n  priority: INFO\n"}},
                           {});
  EXPECT_EQ(Find(r, "looks like a list name", true), nullptr) << All(r);
}

TEST(RuleLints, DisabledRulesNamingNoRuleWarn) {
  LoadOptions o;
  o.disabled_rules = {"r", "No Such Rule"};
  auto r = LoadRuleStrings({{"l.yaml",
                             "- rule: r\n  desc: d\n  condition: evt.type = open\n"
                             "  output: o\n  priority: INFO\n"}},
                           o);
  EXPECT_NE(Find(r, "disabled_rules names 'No Such Rule', but no rule has that name", true), nullptr)
      << All(r);
  EXPECT_EQ(Find(r, "names 'r'", true), nullptr) << All(r);
}

}  // namespace
}  // namespace vigil
