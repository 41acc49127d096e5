// Every comparison operator, evaluated on in-memory events.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "engine_test_util.h"

namespace vigil {
namespace {

using testing::MakeEvent;
using testing::MakeProcess;

class Operators : public ::testing::Test {
 protected:
  void SetUp() override {
    table_.Upsert(MakeProcess(1, 0, "systemd", "/usr/lib/systemd/systemd"));
    table_.Upsert(MakeProcess(10, 1, "sshd", "/usr/sbin/sshd"));
    table_.Upsert(MakeProcess(20, 10, "bash", "/usr/bin/bash", {"-c", "id"}));
    Process p = MakeProcess(30, 20, "Curl", "/usr/bin/curl", {"-s", "http://x"});
    p.env = {"HOME=/root", "PATH=/usr/bin"};
    table_.Upsert(p);
    ev_ = testing::OpenEvent(30, "/etc/shadow", O_RDONLY | O_CLOEXEC, 5);
  }
  // True when a rule with this condition fires on ev_.
  bool Fires(const std::string& cond) {
    auto r = testing::LoadYaml("- rule: r\n  desc: d\n  condition: '" + cond +
                               "'\n  output: o\n  priority: INFO\n");
    EXPECT_TRUE(r.ok()) << cond << "\n" << testing::DiagText(r);
    return !testing::Matches(r, ev_, table_).empty();
  }
  ProcessTable table_;
  Event ev_;
};

TEST_F(Operators, Equality) {
  EXPECT_TRUE(Fires("proc.name = Curl"));
  EXPECT_TRUE(Fires("proc.name == Curl"));
  EXPECT_FALSE(Fires("proc.name = curl"));
  EXPECT_TRUE(Fires("proc.name != curl"));
  EXPECT_FALSE(Fires("proc.name != Curl"));
}

TEST_F(Operators, NumericComparisons) {
  EXPECT_TRUE(Fires("proc.pid = 30"));
  EXPECT_TRUE(Fires("proc.pid < 31"));
  EXPECT_TRUE(Fires("proc.pid <= 30"));
  EXPECT_FALSE(Fires("proc.pid > 30"));
  EXPECT_TRUE(Fires("proc.pid >= 30"));
  EXPECT_TRUE(Fires("proc.ppid in (1, 20)"));
  EXPECT_TRUE(Fires("fd.num = 5"));
  EXPECT_TRUE(Fires("user.loginuid = -1"));
  EXPECT_TRUE(Fires("proc.pid = 0x1e"));
}

TEST_F(Operators, SubstringOperators) {
  EXPECT_TRUE(Fires("fd.name contains shad"));
  EXPECT_FALSE(Fires("fd.name contains SHAD"));
  EXPECT_TRUE(Fires("fd.name icontains SHAD"));
  EXPECT_TRUE(Fires("fd.name startswith /etc/"));
  EXPECT_FALSE(Fires("fd.name startswith /usr"));
  EXPECT_TRUE(Fires("fd.name endswith dow"));
  EXPECT_TRUE(Fires("fd.name bcontains 736861"));     // "sha"
  EXPECT_TRUE(Fires("fd.name bstartswith 2f657463"));  // "/etc"
  EXPECT_FALSE(Fires("fd.name bstartswith 2f757372"));
}

TEST_F(Operators, GlobAndRegex) {
  EXPECT_TRUE(Fires("fd.name glob /etc/sh*"));
  EXPECT_FALSE(Fires("fd.name glob /etc/SH*"));
  EXPECT_TRUE(Fires("fd.name iglob /etc/SH*"));
  EXPECT_TRUE(Fires("fd.name glob /e?c/*"));
  EXPECT_TRUE(Fires("fd.name regex \"/etc/(shadow|gshadow)\""));
  EXPECT_FALSE(Fires("fd.name regex \"shadow\""));  // full match, as Falco
  EXPECT_TRUE(Fires("fd.name regex \".*shadow\""));
}

TEST_F(Operators, InIntersectsPmatch) {
  EXPECT_TRUE(Fires("proc.name in (bash, Curl)"));
  EXPECT_FALSE(Fires("proc.name in (bash, curl)"));
  EXPECT_TRUE(Fires("proc.name intersects (Curl)"));
  EXPECT_TRUE(Fires("fd.name pmatch (/etc)"));
  EXPECT_TRUE(Fires("fd.name pmatch (/usr, /etc/)"));
  EXPECT_TRUE(Fires("fd.name pmatch (/etc/shadow)"));
  EXPECT_FALSE(Fires("fd.name pmatch (/et)"));
  EXPECT_FALSE(Fires("fd.name pmatch (/etc/shadow/x)"));
}

TEST_F(Operators, Exists) {
  EXPECT_TRUE(Fires("proc.pname exists"));
  EXPECT_FALSE(Fires("k8s.ns.name exists"));
  EXPECT_TRUE(Fires("not container.image.repository exists"));
}

TEST_F(Operators, MissingValuesNeverCompareTrue) {
  EXPECT_FALSE(Fires("k8s.pod.name = x"));
  EXPECT_FALSE(Fires("k8s.pod.name != x"));
}

TEST_F(Operators, AncestorsWithAndWithoutIndex) {
  EXPECT_TRUE(Fires("proc.aname[0] = Curl"));
  EXPECT_TRUE(Fires("proc.aname[1] = bash"));
  EXPECT_TRUE(Fires("proc.aname[2] = sshd"));
  EXPECT_FALSE(Fires("proc.aname[2] = bash"));
  EXPECT_TRUE(Fires("proc.aname = systemd"));
  EXPECT_TRUE(Fires("proc.aname in (sshd)"));
  EXPECT_FALSE(Fires("proc.aname = nothere"));
  EXPECT_TRUE(Fires("proc.apid[2] = 10"));
  EXPECT_TRUE(Fires("proc.aexepath[1] = /usr/bin/bash"));
}

TEST_F(Operators, TransformersAndVal) {
  EXPECT_TRUE(Fires("tolower(proc.name) = curl"));
  EXPECT_TRUE(Fires("toupper(proc.name) = CURL"));
  EXPECT_TRUE(Fires("basename(fd.name) = shadow"));
  EXPECT_TRUE(Fires("len(fd.name) = 11"));
  EXPECT_TRUE(Fires("len(fd.name) > 10"));
  EXPECT_TRUE(Fires("b64(proc.env[B]) = hello") == false);  // no such variable
  EXPECT_TRUE(Fires("proc.pid = val(proc.pid)"));
  EXPECT_FALSE(Fires("proc.name = val(proc.pname)"));
  EXPECT_TRUE(Fires("proc.ppid = val(proc.apid[1])"));
}

TEST_F(Operators, BooleanFields) {
  EXPECT_TRUE(Fires("evt.is_open_read = true"));
  EXPECT_FALSE(Fires("evt.is_open_write = true"));
  EXPECT_TRUE(Fires("evt.failed = false"));
}

TEST_F(Operators, Base64Transformer) {
  Process p = MakeProcess(40, 1, "x", "/x");
  p.env = {"B=aGVsbG8="};
  table_.Upsert(p);
  ev_.tgid = ev_.tid = 40;
  EXPECT_TRUE(Fires("b64(proc.env[B]) = hello"));
}

TEST_F(Operators, NetworkAddressesAndCidr) {
  Event ev = MakeEvent(EventType::kConnect, 30, 0);
  ev.AddNum(ArgId::kFd, 4);
  ev.has_tuple = true;
  ev.tuple.family = AF_INET;
  ev.tuple.l4proto = IPPROTO_TCP;
  inet_pton(AF_INET, "10.1.2.3", ev.tuple.sip.data());
  inet_pton(AF_INET, "93.184.216.34", ev.tuple.dip.data());
  ev.tuple.sport = 40000;
  ev.tuple.dport = 443;
  ev_ = ev;
  EXPECT_TRUE(Fires("fd.sip = 93.184.216.34"));
  EXPECT_TRUE(Fires("fd.cip = 10.1.2.3"));
  EXPECT_TRUE(Fires("fd.rip = 93.184.216.34"));
  EXPECT_TRUE(Fires("fd.lip = 10.1.2.3"));
  EXPECT_TRUE(Fires("fd.cnet = 10.0.0.0/8"));
  EXPECT_FALSE(Fires("fd.snet in (10.0.0.0/8, 192.168.0.0/16)"));
  EXPECT_TRUE(Fires("fd.net = 93.184.0.0/16"));
  EXPECT_TRUE(Fires("fd.sport = 443"));
  EXPECT_TRUE(Fires("fd.rport in (80, 443)"));
  EXPECT_TRUE(Fires("fd.lport = 40000"));
  EXPECT_TRUE(Fires("fd.port = 443"));
  EXPECT_TRUE(Fires("fd.l4proto = tcp"));
  EXPECT_TRUE(Fires("fd.typechar = 4"));
  EXPECT_TRUE(Fires("fd.sockfamily = ip"));
  EXPECT_TRUE(Fires("fd.is_server = false"));
  EXPECT_TRUE(Fires("fd.name = \"10.1.2.3:40000->93.184.216.34:443\""));
}

TEST_F(Operators, DupOfSocketReadsTheKernelTupleWithoutFdTable) {
  // No socket/connect was seen (no fd table entry): the dup2 record carries oldfd's tuple.
  Event ev = MakeEvent(EventType::kDup2, 30, 1);
  ev.AddNum(ArgId::kFd, 1);
  ev.AddNum(ArgId::kOldfd, 5);
  ev.AddNum(ArgId::kNewfd, 1);
  ev.has_tuple = true;
  ev.tuple.family = AF_INET;
  ev.tuple.l4proto = IPPROTO_TCP;
  inet_pton(AF_INET, "10.0.0.5", ev.tuple.sip.data());
  inet_pton(AF_INET, "203.0.113.9", ev.tuple.dip.data());
  ev.tuple.sport = 40000;
  ev.tuple.dport = 4444;
  ev_ = ev;
  EXPECT_TRUE(Fires("fd.type = ipv4"));
  EXPECT_TRUE(Fires("fd.num = 5"));
  EXPECT_TRUE(Fires("fd.name = \"10.0.0.5:40000->203.0.113.9:4444\""));
  ev_.has_tuple = false;  // a duplicated regular file: no tuple, nothing in the table
  EXPECT_FALSE(Fires("fd.type in (ipv4, ipv6)"));
}

}  // namespace
}  // namespace vigil
