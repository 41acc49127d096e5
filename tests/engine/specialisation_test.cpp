// specialisation_test.cpp — the per-event-type specialised conditions (condition_specialize.h)
// match exactly the events the conditions as written match, and the compiled `in`/`pmatch`
// length filter rejects only values no operand can equal.
//  * hand-written conditions whose branches test different event types, checked on events
//    of each type (and the specialisation really drops the dead branches: a rule whose only
//    possible branch is removed still never fires on the other types);
//  * the equivalence check over every active rule and sequence step of the upstream files
//    plus rules/, on every event of every rules/tests case and on a synthetic mix: the
//    original and the specialised condition must agree on each (rule, event).
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "vigil/event_jsonl.h"
#include "vigil/rule_test.h"

namespace vigil::testing {
namespace {

std::string Shared() {
  const char* shared = std::getenv("VIGIL_SHARED_DIR");
  return std::string(shared ? shared : "/nonexistent") + "/falco-rules";
}
std::string SourceRoot() {
  const char* root = std::getenv("VIGIL_SOURCE_ROOT");
  return root ? root : ".";
}

std::size_t Count(const LoadResult& r, const Event& ev, const ProcessTable& t) {
  return r.ruleset->CountMatches(ev, t);
}

TEST(Specialisation, BranchesOfOtherTypesAreDroppedAndResultsKept) {
  auto r = LoadYaml(R"(
- rule: Mixed
  desc: d
  condition: >
    (evt.type in (open, openat) and fd.name startswith /etc/) or
    (evt.type = connect and fd.rport = 4444) or
    (evt.type = execve and not evt.type = execve)
  output: o
  priority: WARNING
)");
  ASSERT_TRUE(r.ok()) << DiagText(r);
  ProcessTable t;
  t.Upsert(MakeProcess(10, 1, "cat", "/usr/bin/cat"));
  EXPECT_EQ(Count(r, OpenEvent(10, "/etc/shadow", O_RDONLY), t), 1u);
  EXPECT_EQ(Count(r, OpenEvent(10, "/tmp/x", O_RDONLY), t), 0u);
  Event c = MakeEvent(EventType::kConnect, 10);
  c.has_tuple = true;
  c.tuple.family = AF_INET;
  c.tuple.l4proto = IPPROTO_TCP;
  inet_pton(AF_INET, "10.0.0.1", c.tuple.sip.data());
  inet_pton(AF_INET, "10.0.0.2", c.tuple.dip.data());
  c.tuple.dport = 4444;
  EXPECT_EQ(Count(r, c, t), 1u);
  c.tuple.dport = 443;
  EXPECT_EQ(Count(r, c, t), 0u);
  // The execve branch is `false` once evt.type is known: the rule is out of that bucket.
  EXPECT_EQ(Count(r, MakeEvent(EventType::kExecve, 10), t), 0u);
  EXPECT_EQ(r.ruleset->SpecialisationMismatches(MakeEvent(EventType::kExecve, 10), t), 0u);
  EXPECT_EQ(r.ruleset->SpecialisationMismatches(OpenEvent(10, "/etc/shadow", O_RDONLY), t), 0u);
  EXPECT_EQ(r.ruleset->SpecialisationMismatches(c, t), 0u);
}

TEST(Specialisation, NegatedTypeTestsFold) {
  auto r = LoadYaml(R"(
- rule: NotOpen
  desc: d
  condition: evt.type in (openat, execve) and not (evt.type = openat and fd.name = /etc/hosts)
  output: o
  priority: WARNING
)");
  ASSERT_TRUE(r.ok()) << DiagText(r);
  ProcessTable t;
  t.Upsert(MakeProcess(10, 1, "cat", "/usr/bin/cat"));
  EXPECT_EQ(Count(r, OpenEvent(10, "/etc/hosts", O_RDONLY), t), 0u);
  EXPECT_EQ(Count(r, OpenEvent(10, "/etc/passwd", O_RDONLY), t), 1u);
  EXPECT_EQ(Count(r, MakeEvent(EventType::kExecve, 10), t), 1u);
}

// `in` with many values (hash set) and `pmatch`: the operand-length filter must not reject a
// value or a directory prefix that an operand equals, and must reject the rest.
TEST(Specialisation, LengthFilteredInAndPmatch) {
  auto r = LoadYaml(R"(
- rule: ManyNames
  desc: d
  condition: evt.type = openat and proc.name in (a, bb, ccc, dddd, eeeee, ffffff, ggggggg, a-very-long-process-name-beyond-the-sixty-three-character-mark-xx)
  output: o
  priority: WARNING
- rule: Dirs
  desc: d
  condition: evt.type = openat and fd.name pmatch (/etc, /usr/lib/, /)
  output: o
  priority: WARNING
- rule: Dirs2
  desc: d
  condition: evt.type = openat and fd.name pmatch (/etc, /usr/lib/)
  output: o
  priority: WARNING
)");
  ASSERT_TRUE(r.ok()) << DiagText(r);
  ProcessTable t;
  const char* yes[] = {"a", "bb", "ccc", "dddd", "eeeee", "ffffff", "ggggggg"};
  const char* no[] = {"b", "ab", "cc", "ddd", "eeeeee", "fffff", "gggggggg", "a-very-long-process-name-beyond-the-sixty-three-character-mark-xy"};
  uint32_t pid = 100;
  auto fired = [&](const char* comm, std::string_view path, const char* rule) {
    t.Upsert(MakeProcess(++pid, 1, comm, "/usr/bin/x"));
    std::vector<std::string> names;
    r.ruleset->Evaluate(OpenEvent(pid, path, O_RDONLY), t, [&](const Alert& a) { names.push_back(a.rule); });
    return std::find(names.begin(), names.end(), rule) != names.end();
  };
  for (const char* n : yes) EXPECT_TRUE(fired(n, "/x", "ManyNames")) << n;
  for (const char* n : no) EXPECT_FALSE(fired(n, "/x", "ManyNames")) << n;
  EXPECT_TRUE(fired("x", "/etc", "Dirs2"));
  EXPECT_TRUE(fired("x", "/etc/shadow", "Dirs2"));
  EXPECT_TRUE(fired("x", "/usr/lib/x86_64/libc.so", "Dirs2"));
  EXPECT_TRUE(fired("x", "/usr/lib", "Dirs2"));
  EXPECT_FALSE(fired("x", "/etcx/shadow", "Dirs2"));
  EXPECT_FALSE(fired("x", "/usr/libexec/x", "Dirs2"));
  EXPECT_FALSE(fired("x", "/usr/li", "Dirs2"));
  EXPECT_TRUE(fired("x", "/tmp/anything", "Dirs"));  // "/" is a prefix of every path
}

// Feeds the events of every rules/tests case (their own processes first) and checks every
// rule and step of the full default set on each.
TEST(Specialisation, EquivalentOnEveryRuleTestEvent) {
  const std::string up = Shared();
  ASSERT_TRUE(std::filesystem::exists(up + "/falco_rules.yaml")) << up;
  const std::vector<std::string> files = {up + "/falco_rules.yaml", up + "/falco-incubating_rules.yaml",
                                         up + "/falco-sandbox_rules.yaml", SourceRoot() + "/rules"};
  auto r = LoadRuleFiles(files, LoadOptions{});
  ASSERT_TRUE(r.ok()) << DiagText(r);
  ASSERT_GT(r.ruleset->sequence_count(), 0u);
  std::vector<RuleTestCase> cases;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadRuleTests(SourceRoot() + "/rules/tests", &cases, &errors));
  ASSERT_GT(cases.size(), 100u);
  std::size_t events = 0, mismatches = 0;
  for (const auto& c : cases) {
    ProcessTable table;
    for (const auto& p : c.processes) table.Upsert(p);
    ParsedEvent parsed;
    for (const auto& line : c.events) {
      std::string err;
      if (!ParseEventJsonl(line, &parsed, &err)) continue;
      if (parsed.process) table.Upsert(*parsed.process);
      if (parsed.kind != JsonlKind::kEvent) continue;
      table.Apply(parsed.event);
      ++events;
      const std::size_t m = r.ruleset->SpecialisationMismatches(parsed.event, table);
      EXPECT_EQ(m, 0u) << c.file << ":" << c.line << " " << c.name << ": " << line;
      mismatches += m;
    }
  }
  EXPECT_GT(events, 300u);
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace vigil::testing
