// Kernel tests: 32-bit (i386 ABI) syscalls issued with int $0x80 by this 64-bit test binary.
// A compat open is reported as open with evt.is_compat and the real path; compat numbers
// that collide with x86_64 ones (i386 rt_sigprocmask 175 = x86_64 init_module, i386 ioperm
// 101 = x86_64 ptrace, i386 setuid32 213 = x86_64 epoll_create) are never reported as the
// x86_64 call. Every action runs in a child this test forked; paths live in its temp dir.
// Kernels can refuse 32-bit syscalls at run time (ia32_emulation=0, or hypervisors without
// compat mode: the PVM guests vigil is developed on kill int $0x80 with SIGSEGV and refuse
// 32-bit ELFs). There the tests assert what the kernel did instead: the child dies at its
// first int $0x80 and nothing is reported for it, in particular no x86_64 misdecoding.
#include <fcntl.h>
#include <linux/net.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>
#include <string>

#include <gtest/gtest.h>

#include "sensor_harness.h"

namespace vigil {
namespace {

using testing::OwnedEvent;
using testing::RunChild;
using testing::WaitFor;

#if defined(__x86_64__)
// i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl).
constexpr long kI386Open = 5, kI386Close = 6, kI386Ioperm = 101, kI386Socketcall = 102,
               kI386RtSigprocmask = 175, kI386Setuid32 = 213, kI386Getuid32 = 199;

// Only called in test children. A kernel without IA32 emulation kills the caller with SIGSEGV:
// the default action, not a sanitizer's handler (which would abort and open files of its own).
long Int80(long nr, long a = 0, long b = 0, long c = 0, long d = 0) {
  std::signal(SIGSEGV, SIG_DFL);
  long ret;
  asm volatile("int $0x80"
               : "=a"(ret)
               : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d)
               : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

// Memory the 32-bit ABI can address (below 2 GiB).
char* LowPage() {
  void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                 -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<char*>(p);
}

// Whether int $0x80 works for a 64-bit task on this kernel (a child tries getpid).
bool Int80Works() {
  int status = 0;
  RunChild([] { return Int80(20 /* i386 getpid */) == getpid() ? 0 : 1; }, &status);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

class SensorCompat : public ::testing::Test {
 protected:
  void SetUp() override {
    sensor_ = testing::SharedSensor();
    ASSERT_NE(sensor_, nullptr);
    dir_ = testing::MakeRealTempDir("/tmp/vigil-compat-");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  Sensor* sensor_ = nullptr;
  std::string dir_;
};

TEST_F(SensorCompat, Int80OpenIsReportedAsCompatOpenWithItsPath) {
  const std::string path = dir_ + "/compat-open.txt";
  int status = 0;
  pid_t child = RunChild([&] {
    char* low = LowPage();
    if (low == nullptr) return 10;
    std::strcpy(low, path.c_str());
    long fd = Int80(kI386Open, reinterpret_cast<long>(low), O_CREAT | O_WRONLY, 0600);
    if (fd < 0) return 11;
    Int80(kI386Close, fd);
    return 0;
  }, &status);
  ASSERT_GT(child, 0);
  if (!Int80Works()) {
    // The kernel killed the child at its first int $0x80: no file, no open to report.
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) << status;
    std::cerr << "note: this kernel refuses int $0x80 (IA32 emulation off): the compat "
                 "open could not be issued\n";
    auto evs = WaitFor(*sensor_, [&](const Event& ev) {
      return ev.tgid == static_cast<uint32_t>(child) && ev.type != EventType::kProcExit;
    }, 1, 500);
    EXPECT_TRUE(evs.empty()) << EventTypeName(evs[0].type);
    EXPECT_NE(access(path.c_str(), F_OK), 0);
    return;
  }
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0) << "the child's int $0x80 open failed";
  auto evs = WaitFor(*sensor_, [&](const Event& ev) {
    const Arg* name = ev.Find(ArgId::kName);
    return ev.tgid == static_cast<uint32_t>(child) && name && name->str == path;
  });
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].type, EventType::kOpen);
  EXPECT_TRUE(evs[0].is_compat);
  EXPECT_GE(evs[0].res, 0);
  EXPECT_EQ(evs[0].Num(ArgId::kFlags) & (O_CREAT | O_WRONLY), O_CREAT | O_WRONLY);
  EXPECT_EQ(evs[0].Num(ArgId::kMode), 0600);
  // and its close, as close
  auto closes = WaitFor(*sensor_, [&](const Event& ev) {
    return ev.tgid == static_cast<uint32_t>(child) && ev.type == EventType::kClose &&
           ev.is_compat;
  });
  ASSERT_EQ(closes.size(), 1u);
  EXPECT_EQ(closes[0].Num(ArgId::kFd), evs[0].res);
}

TEST_F(SensorCompat, CollidingNumbersAreNeverDecodedAsX8664Calls) {
  int status = 0;
  pid_t child = RunChild([&] {
    char* low = LowPage();
    if (low == nullptr) return 10;
    // i386 rt_sigprocmask(SIG_BLOCK, NULL, NULL, 8): x86_64 175 is init_module.
    if (Int80(kI386RtSigprocmask, 0, 0, 0, 8) != 0) return 11;
    // i386 ioperm(0, 0, 0): x86_64 101 is ptrace. Its result does not matter.
    Int80(kI386Ioperm, 0, 0, 0);
    // i386 setuid32(getuid32()): x86_64 213 is epoll_create; reported as setuid.
    long uid = Int80(kI386Getuid32);
    if (Int80(kI386Setuid32, uid) != 0) return 12;
    // socketcall(SYS_SOCKET, {AF_INET, SOCK_STREAM, 0}): x86_64 102 is getuid.
    auto* args = reinterpret_cast<unsigned int*>(low);
    args[0] = AF_INET;
    args[1] = SOCK_STREAM;
    args[2] = 0;
    long s = Int80(kI386Socketcall, SYS_SOCKET, reinterpret_cast<long>(args));
    if (s < 0) return 13;
    Int80(kI386Close, s);
    return 0;
  }, &status);
  ASSERT_GT(child, 0);
  const uint32_t tgid = static_cast<uint32_t>(child);
  if (!Int80Works()) {
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) << status;
    std::cerr << "note: this kernel refuses int $0x80 (IA32 emulation off)\n";
    auto evs = WaitFor(*sensor_, [&](const Event& ev) {
      return ev.tgid == tgid && ev.type != EventType::kProcExit;
    }, 1, 500);
    EXPECT_TRUE(evs.empty()) << "reported for a call the kernel refused: "
                             << EventTypeName(evs[0].type);
    return;
  }
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  // The last action first: once the socket is seen, everything before it was delivered.
  auto socks = WaitFor(*sensor_, [&](const Event& ev) {
    return ev.tgid == tgid && ev.type == EventType::kSocket;
  });
  ASSERT_EQ(socks.size(), 1u);
  EXPECT_TRUE(socks[0].is_compat);
  EXPECT_EQ(socks[0].Num(ArgId::kDomain), AF_INET);
  EXPECT_EQ(socks[0].Num(ArgId::kType), SOCK_STREAM);
  EXPECT_GE(socks[0].res, 0);
  auto setuids = WaitFor(*sensor_, [&](const Event& ev) {
    return ev.tgid == tgid && ev.type == EventType::kSetuid;
  });
  ASSERT_EQ(setuids.size(), 1u);
  EXPECT_TRUE(setuids[0].is_compat);
  EXPECT_EQ(setuids[0].Num(ArgId::kUid), static_cast<int64_t>(getuid()));
  auto wrong = WaitFor(*sensor_, [&](const Event& ev) {
    return ev.tgid == tgid && (ev.type == EventType::kInitModule ||
                               ev.type == EventType::kPtrace);
  }, 1, 300);
  EXPECT_TRUE(wrong.empty()) << "an i386 call was decoded as " << EventTypeName(wrong[0].type);
  // Nothing this child did was a native call of a traced type it did not make.
  auto all = WaitFor(*sensor_, [&](const Event& ev) { return ev.tgid == tgid; }, 1000, 0);
  for (const auto& e : all) {
    if (e.type == EventType::kProcExit) continue;
    EXPECT_TRUE(e.type == EventType::kSocket || e.type == EventType::kSetuid ||
                e.type == EventType::kClose)
        << EventTypeName(e.type);
    EXPECT_TRUE(e.is_compat) << EventTypeName(e.type);
  }
}
#endif

}  // namespace
}  // namespace vigil
