// Kernel tests: the syscalls attackers switch to when open/chmod/ptrace are watched (issue 13):
// name_to_handle_at / open_by_handle_at, fchmodat2, truncate / ftruncate, utimensat /
// futimesat, setxattr / lsetxattr / fsetxattr, process_vm_readv / writev, pidfd_open /
// pidfd_getfd, fcntl(F_DUPFD*) reported as dup, and mmap / mprotect adding PROT_EXEC (filtered
// in the kernel). Each test uses its own temp dir, its own process or its own child, and
// matches only those.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "sensor_harness.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace vigil {
namespace {

using testing::OwnedEvent;
using testing::WaitFor;

uint32_t Me() { return static_cast<uint32_t>(getpid()); }

class SensorBlind : public ::testing::Test {
 protected:
  void SetUp() override {
    sensor_ = testing::SharedSensor();
    ASSERT_NE(sensor_, nullptr);
    dir_ = testing::MakeRealTempDir("/tmp/vigil-blind-");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  // Events of this process of `type` whose string argument `id` equals `value`.
  std::vector<OwnedEvent> WithStr(EventType type, ArgId id, const std::string& value,
                                  std::size_t want = 1) {
    return WaitFor(*sensor_, [&](const Event& ev) {
      const Arg* a = ev.Find(id);
      return ev.tgid == Me() && ev.type == type && a && a->is_str && a->str == value;
    }, want);
  }
  std::string MakeFile(const std::string& name) {
    std::string path = dir_ + "/" + name;
    int fd = open(path.c_str(), O_CREAT | O_WRONLY, 0644);
    EXPECT_GE(fd, 0) << path;
    if (fd >= 0) {
      EXPECT_EQ(write(fd, "secret\n", 7), 7);
      close(fd);
    }
    return path;
  }
  Sensor* sensor_ = nullptr;
  std::string dir_;
};

TEST_F(SensorBlind, OpenByHandleAtReportsTheFileTheKernelOpened) {
  const std::string path = MakeFile("handle.txt");
  // struct file_handle ends in a flexible array: give it MAX_HANDLE_SZ bytes behind it.
  alignas(struct file_handle) unsigned char storage[sizeof(struct file_handle) + MAX_HANDLE_SZ] = {};
  auto* fh = reinterpret_cast<struct file_handle*>(storage);
  fh->handle_bytes = MAX_HANDLE_SZ;
  int mount_id = 0;
  ASSERT_EQ(name_to_handle_at(AT_FDCWD, path.c_str(), fh, &mount_id, 0), 0) << strerror(errno);
  int mfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(mfd, 0);
  int fd = open_by_handle_at(mfd, fh, O_RDONLY);
  ASSERT_GE(fd, 0) << strerror(errno);
  close(fd);
  close(mfd);

  auto named = WithStr(EventType::kNameToHandleAt, ArgId::kPathname, path);
  ASSERT_EQ(named.size(), 1u);
  EXPECT_EQ(named[0].res, 0);
  EXPECT_EQ(named[0].Num(ArgId::kDirfd), AT_FDCWD);

  auto opened = WithStr(EventType::kOpenByHandleAt, ArgId::kPath, path);
  ASSERT_EQ(opened.size(), 1u);
  EXPECT_EQ(opened[0].res, fd);
  EXPECT_EQ(opened[0].Num(ArgId::kFd), fd);
  EXPECT_EQ(opened[0].Num(ArgId::kMountfd), mfd);
  EXPECT_EQ(opened[0].Num(ArgId::kFlags), O_RDONLY);
}

TEST_F(SensorBlind, Fchmodat2TruncateAndTimesCarryPathAndArgs) {
  const std::string path = MakeFile("attrs.txt");
  ASSERT_EQ(syscall(SYS_fchmodat2, AT_FDCWD, path.c_str(), 04755, 0), 0) << strerror(errno);
  ASSERT_EQ(truncate(path.c_str(), 3), 0);
  int fd = open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 2), 0);
  close(fd);
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), nullptr, AT_SYMLINK_NOFOLLOW), 0);
  ASSERT_EQ(syscall(SYS_futimesat, AT_FDCWD, path.c_str(), nullptr), 0);

  auto chm = WithStr(EventType::kFchmodat2, ArgId::kFilename, path);
  ASSERT_EQ(chm.size(), 1u);
  EXPECT_EQ(chm[0].Num(ArgId::kMode), 04755);
  EXPECT_EQ(chm[0].Num(ArgId::kFlags), 0);
  EXPECT_EQ(chm[0].res, 0);
  auto tr = WithStr(EventType::kTruncate, ArgId::kPath, path);
  ASSERT_EQ(tr.size(), 1u);
  EXPECT_EQ(tr[0].Num(ArgId::kLength), 3);
  auto ftr = WaitFor(*sensor_, [&](const Event& ev) {
    const Arg* a = ev.Find(ArgId::kFd);
    return ev.tgid == Me() && ev.type == EventType::kFtruncate && a && a->num == fd;
  });
  ASSERT_EQ(ftr.size(), 1u);
  EXPECT_EQ(ftr[0].Num(ArgId::kLength), 2);
  auto ut = WithStr(EventType::kUtimensat, ArgId::kPathname, path);
  ASSERT_EQ(ut.size(), 1u);
  EXPECT_EQ(ut[0].Num(ArgId::kFlags), AT_SYMLINK_NOFOLLOW);
  EXPECT_EQ(ut[0].res, 0);
  auto fut = WithStr(EventType::kFutimesat, ArgId::kPathname, path);
  ASSERT_EQ(fut.size(), 1u);
  EXPECT_EQ(fut[0].res, 0);
}

