// Unit tests for the `vigil record` stream (format 2): the header, each process written once
// (again only when it changes), ancestors before children, no environment unless asked,
// and a reader rebuilding the same process table as the writer had. Format 1 (the process
// inline on every event) is covered by event_jsonl_test.cpp.
#include "vigil/record_writer.h"

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace vigil {
namespace {

Process Proc(uint32_t pid, uint32_t ppid, const std::string& comm) {
  Process p;
  p.pid = pid;
  p.ppid = ppid;
  p.comm = comm;
  p.exepath = "/usr/bin/" + comm;
  p.args = {"-x"};
  p.cmdline = comm + " -x";
  p.env = {"SECRET_TOKEN=hunter2", "HOME=/root"};
  p.start_ts_ns = pid * 1000;
  return p;
}

Event Open(uint32_t pid, const char* path) {
  Event ev;
  ev.type = EventType::kOpenat;
  ev.tid = ev.tgid = pid;
  ev.res = 3;
  ev.AddNum(ArgId::kFd, 3);
  ev.AddStr(ArgId::kName, path);
  return ev;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string l; std::getline(ss, l);) out.push_back(l);
  return out;
}

TEST(RecordWriter, WritesEachProcessOnceAncestorsFirst) {
  ProcessTable table;
  table.Upsert(Proc(1, 0, "init"));
  table.Upsert(Proc(50, 1, "bash"));
  table.Upsert(Proc(60, 50, "cat"));
  RecordWriter writer(JsonlWriteOptions{});
  std::string out;
  writer.AppendHeader("host-a", 123, &out);
  for (int i = 0; i < 100; ++i) writer.Append(Open(60, "/etc/hosts"), table.Find(60), nullptr, table, &out);
  auto lines = Lines(out);
  // header + init + bash + cat + 100 events
  ASSERT_EQ(lines.size(), 104u);
  EXPECT_NE(lines[0].find("\"record\":\"header\""), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("\"format\":2"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("\"name\":\"init\""), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("\"name\":\"bash\""), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("\"name\":\"cat\""), std::string::npos) << lines[3];
  for (std::size_t i = 4; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i].find("\"proc\""), std::string::npos) << lines[i];
  }
  EXPECT_EQ(writer.process_records(), 3u);
}

