// Unit tests for the JSON Lines event codec: round trips of every event shape (args, tuple,
// exec, fork, procexit, process snapshot) and malformed input reported with line numbers.
#include "vigil/event_jsonl.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace vigil {
namespace {

void ExpectSameEvent(const Event& a, const Event& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.ts_ns, b.ts_ns);
  EXPECT_EQ(a.tid, b.tid);
  EXPECT_EQ(a.tgid, b.tgid);
  EXPECT_EQ(a.cpu, b.cpu);
  EXPECT_EQ(a.res, b.res);
  ASSERT_EQ(a.nargs, b.nargs);
  for (uint8_t i = 0; i < a.nargs; ++i) {
    EXPECT_EQ(a.args[i].id, b.args[i].id);
    EXPECT_EQ(a.args[i].is_str, b.args[i].is_str);
    EXPECT_EQ(a.args[i].num, b.args[i].num);
    EXPECT_EQ(a.args[i].str, b.args[i].str);
  }
  EXPECT_EQ(a.has_tuple, b.has_tuple);
  if (a.has_tuple) {
    EXPECT_EQ(a.tuple.family, b.tuple.family);
    EXPECT_EQ(a.tuple.l4proto, b.tuple.l4proto);
    EXPECT_EQ(a.tuple.sip, b.tuple.sip);
    EXPECT_EQ(a.tuple.dip, b.tuple.dip);
    EXPECT_EQ(a.tuple.sport, b.tuple.sport);
    EXPECT_EQ(a.tuple.dport, b.tuple.dport);
    EXPECT_EQ(a.tuple.unix_path, b.tuple.unix_path);
  }
  ASSERT_EQ(a.exec == nullptr, b.exec == nullptr);
  if (a.exec) {
    const ExecInfo& x = *a.exec;
    const ExecInfo& y = *b.exec;
    EXPECT_EQ(x.filename, y.filename);
    EXPECT_EQ(x.exepath, y.exepath);
    EXPECT_EQ(x.comm, y.comm);
    EXPECT_EQ(x.args, y.args);
    EXPECT_EQ(x.env, y.env);
    EXPECT_EQ(x.cwd, y.cwd);
    EXPECT_EQ(x.cgroup, y.cgroup);
    EXPECT_EQ(x.ppid, y.ppid);
    EXPECT_EQ(x.loginuid, y.loginuid);
    EXPECT_EQ(x.tty, y.tty);
    EXPECT_EQ(x.exe_ino, y.exe_ino);
    EXPECT_EQ(x.cap_effective, y.cap_effective);
    EXPECT_EQ(x.start_ts_ns, y.start_ts_ns);
    EXPECT_EQ(x.exe_writable, y.exe_writable);
    EXPECT_EQ(x.exe_from_memfd, y.exe_from_memfd);
  }
  ASSERT_EQ(a.fork == nullptr, b.fork == nullptr);
  if (a.fork) {
    EXPECT_EQ(a.fork->child_tid, b.fork->child_tid);
    EXPECT_EQ(a.fork->child_tgid, b.fork->child_tgid);
    EXPECT_EQ(a.fork->flags, b.fork->flags);
  }
  EXPECT_EQ(a.exit_code, b.exit_code);
  EXPECT_EQ(a.file_resolved, b.file_resolved);
  EXPECT_EQ(a.path_truncated, b.path_truncated);
  EXPECT_EQ(a.raw_path, b.raw_path);
  EXPECT_EQ(a.alias_path, b.alias_path);
}

