// Unit tests for the replay evaluator: JSON Lines in, process state rebuilt, alerts out.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "vigil/record_writer.h"
#include "vigil/replay_evaluator.h"
#include "vigil/rule_loader.h"

namespace vigil {
namespace {

constexpr const char* kRules = R"(
- rule: Shadow Read
  desc: test
  condition: evt.type = openat and evt.is_open_read = true and fd.name = /etc/shadow and not proc.name = sshd
  output: shadow read by %proc.name parent=%proc.pname file=%fd.name
  priority: WARNING
- rule: Shell Exec
  desc: test
  condition: evt.type = execve and proc.name = bash and proc.pname = nginx
  output: shell %proc.cmdline under %proc.pname
  priority: CRITICAL
)";

std::shared_ptr<const Ruleset> TestRuleset() {
  LoadResult r = LoadRuleStrings({{"test.yaml", kRules}}, LoadOptions{});
  EXPECT_TRUE(r.ok());
  return r.ruleset;
}

std::string FieldOf(const Alert& a, const std::string& name) {
  for (const auto& f : a.output_fields)
    if (f.name == name) return f.str;
  return "<missing>";
}

TEST(ReplayEvaluator, RebuildsProcessStateFromSnapshotsAndExec) {
  // nginx (snapshot on its own line), then an exec of bash by pid 200 whose parent is nginx,
  // then bash opens /etc/shadow: the open line carries no snapshot, so proc.* must come from
  // the exec applied to the table.
  std::istringstream in(
      R"({"evt.type":"openat","evt.time":1,"evt.res":-2,"proc.pid":100,"evt.args":{"name":"/nonexistent","flags":0},"proc":{"pid":100,"ppid":1,"name":"nginx","exepath":"/usr/sbin/nginx"}})"
      "\n"
      R"({"evt.type":"execve","evt.time":2,"evt.res":0,"proc.pid":200,"exec":{"filename":"/bin/bash","exepath":"/usr/bin/bash","comm":"bash","args":["bash","-i"],"ppid":100}})"
      "\n"
      R"({"evt.type":"openat","evt.time":3,"evt.res":3,"proc.pid":200,"evt.args":{"name":"/etc/shadow","flags":0}})"
      "\n");
  ReplayEvaluator replay(TestRuleset());
  std::vector<Alert> alerts;
  std::vector<std::string> errors;
  const ReplayStats& stats = replay.ReplayStream(
      in, [&](const Alert& a) { alerts.push_back(a); },
      [&](const std::string& e) { errors.push_back(e); });
  EXPECT_EQ(stats.events, 3u);
  EXPECT_EQ(stats.bad_lines, 0u);
  EXPECT_TRUE(errors.empty());
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].rule, "Shell Exec");
  EXPECT_EQ(alerts[0].ts_ns, 2u);
  EXPECT_EQ(alerts[1].rule, "Shadow Read");
  EXPECT_EQ(FieldOf(alerts[1], "proc.name"), "bash");
  EXPECT_EQ(FieldOf(alerts[1], "proc.pname"), "nginx");
  EXPECT_EQ(FieldOf(alerts[1], "fd.name"), "/etc/shadow");
  EXPECT_EQ(stats.alerts, 2u);
}

TEST(ReplayEvaluator, SkipsMalformedLinesWithTheirLineNumber) {
  std::istringstream in(
      "\n"
      "{not json\n"
      R"({"evt.type":"no_such_type","proc.pid":1})"
      "\n"
      R"({"evt.type":"openat","evt.res":3,"proc.pid":300,"evt.args":{"name":"/etc/shadow","flags":0},"proc":{"pid":300,"name":"cat"}})"
      "\n");
  ReplayEvaluator replay(TestRuleset());
  std::vector<std::string> errors;
  std::size_t alerts = 0;
  replay.ReplayStream(in, [&](const Alert&) { ++alerts; },
                      [&](const std::string& e) { errors.push_back(e); });
  EXPECT_EQ(replay.stats().events, 1u);
  EXPECT_EQ(replay.stats().bad_lines, 2u);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].rfind("line 2:", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1].rfind("line 3:", 0), 0u) << errors[1];
  EXPECT_NE(errors[1].find("no_such_type"), std::string::npos) << errors[1];
  EXPECT_EQ(alerts, 1u);
}

TEST(ReplayEvaluator, SnapshotOverridesWhatTheTableKnew) {
  // The same pid first reads as sshd (allowed), then a snapshot says it is cat.
  std::istringstream in(
      R"({"evt.type":"openat","evt.res":3,"proc.pid":400,"evt.args":{"name":"/etc/shadow","flags":0},"proc":{"pid":400,"name":"sshd"}})"
      "\n"
      R"({"evt.type":"openat","evt.res":4,"proc.pid":400,"evt.args":{"name":"/etc/shadow","flags":0},"proc":{"pid":400,"name":"cat"}})"
      "\n");
  ReplayEvaluator replay(TestRuleset());
  std::vector<std::string> names;
  replay.ReplayStream(in, [&](const Alert& a) { names.push_back(FieldOf(a, "proc.name")); }, {});
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0], "cat");
  ASSERT_NE(replay.table().Find(400), nullptr);
  EXPECT_EQ(replay.table().Find(400)->comm, "cat");
}