TEST(RecordWriter, LeavesTheEnvironmentOutUnlessAsked) {
  ProcessTable table;
  table.Upsert(Proc(60, 0, "cat"));
  std::string plain, with_env;
  RecordWriter(JsonlWriteOptions{false}).Append(Open(60, "/x"), table.Find(60), nullptr, table, &plain);
  RecordWriter(JsonlWriteOptions{true}).Append(Open(60, "/x"), table.Find(60), nullptr, table, &with_env);
  EXPECT_EQ(plain.find("hunter2"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("\"env\""), std::string::npos) << plain;
  EXPECT_NE(with_env.find("SECRET_TOKEN=hunter2"), std::string::npos) << with_env;
}

TEST(RecordWriter, RewritesAProcessWhenItChanges) {
  ProcessTable table;
  table.Upsert(Proc(60, 0, "sh"));
  RecordWriter writer(JsonlWriteOptions{false});
  std::string out;
  writer.Append(Open(60, "/a"), table.Find(60), nullptr, table, &out);
  Process after = *table.Find(60);
  after.comm = "python3";  // exec
  after.exec_ts_ns = 99;
  table.Upsert(after);
  writer.Append(Open(60, "/b"), table.Find(60), nullptr, table, &out);
  after.cwd = "/tmp";  // chdir
  table.Upsert(after);
  writer.Append(Open(60, "/c"), table.Find(60), nullptr, table, &out);
  writer.Append(Open(60, "/d"), table.Find(60), nullptr, table, &out);
  EXPECT_EQ(writer.process_records(), 3u);
  // An env-only change is not a new record when the env is not written.
  after.env.push_back("NEW=1");
  table.Upsert(after);
  writer.Append(Open(60, "/e"), table.Find(60), nullptr, table, &out);
  EXPECT_EQ(writer.process_records(), 3u);
}

TEST(RecordWriter, ReaderRebuildsTheWritersProcesses) {
  ProcessTable table;
  table.Upsert(Proc(50, 0, "bash"));
  table.Upsert(Proc(60, 50, "cat"));
  RecordWriter writer(JsonlWriteOptions{false});
  std::string out;
  writer.AppendHeader("h", 1, &out);
  writer.Append(Open(60, "/etc/shadow"), table.Find(60), nullptr, table, &out);
  std::istringstream in(out);
  JsonlReader reader(in);
  ParsedEvent pe;
  ProcessTable replayed;
  std::size_t events = 0, records = 0, headers = 0;
  while (reader.Next(&pe)) {
    if (pe.process) replayed.Upsert(*pe.process);
    if (pe.kind == JsonlKind::kHeader) ++headers;
    if (pe.kind == JsonlKind::kProcess) ++records;
    if (pe.kind != JsonlKind::kEvent) continue;
    ++events;
    EXPECT_FALSE(pe.process.has_value());
    replayed.Apply(pe.event);
    const Process* p = replayed.Find(pe.event.tgid);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->comm, "cat");
    EXPECT_EQ(p->cmdline, "cat -x");
    EXPECT_TRUE(p->env.empty());
    const Process* parent = replayed.Parent(*p);
    ASSERT_NE(parent, nullptr);
    EXPECT_EQ(parent->comm, "bash");
  }
  EXPECT_EQ(reader.bad_lines(), 0u) << reader.last_error();
  EXPECT_EQ(headers, 1u);
  EXPECT_EQ(records, 2u);
  EXPECT_EQ(events, 1u);
}

TEST(RecordWriter, ExitForgetsThePidSoAReusedPidIsWrittenAgain) {
  ProcessTable table;
  table.Upsert(Proc(60, 0, "a"));
  RecordWriter writer(JsonlWriteOptions{false});
  std::string out;
  writer.Append(Open(60, "/a"), table.Find(60), nullptr, table, &out);
  Event exit_ev;
  exit_ev.type = EventType::kProcExit;
  exit_ev.tid = exit_ev.tgid = 60;
  writer.Append(exit_ev, table.Find(60), nullptr, table, &out);
  writer.Append(Open(60, "/b"), table.Find(60), nullptr, table, &out);
  EXPECT_EQ(writer.process_records(), 2u);
}

TEST(RecordWriter, MalformedRecordsAreErrors) {
  ParsedEvent pe;
  std::string error;
  EXPECT_FALSE(ParseEventJsonl(R"({"record":"proc"})", &pe, &error));
  EXPECT_NE(error.find("needs"), std::string::npos) << error;
  EXPECT_FALSE(ParseEventJsonl(R"({"record":"proc","proc":{"name":"x"}})", &pe, &error));
  EXPECT_FALSE(ParseEventJsonl(R"({"record":"bogus"})", &pe, &error));
  EXPECT_NE(error.find("unknown record kind 'bogus'"), std::string::npos) << error;
  EXPECT_FALSE(ParseEventJsonl(R"({"record":7})", &pe, &error));
  ASSERT_TRUE(ParseEventJsonl(R"({"record":"header","format":2})", &pe, &error)) << error;
  EXPECT_EQ(pe.kind, JsonlKind::kHeader);
  ASSERT_TRUE(ParseEventJsonl(R"({"record":"proc","proc":{"pid":5,"name":"x"}})", &pe, &error));
  EXPECT_EQ(pe.kind, JsonlKind::kProcess);
  ASSERT_TRUE(ParseEventJsonl(R"({"evt.type":"close","proc.pid":5})", &pe, &error)) << error;
  EXPECT_EQ(pe.kind, JsonlKind::kEvent);  // kind resets between lines
}

}  // namespace
}  // namespace vigil
