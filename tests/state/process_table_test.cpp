#include "vigil/process_table.h"

#include <sched.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

namespace vigil {
namespace {

Event ExecEvent(uint32_t pid, const ExecInfo& x) {
  Event ev;
  ev.type = EventType::kExecve;
  ev.tid = ev.tgid = pid;
  ev.res = 0;
  ev.exec = &x;
  return ev;
}

// A fork by `parent` of the child in `f` (f must outlive the event).
Event ForkEvent(uint32_t parent, const ForkInfo& f) {
  Event ev;
  ev.type = EventType::kClone;
  ev.tid = ev.tgid = parent;
  ev.res = f.child_tgid;
  ev.fork = &f;
  return ev;
}

TEST(ProcessTable, ExecFillsProcessAndCmdline) {
  ProcessTable t;
  ExecInfo x;
  static const char kArgs[] = "bash\0-c\0id";
  x.args = std::string_view(kArgs, sizeof(kArgs) - 1);
  x.comm = "bash";
  x.exepath = "/usr/bin/bash";
  x.ppid = 1;
  x.cgroup = "/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope";
  t.Apply(ExecEvent(42, x));
  const Process* p = t.Find(42);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->comm, "bash");
  EXPECT_EQ(p->exe, "bash");
  EXPECT_EQ(p->exepath, "/usr/bin/bash");
  EXPECT_EQ(p->cmdline, "bash -c id");
  ASSERT_EQ(p->args.size(), 2u);
  EXPECT_EQ(p->container_id, "0123456789ab");
}

TEST(ProcessTable, ForkCopiesParentAndExitReapsLater) {
  ProcessTable t;
  Process parent;
  parent.pid = 10;
  parent.comm = "sshd";
  t.Upsert(parent);
  ForkInfo f{11, 11, SIGCHLD};
  t.Apply(ForkEvent(10, f));
  const Process* child = t.Find(11);
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->ppid, 10u);
  EXPECT_EQ(child->comm, "sshd");
  ASSERT_NE(t.Parent(*child), nullptr);
  EXPECT_EQ(t.Parent(*child)->pid, 10u);

  Event exit_ev;
  exit_ev.type = EventType::kProcExit;
  exit_ev.tid = exit_ev.tgid = 11;
  t.Apply(exit_ev);
  EXPECT_NE(t.Find(11), nullptr) << "still visible while its exit is evaluated";
  Event next;
  next.type = EventType::kUnknown;
  t.Apply(next);
  EXPECT_EQ(t.Find(11), nullptr);
}

// The resolver (a /proc read in the daemon) runs only for a process the table has to learn
// about: not for a fork child (copied from its parent) nor twice for one FindOrResolve.
TEST(ProcessTable, ResolverRunsOnlyForProcessesNotSeenStarting) {
  ProcessTable t;
  int calls = 0;
  t.SetResolver([&](uint32_t tgid) -> std::optional<Process> {
    ++calls;
    Process p;
    p.pid = tgid;
    p.comm = "from-proc";
    return p;
  });
  Process parent;
  parent.pid = 20;
  parent.comm = "bash";
  t.Upsert(parent);
  EXPECT_EQ(calls, 0) << "Upsert replaces the process: nothing to resolve";
  ForkInfo f{21, 21, SIGCHLD};
  t.Apply(ForkEvent(20, f));
  EXPECT_EQ(calls, 0) << "a fork child is its parent's copy";
  ASSERT_NE(t.Find(21), nullptr);
  EXPECT_EQ(t.Find(21)->comm, "bash");
  const Process* older = t.FindOrResolve(30);
  ASSERT_NE(older, nullptr);
  EXPECT_EQ(older->comm, "from-proc");
  EXPECT_EQ(calls, 1);
  Event open_ev;  // an event of a process never seen starting: resolved once
  open_ev.type = EventType::kOpenat;
  open_ev.tid = open_ev.tgid = 40;
  open_ev.res = 3;
  t.Apply(open_ev);
  EXPECT_EQ(calls, 2);
  ASSERT_NE(t.Find(40), nullptr);
  EXPECT_EQ(t.Find(40)->comm, "from-proc");
}

TEST(ProcessTable, OpenDupCloseTrackFds) {
  ProcessTable t;
  Event open_ev;
  open_ev.type = EventType::kOpenat;
  open_ev.tid = open_ev.tgid = 5;
  open_ev.res = 3;
  open_ev.AddStr(ArgId::kName, "/etc/passwd");
  t.Apply(open_ev);
  ASSERT_NE(t.FindFd(5, 3), nullptr);
  EXPECT_EQ(t.FindFd(5, 3)->name, "/etc/passwd");

  Event dup_ev;
  dup_ev.type = EventType::kDup2;
  dup_ev.tid = dup_ev.tgid = 5;
  dup_ev.res = 1;
  dup_ev.AddNum(ArgId::kOldfd, 3);
  t.Apply(dup_ev);
  ASSERT_NE(t.FindFd(5, 1), nullptr);
  EXPECT_EQ(t.FindFd(5, 1)->name, "/etc/passwd");

  Event close_ev;
  close_ev.type = EventType::kClose;
  close_ev.tid = close_ev.tgid = 5;
  close_ev.res = 0;
  close_ev.AddNum(ArgId::kFd, 3);
  t.Apply(close_ev);
  EXPECT_EQ(t.FindFd(5, 3), nullptr);
  EXPECT_NE(t.FindFd(5, 1), nullptr);
}

TEST(ProcessTable, ConnectRecordsTupleName) {
  ProcessTable t;
  Event ev;
  ev.type = EventType::kConnect;
  ev.tid = ev.tgid = 7;
  ev.res = 0;
  ev.AddNum(ArgId::kFd, 4);
  ev.has_tuple = true;
  ev.tuple.family = AF_INET;
  ev.tuple.sip = {127, 0, 0, 1};
  ev.tuple.dip = {127, 0, 0, 1};
  ev.tuple.sport = 40000;
  ev.tuple.dport = 22;
  t.Apply(ev);
  const FdInfo* fd = t.FindFd(7, 4);
  ASSERT_NE(fd, nullptr);
  EXPECT_EQ(fd->type, FdType::kIpv4);
  EXPECT_EQ(fd->name, "127.0.0.1:40000->127.0.0.1:22");
}

TEST(ProcessTable, CapEvictsExitedThenOldest) {
  ProcessTable t(ProcessTable::Limits{4, 16});
  for (uint32_t pid = 1; pid <= 10; ++pid) {
    Process p;
    p.pid = pid;
    p.exec_ts_ns = pid;
    t.Upsert(p);
  }
  EXPECT_LE(t.size(), 4u);
  EXPECT_NE(t.Find(10), nullptr);
  EXPECT_EQ(t.Find(1), nullptr);
  EXPECT_GT(t.evictions(), 0u);
}

TEST(ContainerId, HostWhenNoHexId) {
  EXPECT_EQ(ContainerIdFromCgroup("/user.slice/user-0.slice/session-1.scope"), "host");
  EXPECT_EQ(ContainerIdFromCgroup(""), "host");
}

}  // namespace
}  // namespace vigil
