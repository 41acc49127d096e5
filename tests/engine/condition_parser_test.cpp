// Condition parser: grammar, precedence, errors with positions, depth limit.
#include <gtest/gtest.h>

#include "vigil/condition_parser.h"

namespace vigil {
namespace {

std::string Parse(const std::string& text) {
  auto r = ParseCondition(text);
  if (!r.ok()) return "ERROR@" + std::to_string(r.error_pos) + ": " + r.error;
  return ConditionToString(*r.ast);
}

TEST(ConditionParser, AndBindsTighterThanOr) {
  EXPECT_EQ(Parse("a or b and c"), "(a or (b and c))");
  EXPECT_EQ(Parse("(a or b) and c"), "((a or b) and c)");
}

TEST(ConditionParser, NotAppliesToTheNextUnary) {
  EXPECT_EQ(Parse("not a and b"), "(not a and b)");
  EXPECT_EQ(Parse("not (a and b)"), "not (a and b)");
  EXPECT_EQ(Parse("not not a"), "not not a");
}

TEST(ConditionParser, ParsesChecksWithEveryOperator) {
  for (const char* op : {"=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains",
                         "startswith", "bstartswith", "endswith", "glob", "iglob", "regex"}) {
    std::string text = std::string("proc.name ") + op + " foo";
    EXPECT_EQ(Parse(text), text) << op;
  }
  EXPECT_EQ(Parse("proc.name in (a, b)"), "proc.name in (a, b)");
  EXPECT_EQ(Parse("proc.name intersects (a)"), "proc.name intersects (a)");
  EXPECT_EQ(Parse("fd.name pmatch (/etc)"), "fd.name pmatch (/etc)");
  EXPECT_EQ(Parse("proc.pname exists"), "proc.pname exists");
}

TEST(ConditionParser, OperatorsNeedNoBlanks) {
  EXPECT_EQ(Parse("proc.name=bash"), "proc.name = bash");
  EXPECT_EQ(Parse("fd.num>=0"), "fd.num >= 0");
  EXPECT_EQ(Parse("evt.dir=<"), "evt.dir = <");
}

TEST(ConditionParser, FieldArgumentsAndTransformers) {
  EXPECT_EQ(Parse("proc.aname[2] = sshd"), "proc.aname[2] = sshd");
  EXPECT_EQ(Parse("container.mount.dest[/var/run/docker.sock] exists"),
            "container.mount.dest[/var/run/docker.sock] exists");
  EXPECT_EQ(Parse("tolower(proc.name) = bash"), "tolower(proc.name) = bash");
  EXPECT_EQ(Parse("len(basename(fd.name)) > 3"), "len(basename(fd.name)) > 3");
  EXPECT_EQ(Parse("proc.name = val(proc.pname)"), "proc.name = val(proc.pname)");
}

TEST(ConditionParser, QuotedAndBareValues) {
  EXPECT_EQ(Parse("proc.name in (runc:[0:PARENT], \"a b\", 'c')"),
            "proc.name in (runc:[0:PARENT], \"a b\", \"c\")");
  EXPECT_EQ(Parse("fd.name glob /proc/*/environ"), "fd.name glob /proc/*/environ");
  EXPECT_EQ(Parse(R"(proc.cmdline contains "say \"hi\"")"), R"(proc.cmdline contains "say \"hi\"")");
}

TEST(ConditionParser, EmptyListIsAllowed) { EXPECT_EQ(Parse("proc.name in ()"), "proc.name in ()"); }

TEST(ConditionParser, UnbalancedParenthesisIsPositioned) {
  auto r = ParseCondition("evt.type = open and (proc.name = a");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error_pos, 20u);
  EXPECT_NE(r.error.find("unbalanced"), std::string::npos);
  auto r2 = ParseCondition("proc.name = a)");
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error_pos, 13u);
}

TEST(ConditionParser, ReportsMissingValueAndOperator) {
  EXPECT_NE(Parse("proc.name =").find("ERROR@11"), std::string::npos);
  EXPECT_NE(Parse("proc.name bash").find("unknown operator"), std::string::npos);
  EXPECT_NE(Parse("proc.name in (a, b").find("never closed"), std::string::npos);
  EXPECT_NE(Parse("proc.name = 'abc").find("unterminated"), std::string::npos);
  EXPECT_NE(Parse("and a").find("ERROR@0"), std::string::npos);
  EXPECT_NE(Parse("").find("ERROR@0"), std::string::npos);
}

TEST(ConditionParser, DepthLimitStopsDeepNesting) {
  std::string deep(5000, '(');
  deep += "a";
  deep += std::string(5000, ')');
  auto r = ParseCondition(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("nested too deeply"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "not ";
  EXPECT_FALSE(ParseCondition(nots + "a").ok());
  EXPECT_TRUE(ParseCondition("((((a))))").ok());
}

}  // namespace
}  // namespace vigil