TEST_F(SensorBlind, SetxattrFamilyCarriesTheAttributeName) {
  const std::string path = MakeFile("caps.bin");
  ASSERT_EQ(setxattr(path.c_str(), "user.vigil_blind", "1", 1, 0), 0) << strerror(errno);
  ASSERT_EQ(lsetxattr(path.c_str(), "user.vigil_blind_l", "22", 2, 0), 0);
  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fsetxattr(fd, "user.vigil_blind_f", "333", 3, 0), 0);
  close(fd);
  // setcap's attribute: a garbage value is refused, the attempt is still reported.
  EXPECT_NE(setxattr(path.c_str(), "security.capability", "xx", 2, 0), 0);

  auto s = WithStr(EventType::kSetxattr, ArgId::kPath, path, 2);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].Str(ArgId::kName), "user.vigil_blind");
  EXPECT_EQ(s[0].Num(ArgId::kSize), 1);
  EXPECT_EQ(s[0].res, 0);
  EXPECT_EQ(s[1].Str(ArgId::kName), "security.capability");
  EXPECT_LT(s[1].res, 0);
  auto l = WithStr(EventType::kLsetxattr, ArgId::kPath, path);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].Str(ArgId::kName), "user.vigil_blind_l");
  auto f = WithStr(EventType::kFsetxattr, ArgId::kName, "user.vigil_blind_f");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].Num(ArgId::kFd), fd);
  EXPECT_EQ(f[0].Num(ArgId::kSize), 3);
}

TEST_F(SensorBlind, ProcessVmAndPidfdOnOwnChild) {
  static char buf[64] = "vigil-blind-memory";
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    for (;;) pause();
  }
  testing::Track(child);
  char local[64] = {};
  struct iovec liov = {local, sizeof(local)};
  struct iovec riov = {buf, sizeof(buf)};
  ssize_t rd = process_vm_readv(child, &liov, 1, &riov, 1, 0);
  ssize_t wr = process_vm_writev(child, &liov, 1, &riov, 1, 0);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  int stolen = pidfd >= 0 ? static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, 1, 0)) : -1;
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_EQ(rd, static_cast<ssize_t>(sizeof(buf)));
  ASSERT_EQ(wr, static_cast<ssize_t>(sizeof(buf)));
  ASSERT_GE(pidfd, 0) << strerror(errno);
  ASSERT_GE(stolen, 0) << strerror(errno);
  close(stolen);
  close(pidfd);

  auto of_child = [&](EventType t) {
    return WaitFor(*sensor_, [&](const Event& ev) {
      const Arg* a = ev.Find(ArgId::kPid);
      return ev.tgid == Me() && ev.type == t && a && a->num == child;
    });
  };
  auto r = of_child(EventType::kProcessVmReadv);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].res, rd);
  auto w = of_child(EventType::kProcessVmWritev);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].res, wr);
  auto po = of_child(EventType::kPidfdOpen);
  ASSERT_EQ(po.size(), 1u);
  EXPECT_EQ(po[0].res, pidfd);
  EXPECT_EQ(po[0].Num(ArgId::kFd), pidfd);
  auto pg = WaitFor(*sensor_, [&](const Event& ev) {
    const Arg* a = ev.Find(ArgId::kPidFd);
    return ev.tgid == Me() && ev.type == EventType::kPidfdGetfd && a && a->num == pidfd;
  });
  ASSERT_EQ(pg.size(), 1u);
  EXPECT_EQ(pg[0].res, stolen);
  EXPECT_EQ(pg[0].Num(ArgId::kTargetFd), 1);
  EXPECT_EQ(pg[0].Num(ArgId::kTargetPid), child);  // resolved from the pidfd in the kernel
}

