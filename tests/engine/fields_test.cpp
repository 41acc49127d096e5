// Field extraction and rendering: Falco's conventions for flags, requests, errno names,
// user/group names from passwd/group files, fd.* from the process table, outputs.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "engine_test_util.h"
#include "vigil/field_registry.h"
#include "vigil/user_db.h"

namespace vigil {
namespace {

using testing::MakeEvent;
using testing::MakeProcess;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigil-engine-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class Fields : public ::testing::Test {
 protected:
  void SetUp() override {
    passwd_ = dir_.Write("passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/zsh\n");
    group_ = dir_.Write("group", "root:x:0:\nstaff:x:1000:\n");
    table_.Upsert(MakeProcess(1, 0, "systemd", "/usr/lib/systemd/systemd"));
    table_.Upsert(MakeProcess(20, 1, "bash", "/usr/bin/bash"));
    Process p = MakeProcess(30, 20, "python3", "/usr/bin/python3.11", {"-c", "print(1)"}, 1000);
    p.exe = "python3";
    p.loginuid = 1000;
    p.cwd = "/home/alice/work";
    p.cap_effective = (1ULL << 21) | (1ULL << 0);  // CAP_SYS_ADMIN, CAP_CHOWN
    table_.Upsert(p);
  }
  // Renders `output` for an event through a catch-all rule.
  Alert Render(const std::string& output, const Event& ev) {
    LoadOptions o;
    o.hostname = "testhost";
    o.passwd_path = passwd_;
    o.group_path = group_;
    auto r = LoadRuleStrings({{"r.yaml", "- rule: r\n  desc: d\n  condition: evt.type exists\n  output: '" + output +
                                             "'\n  priority: ERROR\n  tags: [t1]\n  warn_evttypes: false\n"}},
                             o);
    EXPECT_TRUE(r.ok()) << testing::DiagText(r);
    std::vector<Alert> alerts;
    r.ruleset->Evaluate(ev, table_, [&](const Alert& a) { alerts.push_back(a); });
    EXPECT_EQ(alerts.size(), 1u);
    return alerts.empty() ? Alert{} : alerts[0];
  }
  std::string Out(const std::string& output, const Event& ev) { return Render(output, ev).output; }

  TempDir dir_;
  std::string passwd_, group_;
  ProcessTable table_;
};

TEST_F(Fields, OpenFlagsRenderSymbolically) {
  Event ev = testing::OpenEvent(30, "notes.txt", O_WRONLY | O_CREAT | O_TRUNC, 4);
  EXPECT_EQ(Out("%evt.arg.flags", ev), "O_WRONLY|O_CREAT|O_TRUNC");
  EXPECT_EQ(Out("%evt.rawarg.flags", ev), std::to_string(O_WRONLY | O_CREAT | O_TRUNC));
  EXPECT_EQ(Out("%fd.name %fd.nameraw %fd.directory %fd.filename %fd.typechar %fd.num", ev),
            "/home/alice/work/notes.txt notes.txt /home/alice/work notes.txt f 4");
  EXPECT_EQ(Out("%evt.is_open_write %evt.is_open_read %evt.arg[1]", ev), "true false notes.txt");
}

TEST_F(Fields, RelativePathsAreNormalised) {
  Event ev = testing::OpenEvent(30, "../../../etc/./passwd", O_RDONLY, 3);
  EXPECT_EQ(Out("%fd.name", ev), "/etc/passwd");
  Event abs = testing::OpenEvent(30, "/var/../etc/./shadow", O_RDONLY, 3);
  EXPECT_EQ(Out("%fd.name %fd.nameraw %fd.directory", abs), "/etc/shadow /var/../etc/./shadow /etc");
}

TEST_F(Fields, PtraceRequestAndSocketDomainNames) {
  Event pt = MakeEvent(EventType::kPtrace, 30, 0);
  pt.AddNum(ArgId::kRequest, 0x4206);
  pt.AddNum(ArgId::kPid, 20);
  EXPECT_EQ(Out("%evt.arg.request %evt.rawarg.request %evt.arg.pid", pt), "PTRACE_SEIZE 16902 20");
  Event so = MakeEvent(EventType::kSocket, 30, 5);
  so.AddNum(ArgId::kDomain, AF_PACKET);
  so.AddNum(ArgId::kType, 3);
  so.AddNum(ArgId::kProto, 0);
  EXPECT_EQ(Out("%evt.arg.domain", so), "AF_PACKET");
}

TEST_F(Fields, MemoryProtectionRendersSymbolically) {
  Event mp = MakeEvent(EventType::kMprotect, 30, 0);
  mp.AddNum(ArgId::kAddr, 0x7f0000000000);
  mp.AddNum(ArgId::kLength, 4096);
  mp.AddNum(ArgId::kProt, 7);
  EXPECT_EQ(Out("%evt.arg.prot %evt.rawarg.prot", mp), "PROT_READ|PROT_WRITE|PROT_EXEC 7");
  Event mm = MakeEvent(EventType::kMmap, 30, 0);
  mm.AddNum(ArgId::kProt, 0);
  EXPECT_EQ(Out("%evt.arg.prot", mm), "PROT_NONE");
  mm.args[0].num = 5;
  EXPECT_EQ(Out("%evt.arg.prot", mm), "PROT_READ|PROT_EXEC");
}

TEST_F(Fields, ModeFlagsAndUidArgs) {
  Event ch = MakeEvent(EventType::kChmod, 30, 0);
  ch.AddStr(ArgId::kFilename, "/tmp/x");
  ch.AddNum(ArgId::kMode, 04755);
  std::string mode = Out("%evt.arg.mode", ch);
  EXPECT_NE(mode.find("S_ISUID"), std::string::npos) << mode;
  EXPECT_NE(mode.find("S_IXOTH"), std::string::npos) << mode;
  EXPECT_EQ(mode.find("S_ISGID"), std::string::npos) << mode;
  EXPECT_EQ(Out("%fs.path.name", ch), "/tmp/x");
  Event su = MakeEvent(EventType::kSetuid, 30, 0);
  su.AddNum(ArgId::kUid, 0);
  EXPECT_EQ(Out("%evt.arg.uid %evt.rawarg.uid", su), "root 0");
}

TEST_F(Fields, ResultAndErrno) {
  Event ok = testing::OpenEvent(30, "/etc/hosts", O_RDONLY, 3);
  EXPECT_EQ(Out("%evt.res %evt.rawres %evt.failed", ok), "SUCCESS 3 false");
  Event bad = testing::OpenEvent(30, "/etc/shadow", O_RDONLY, -13);
  EXPECT_EQ(Out("%evt.res %evt.rawres %evt.failed", bad), "EACCES -13 true");
}

TEST_F(Fields, ProcessUserGroupAndContainerFields) {
  Event ev = MakeEvent(EventType::kExecve, 30, 0);
  EXPECT_EQ(Out("%proc.name|%proc.exe|%proc.exepath|%proc.cmdline|%proc.args|%proc.pname|%proc.aname[2]", ev),
            "python3|python3|/usr/bin/python3.11|python3 -c print(1)|-c print(1)|bash|systemd");
  EXPECT_EQ(Out("%user.name %user.uid %user.homedir %user.shell %user.loginuid %user.loginname", ev),
            "alice 1000 /home/alice /bin/zsh 1000 alice");
  EXPECT_EQ(Out("%group.name %group.gid", ev), "staff 1000");
  EXPECT_EQ(Out("%container.id %container.name %container.image.repository %k8s.ns.name", ev),
            "host host <NA> <NA>");
  EXPECT_EQ(Out("%thread.cap_effective", ev), "CAP_CHOWN CAP_SYS_ADMIN");
  EXPECT_EQ(Out("%evt.type %evt.dir %evt.hostname %evt.time.iso8601", ev),
            "execve < testhost 2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(Out("%(proc.name) 100%", ev), "python3 100%");
}

TEST_F(Fields, AlertHasFalcoShapeAndTypedOutputFields) {
  Event ev = MakeEvent(EventType::kExecve, 30, 0);
  Alert a = Render("run %proc.name by %user.uid (%proc.pname) %k8s.pod.name %proc.name", ev);
  EXPECT_EQ(a.rule, "r");
  EXPECT_EQ(a.priority, Priority::kError);
  EXPECT_EQ(a.source, "syscall");
  EXPECT_EQ(a.hostname, "testhost");
  EXPECT_EQ(a.tags, std::vector<std::string>{"t1"});
  EXPECT_EQ(a.ts_ns, ev.ts_ns);
  EXPECT_EQ(a.output, "run python3 by 1000 (bash) <NA> python3");
  ASSERT_EQ(a.output_fields.size(), 4u);  // proc.name once
  EXPECT_EQ(a.output_fields[0].name, "proc.name");
  EXPECT_EQ(a.output_fields[0].kind, AlertField::Kind::kString);
  EXPECT_EQ(a.output_fields[0].str, "python3");
  EXPECT_EQ(a.output_fields[1].name, "user.uid");
  EXPECT_EQ(a.output_fields[1].kind, AlertField::Kind::kUint);
  EXPECT_EQ(a.output_fields[1].u, 1000u);
  EXPECT_EQ(a.output_fields[3].name, "k8s.pod.name");
  EXPECT_EQ(a.output_fields[3].kind, AlertField::Kind::kNull);
}

// Falco's JSON types: the time fields are integer ns in output_fields (the text output
// keeps the formatted string), numbers are numbers.
TEST_F(Fields, TimeFieldsAreIntegerNanosecondsInOutputFields) {
  Event ev = MakeEvent(EventType::kExecve, 30, 0);
  Alert a = Render("%evt.time %evt.time.s %evt.time.iso8601 %evt.datetime %evt.rawtime %proc.pid", ev);
  ASSERT_EQ(a.output_fields.size(), 6u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(a.output_fields[i].kind, AlertField::Kind::kUint) << a.output_fields[i].name;
    EXPECT_EQ(a.output_fields[i].u, ev.ts_ns) << a.output_fields[i].name;
  }
  EXPECT_NE(a.output_fields[5].kind, AlertField::Kind::kString);
  EXPECT_NE(a.output.find("2023-11-14T22:13:20.123456789Z"), std::string::npos) << a.output;
}

TEST_F(Fields, AppendOutputAddsFieldsToEveryRule) {
  LoadOptions o;
  o.hostname = "h";
  o.append_output = "container_id=%container.id";
  auto r = LoadRuleStrings({{"r.yaml", "- rule: r\n  desc: d\n  condition: evt.type = execve\n  output: >\n    ran %proc.name\n  priority: ERROR\n"}}, o);
  ASSERT_TRUE(r.ok()) << testing::DiagText(r);
  std::vector<Alert> alerts;
  r.ruleset->Evaluate(MakeEvent(EventType::kExecve, 30), table_, [&](const Alert& a) { alerts.push_back(a); });
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].output, "ran python3 container_id=host");
  ASSERT_EQ(alerts[0].output_fields.size(), 2u);
  EXPECT_EQ(alerts[0].output_fields[1].name, "container.id");
}

TEST_F(Fields, FdFromTableForNonOpenEvents) {
  FdInfo fi;
  fi.type = FdType::kFile;
  fi.name = "/var/log/syslog";
  table_.SetFd(30, 7, fi);
  Event ev = MakeEvent(EventType::kFtruncate, 30, 0);
  ev.AddNum(ArgId::kFd, 7);
  EXPECT_EQ(Out("%fd.name %fd.num %fd.typechar %fd.type %fd.directory", ev), "/var/log/syslog 7 f file /var/log");
}

TEST_F(Fields, UnlinkAcceptsPathAndName) {
  Event ev = MakeEvent(EventType::kUnlink, 30, 0);
  ev.AddStr(ArgId::kPath, "/tmp/a");
  EXPECT_EQ(Out("%evt.arg.name %evt.arg.path", ev), "/tmp/a /tmp/a");
  Event ren = MakeEvent(EventType::kRenameat2, 30, 0);
  ren.AddNum(ArgId::kOlddirfd, AT_FDCWD);
  ren.AddStr(ArgId::kOldpath, "a");
  ren.AddNum(ArgId::kNewdirfd, AT_FDCWD);
  ren.AddStr(ArgId::kNewpath, "/tmp/b");
  EXPECT_EQ(Out("%fs.path.source %fs.path.target %fs.path.sourceraw", ren), "/home/alice/work/a /tmp/b a");
}

TEST(FieldRegistry, HasFalcoNamesAndTypes) {
  ASSERT_NE(FindField("proc.name"), nullptr);
  EXPECT_EQ(FindField("proc.name")->type, FieldType::kCharbuf);
  EXPECT_EQ(FindField("user.uid")->type, FieldType::kUint64);
  EXPECT_EQ(FindField("fd.sip")->type, FieldType::kIpAddr);
  EXPECT_EQ(FindField("fd.net")->type, FieldType::kIpNet);
  EXPECT_EQ(FindField("proc.aname")->arg, FieldArg::kIndexOptional);
  EXPECT_EQ(FindField("nope.nope"), nullptr);
  EXPECT_GT(AllFields().size(), 150u);
  for (const auto& f : AllFields()) EXPECT_FALSE(f.description.empty()) << f.name;
}

TEST(UserDbTest, ReloadsWhenMtimeChanges) {
  TempDir dir;
  std::string pw = dir.Write("passwd", "bob:x:1001:1001::/home/bob:/bin/sh\n");
  std::string gr = dir.Write("group", "bob:x:1001:\n");
  UserDb db(pw, gr, 0);
  ASSERT_NE(db.snapshot()->FindUser(1001), nullptr);
  EXPECT_EQ(db.snapshot()->FindUser(1001)->name, "bob");
  EXPECT_EQ(db.snapshot()->FindUser(1002), nullptr);
  std::size_t before = db.reloads();
  db.MaybeRefresh();
  EXPECT_EQ(db.reloads(), before);  // unchanged files are not re-read
  dir.Write("passwd", "bob:x:1001:1001::/home/bob:/bin/sh\ncarol:x:1002:1002::/home/carol:/bin/sh\n");
  struct timespec times[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
  times[1].tv_sec = 12345;  // force a different mtime even within the same tick
  times[1].tv_nsec = 0;
  utimensat(AT_FDCWD, pw.c_str(), times, 0);
  db.MaybeRefresh();
  EXPECT_EQ(db.reloads(), before + 1);
  ASSERT_NE(db.snapshot()->FindUser(1002), nullptr);
  EXPECT_EQ(db.snapshot()->FindUser(1002)->name, "carol");
  EXPECT_EQ(*db.snapshot()->FindGroup(1001), "bob");
}

}  // namespace
}  // namespace vigil
