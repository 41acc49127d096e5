// Kernel tests: privilege and process-control syscalls (ptrace, setuid, kill, dup2 of a
// socket onto stdout, init_module, bpf, prctl). Risky actions run in children the test
// forked; only those children are ever signalled.
#include <linux/bpf.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "sensor_harness.h"

namespace vigil {
namespace {

using testing::OwnedEvent;
using testing::RunChild;
using testing::WaitFor;

std::vector<OwnedEvent> OfType(Sensor& s, uint32_t tgid, EventType type, std::size_t want = 1) {
  return WaitFor(s, [&](const Event& ev) { return ev.tgid == tgid && ev.type == type; }, want);
}

uint32_t Me() { return static_cast<uint32_t>(getpid()); }

TEST(SensorPriv, PtraceAttachToOwnChild) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (;;) pause();
  }
  testing::Track(child);
  ASSERT_EQ(ptrace(PTRACE_ATTACH, child, nullptr, nullptr), 0);
  int status = 0;
  waitpid(child, &status, 0);
  ptrace(PTRACE_DETACH, child, nullptr, nullptr);
  kill(child, SIGKILL);
  waitpid(child, &status, 0);
  auto evs = WaitFor(*sensor, [&](const Event& ev) {
    const Arg* req = ev.Find(ArgId::kRequest);
    return ev.tgid == Me() && ev.type == EventType::kPtrace && req && req->num == PTRACE_ATTACH;
  });
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].Num(ArgId::kPid), child);
  EXPECT_EQ(evs[0].res, 0);
  auto kills = WaitFor(*sensor, [&](const Event& ev) {
    const Arg* pid = ev.Find(ArgId::kPid);
    return ev.tgid == Me() && ev.type == EventType::kKill && pid && pid->num == child;
  });
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].Num(ArgId::kSig), SIGKILL);
  EXPECT_EQ(kills[0].res, 0);
}

TEST(SensorPriv, Dup2OfSocketOntoStdoutInChild) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  int status = 0;
  pid_t child = RunChild([] {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return 1;
    return dup2(s, 1) == 1 ? 0 : 2;
  }, &status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const uint32_t kid = static_cast<uint32_t>(child);
  auto sock = OfType(*sensor, kid, EventType::kSocket);
  ASSERT_EQ(sock.size(), 1u);
  auto dup = WaitFor(*sensor, [&](const Event& ev) {
    return ev.tgid == kid && (ev.type == EventType::kDup2 || ev.type == EventType::kDup3);
  });
  ASSERT_EQ(dup.size(), 1u);
  EXPECT_EQ(dup[0].res, 1);
  EXPECT_EQ(dup[0].Num(ArgId::kFd), 1);
  EXPECT_EQ(dup[0].Num(ArgId::kOldfd), sock[0].res);
  EXPECT_EQ(dup[0].Num(ArgId::kNewfd), 1);
  // the probe resolves the duplicated fd's socket in the kernel (no fd table needed)
  EXPECT_TRUE(dup[0].has_tuple);
  EXPECT_EQ(dup[0].tuple.family, AF_INET);
}

TEST(SensorPriv, SetuidInChild) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  int status = 0;
  pid_t child = RunChild([] { return syscall(SYS_setuid, 65534) == 0 ? 0 : 1; }, &status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto evs = OfType(*sensor, static_cast<uint32_t>(child), EventType::kSetuid);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].Num(ArgId::kUid), 65534);
  EXPECT_EQ(evs[0].res, 0);
}

TEST(SensorPriv, InitModuleAttemptIsSeenEvenWhenRefused) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  int status = 0;
  pid_t child = RunChild([] {
    // Arguments on the stack: the probe reads user memory without faulting pages in.
    char junk[16] = "not-an-elf-file";
    char uargs[] = "vigil_marker=1";
    long r = syscall(SYS_init_module, junk, sizeof(junk), uargs);
    return r < 0 ? 0 : 1;
  }, &status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto evs = OfType(*sensor, static_cast<uint32_t>(child), EventType::kInitModule);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_LT(evs[0].res, 0);
  EXPECT_EQ(evs[0].Num(ArgId::kLength), 16);
  EXPECT_EQ(evs[0].Str(ArgId::kUargs), "vigil_marker=1");
}

TEST(SensorPriv, BpfAndPrctlCarryCommandAndOption) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  int status = 0;
  pid_t child = RunChild([] {
    union bpf_attr attr {};
    long r = syscall(SYS_bpf, BPF_OBJ_GET_INFO_BY_FD, &attr, 0);  // fails: fd 0 is no BPF object
    char name[] = "vigil-prctl";
    if (prctl(PR_SET_NAME, name) != 0) return 2;
    return r < 0 ? 0 : 1;
  }, &status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const uint32_t kid = static_cast<uint32_t>(child);
  auto b = OfType(*sensor, kid, EventType::kBpf);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].Num(ArgId::kCmd), BPF_OBJ_GET_INFO_BY_FD);
  EXPECT_LT(b[0].res, 0);
  auto p = OfType(*sensor, kid, EventType::kPrctl);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].Num(ArgId::kOption), PR_SET_NAME);
  EXPECT_EQ(p[0].res, 0);
}

}  // namespace
}  // namespace vigil