TEST(EventJsonl, RoundTripsOpenWithArgsInOrder) {
  Event ev;
  ev.type = EventType::kOpenat;
  ev.ts_ns = 1732460000123456789ULL;
  ev.tid = 101;
  ev.tgid = 100;
  ev.cpu = 1;
  ev.res = 3;
  ev.AddNum(ArgId::kFd, 3);
  ev.AddNum(ArgId::kDirfd, -100);
  ev.AddStr(ArgId::kName, "/etc/shadow");
  ev.AddNum(ArgId::kFlags, 0x241);
  ev.AddNum(ArgId::kMode, 0640);
  FdInfo fd;
  fd.type = FdType::kFile;
  fd.name = "/etc/shadow";
  std::string line;
  AppendEventJsonl(ev, nullptr, &fd, &line);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_NE(line.find("\"evt.type\":\"openat\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"fd.name\":\"/etc/shadow\""), std::string::npos) << line;
  EXPECT_LT(line.find("\"dirfd\""), line.find("\"name\""));  // Falco argument order kept
  ParsedEvent parsed;
  std::string error;
  ASSERT_TRUE(ParseEventJsonl(line, &parsed, &error)) << error;
  ExpectSameEvent(ev, parsed.event);
  EXPECT_FALSE(parsed.process.has_value());
}

// A recording keeps what the kernel resolved: the kernel path (name), the caller's string
// (fd.nameraw), the watched path's alias (fd.alias) and a cut-short walk, so a replayed
// event matches the rules the live one matched.
TEST(EventJsonl, RoundTripsKernelResolvedOpen) {
  Event ev;
  ev.type = EventType::kOpenat;
  ev.ts_ns = 1732460000123456789ULL;
  ev.tid = ev.tgid = 100;
  ev.res = 3;
  ev.AddNum(ArgId::kFd, 3);
  ev.AddNum(ArgId::kDirfd, -100);
  ev.AddStr(ArgId::kName, "/etc/shadow");
  ev.AddNum(ArgId::kFlags, 0);
  ev.file_resolved = true;
  ev.path_truncated = true;
  ev.raw_path = "../../proc/self/root/etc/./shadow";
  ev.alias_path = "/srv/bind/shadow";
  std::string line;
  AppendEventJsonl(ev, nullptr, nullptr, &line);
  EXPECT_NE(line.find("\"fd.nameraw\":\"../../proc/self/root/etc/./shadow\""), std::string::npos) << line;
  ParsedEvent parsed;
  std::string error;
  ASSERT_TRUE(ParseEventJsonl(line, &parsed, &error)) << error;
  ExpectSameEvent(ev, parsed.event);
}

TEST(EventJsonl, RoundTripsExecWithProcessSnapshot) {
  static const char kArgs[] = "bash\0-c\0echo hi";
  static const char kEnv[] = "A=1\0B=2";
  ExecInfo x;
  x.filename = "/bin/bash";
  x.exepath = "/usr/bin/bash";
  x.comm = "bash";
  x.args = std::string_view(kArgs, sizeof(kArgs) - 1);
  x.env = std::string_view(kEnv, sizeof(kEnv) - 1);
  x.cwd = "/root";
  x.cgroup = "/docker/0123456789abcdef";
  x.ppid = 1;
  x.loginuid = 1000;
  x.tty = 34816;
  x.exe_ino = 42;
  x.cap_effective = 0x1ffffffffffULL;
  x.start_ts_ns = 17;
  x.exe_writable = true;
  Event ev;
  ev.type = EventType::kExecve;
  ev.tid = ev.tgid = 7;
  ev.exec = &x;
  ev.AddStr(ArgId::kFilename, x.filename);
  Process p;
  p.pid = 7;
  p.ppid = 1;
  p.comm = "bash";
  p.exe = "bash";
  p.exepath = "/usr/bin/bash";
  p.args = {"-c", "echo hi"};
  p.cmdline = "bash -c echo hi";
  p.env = {"A=1", "B=2"};
  p.container_id = "host";
  p.loginuid = UINT32_MAX;
  std::string line;
  AppendEventJsonl(ev, &p, nullptr, &line);
  ParsedEvent parsed;
  std::string error;
  ASSERT_TRUE(ParseEventJsonl(line, &parsed, &error)) << error;
  ExpectSameEvent(ev, parsed.event);
  ASSERT_TRUE(parsed.process.has_value());
  EXPECT_EQ(parsed.process->pid, 7u);
  EXPECT_EQ(parsed.process->args, p.args);
  EXPECT_EQ(parsed.process->env, p.env);
  EXPECT_EQ(parsed.process->cmdline, p.cmdline);
  EXPECT_EQ(parsed.process->loginuid, UINT32_MAX);
  EXPECT_EQ(parsed.process->container_id, "host");
}