TEST(ReplayEvaluator, SeedsFdsOpenedBeforeTheRecordingFromTheLine) {
  // bash already had a connected socket on fd 3 when the recording started: the dup2 line
  // carries the recorder's view of fd 3 ("fd.num/fd.name/fd.type") and nothing else does.
  constexpr const char* kDupRule = R"(
- rule: Stdin From Socket
  desc: test
  condition: evt.type = dup2 and fd.type = ipv4
  output: stdin from %fd.name type=%fd.type
  priority: CRITICAL
)";
  LoadResult r = LoadRuleStrings({{"dup.yaml", kDupRule}}, LoadOptions{});
  ASSERT_TRUE(r.ok());
  const std::string dup_line =
      R"({"evt.type":"dup2","evt.res":0,"proc.pid":500,"evt.args":{"fd":0,"oldfd":3,"newfd":0},"fd.num":3,"fd.name":"10.0.0.5:40000->203.0.113.9:4444","fd.type":"ipv4","proc":{"pid":500,"name":"bash"}})";
  std::istringstream with_fd(dup_line + "\n");
  ReplayEvaluator replay(r.ruleset);
  std::vector<Alert> alerts;
  replay.ReplayStream(with_fd, [&](const Alert& a) { alerts.push_back(a); }, {});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(FieldOf(alerts[0], "fd.name"), "10.0.0.5:40000->203.0.113.9:4444");
  const FdInfo* fd = replay.table().FindFd(500, 3);
  ASSERT_NE(fd, nullptr);
  EXPECT_EQ(fd->type, FdType::kIpv4);

  // Without the fd keys the fd stays unknown and the rule cannot match.
  std::string bare = dup_line;
  bare.erase(bare.find(R"("fd.num")"), bare.find(R"("proc")") - bare.find(R"("fd.num")"));
  std::istringstream without_fd(bare + "\n");
  ReplayEvaluator replay2(r.ruleset);
  std::size_t n = 0;
  replay2.ReplayStream(without_fd, [&](const Alert&) { ++n; }, {});
  EXPECT_EQ(replay2.stats().events, 1u);
  EXPECT_EQ(n, 0u);
}

TEST(ReplayEvaluator, FormatOneAndFormatTwoRecordingsGiveTheSameAlerts) {
  // The same activity written the old way (the process inline on every event) and the
  // `vigil record` way since format 2 (a header, process records once, events by pid).
  ProcessTable table;
  Process nginx;
  nginx.pid = 100;
  nginx.ppid = 1;
  nginx.comm = "nginx";
  nginx.exepath = "/usr/sbin/nginx";
  Process cat = nginx;
  cat.pid = 101;
  cat.ppid = 100;
  cat.comm = "cat";
  cat.exepath = "/usr/bin/cat";
  table.Upsert(nginx);
  table.Upsert(cat);
  Event ev;
  ev.type = EventType::kOpenat;
  ev.tid = ev.tgid = 101;
  ev.res = 3;
  ev.AddNum(ArgId::kFd, 3);
  ev.AddStr(ArgId::kName, "/etc/shadow");
  ev.AddNum(ArgId::kFlags, 0);
  std::string v1, v2;
  AppendEventJsonl(ev, table.Find(101), nullptr, &v1);
  AppendEventJsonl(ev, table.Find(101), nullptr, &v1);
  RecordWriter writer(JsonlWriteOptions{false});
  writer.AppendHeader("h", 1, &v2);
  writer.Append(ev, table.Find(101), nullptr, table, &v2);
  writer.Append(ev, table.Find(101), nullptr, table, &v2);
  auto run = [](const std::string& text, ReplayStats* stats, std::vector<std::string>* pnames) {
    std::istringstream in(text);
    ReplayEvaluator replay(TestRuleset());
    std::vector<std::string> out;
    *stats = replay.ReplayStream(
        in,
        [&](const Alert& a) {
          out.push_back(a.rule + "|" + FieldOf(a, "proc.name"));
          pnames->push_back(FieldOf(a, "proc.pname"));
        },
        [&](const std::string& e) { ADD_FAILURE() << e; });
    return out;
  };
  ReplayStats s1, s2;
  std::vector<std::string> p1, p2;
  auto a1 = run(v1, &s1, &p1);
  auto a2 = run(v2, &s2, &p2);
  EXPECT_EQ(a1, a2);
  ASSERT_EQ(a2.size(), 2u);
  EXPECT_EQ(a2[0], "Shadow Read|cat");
  // Format 2 also carries the ancestors (format 1 only had the acting process).
  EXPECT_EQ(p2, (std::vector<std::string>{"nginx", "nginx"}));
  EXPECT_EQ(s1.events, 2u);
  EXPECT_EQ(s2.events, 2u);
  EXPECT_EQ(s2.process_records, 2u);
  EXPECT_LT(v2.size(), v1.size() + 120);  // header + two small records vs two inline copies
}

}  // namespace
}  // namespace vigil