TEST_F(SensorBlind, FcntlDupfdIsReportedAsDupOtherCommandsAreNot) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  // F_GETFD on this socket is filtered out in the kernel; F_DUPFD(_CLOEXEC) are dups.
  ASSERT_GE(fcntl(s, F_GETFD), 0);
  int d1 = fcntl(s, F_DUPFD, 700);
  int d2 = fcntl(s, F_DUPFD_CLOEXEC, 800);
  ASSERT_GE(d1, 700);
  ASSERT_GE(d2, 800);
  close(d1);
  close(d2);
  close(s);
  auto dups = WaitFor(*sensor_, [&](const Event& ev) {
    const Arg* a = ev.Find(ArgId::kOldfd);
    return ev.tgid == Me() && ev.type == EventType::kDup && a && a->num == s &&
           ev.Find(ArgId::kCmd) != nullptr;
  }, 3, 2000);
  ASSERT_EQ(dups.size(), 2u);  // not 3: F_GETFD never left the kernel
  EXPECT_EQ(dups[0].res, d1);
  EXPECT_EQ(dups[0].Num(ArgId::kCmd), F_DUPFD);
  EXPECT_EQ(dups[1].res, d2);
  EXPECT_EQ(dups[1].Num(ArgId::kCmd), F_DUPFD_CLOEXEC);
  // the probe resolves the duplicated socket like dup's
  EXPECT_TRUE(dups[0].has_tuple);
  EXPECT_EQ(dups[0].tuple.family, AF_INET);
}

TEST_F(SensorBlind, MmapAndMprotectReportedOnlyWhenAddingExec) {
  // Unusual lengths mark this test's calls.
  const std::size_t kExecLen = 7 * 4096, kPlainLen = 11 * 4096, kProtLen = 13 * 4096;
  void* x = mmap(nullptr, kExecLen, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(x, MAP_FAILED);
  void* p = mmap(nullptr, kPlainLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  void* q = mmap(nullptr, kProtLen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(q, MAP_FAILED);
  ASSERT_EQ(mprotect(q, kProtLen, PROT_READ | PROT_EXEC), 0);
  // The library is opened through a symlinked directory: the mapping names the file the
  // kernel mapped, not the caller's path (and never the fd table's name).
  const std::string lib = MakeFile("lib.so");
  const std::string via = dir_ + "/via";
  ASSERT_EQ(symlink(dir_.c_str(), via.c_str()), 0);
  int fd = open((via + "/lib.so").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  void* f = mmap(nullptr, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
  ASSERT_NE(f, MAP_FAILED);
  munmap(x, kExecLen);
  munmap(p, kPlainLen);
  munmap(q, kProtLen);
  munmap(f, 4096);
  close(fd);

  auto with_len = [&](EventType t, std::size_t len, std::size_t want, int timeout) {
    return WaitFor(*sensor_, [&](const Event& ev) {
      const Arg* a = ev.Find(ArgId::kLength);
      return ev.tgid == Me() && ev.type == t && a && a->num == static_cast<int64_t>(len);
    }, want, timeout);
  };
  auto xm = with_len(EventType::kMmap, kExecLen, 1, 5000);
  ASSERT_EQ(xm.size(), 1u);
  EXPECT_EQ(xm[0].Num(ArgId::kProt), PROT_READ | PROT_EXEC);
  EXPECT_EQ(xm[0].Num(ArgId::kFd), -1);
  EXPECT_EQ(static_cast<uint64_t>(xm[0].res), reinterpret_cast<uint64_t>(x));
  auto xp = with_len(EventType::kMprotect, kProtLen, 1, 5000);
  ASSERT_EQ(xp.size(), 1u);
  EXPECT_EQ(xp[0].Num(ArgId::kProt), PROT_READ | PROT_EXEC);
  EXPECT_EQ(static_cast<uint64_t>(xp[0].Num(ArgId::kAddr)), reinterpret_cast<uint64_t>(q));
  auto fm = WaitFor(*sensor_, [&](const Event& ev) {
    const Arg* a = ev.Find(ArgId::kFd);
    return ev.tgid == Me() && ev.type == EventType::kMmap && a && a->num == fd;
  });
  ASSERT_EQ(fm.size(), 1u);
  EXPECT_EQ(fm[0].Str(ArgId::kName), lib);
  EXPECT_EQ(xm[0].Str(ArgId::kName), "") << "an anonymous mapping has no file";
  // the read-write mapping never left the kernel
  EXPECT_TRUE(with_len(EventType::kMmap, kPlainLen, 1, 300).empty());
}

}  // namespace
}  // namespace vigil