TEST(EventJsonl, RoundTripsTuplesForkAndExit) {
  Event c;
  c.type = EventType::kConnect;
  c.tgid = c.tid = 5;
  c.AddNum(ArgId::kFd, 4);
  c.has_tuple = true;
  c.tuple.family = AF_INET6;
  c.tuple.l4proto = 6;
  inet_pton(AF_INET6, "::1", c.tuple.sip.data());
  inet_pton(AF_INET6, "fe80::1", c.tuple.dip.data());
  c.tuple.sport = 40000;
  c.tuple.dport = 443;
  Event u;
  u.type = EventType::kConnect;
  u.has_tuple = true;
  u.tuple.family = AF_UNIX;
  u.tuple.unix_path = "/run/docker.sock";
  ForkInfo f{9, 9, 0x11};
  Event k;
  k.type = EventType::kClone;
  k.res = 9;
  k.fork = &f;
  Event x;
  x.type = EventType::kProcExit;
  x.exit_code = 3;
  for (const Event* ev : {&c, &u, &k, &x}) {
    std::string line;
    AppendEventJsonl(*ev, nullptr, nullptr, &line);
    ParsedEvent parsed;
    std::string error;
    ASSERT_TRUE(ParseEventJsonl(line, &parsed, &error)) << error << " in " << line;
    ExpectSameEvent(*ev, parsed.event);
  }
}

TEST(EventJsonl, ReaderSkipsMalformedLinesWithLineNumbers) {
  Event ev;
  ev.type = EventType::kUnlink;
  ev.AddStr(ArgId::kPath, "/tmp/x");
  std::string good;
  AppendEventJsonl(ev, nullptr, nullptr, &good);
  std::string input = good + "\n" + "{not json\n" + "{\"evt.type\":\"nope\"}\n" +
                      "{\"evt.type\":\"open\",\"evt.args\":{\"name\":1.5}}\n" +
                      "[1,2,3]\n" + std::string("\x00\xff\xfe", 3) + "\n" +
                      "{\"evt.type\":\"open\",\"proc.pid\":\"x\"}\n" + good;
  std::istringstream in(input);
  JsonlReader reader(in);
  std::vector<std::string> errors;
  reader.set_error_callback(
      [](const std::string& e, void* ctx) { static_cast<std::vector<std::string>*>(ctx)->push_back(e); },
      &errors);
  ParsedEvent parsed;
  int n = 0;
  while (reader.Next(&parsed)) {
    ++n;
    EXPECT_EQ(parsed.event.type, EventType::kUnlink);
    EXPECT_EQ(parsed.event.Find(ArgId::kPath)->str, "/tmp/x");
  }
  EXPECT_EQ(n, 2);
  EXPECT_EQ(reader.bad_lines(), 6u);
  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[0].rfind("line 3: ", 0), 0u) << errors[0];
  EXPECT_NE(errors[1].find("unknown evt.type 'nope'"), std::string::npos) << errors[1];
  EXPECT_NE(errors[2].find("name"), std::string::npos) << errors[2];
  EXPECT_EQ(errors[5].rfind("line 8: ", 0), 0u) << errors[5];
  EXPECT_NE(errors[5].find("proc.pid must be an integer"), std::string::npos) << errors[5];
}

TEST(EventJsonl, InvalidUtf8IsReplacedNotFatal) {
  Event ev;
  ev.type = EventType::kOpen;
  ev.AddStr(ArgId::kName, std::string_view("/tmp/\xff\xfe", 7));
  std::string line;
  AppendEventJsonl(ev, nullptr, nullptr, &line);
  ParsedEvent parsed;
  std::string error;
  ASSERT_TRUE(ParseEventJsonl(line, &parsed, &error)) << error;
  EXPECT_EQ(parsed.event.Find(ArgId::kName)->str.substr(0, 5), "/tmp/");
}

}  // namespace
}  // namespace vigil
