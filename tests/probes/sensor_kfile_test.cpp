// Kernel tests: open-family events name the file the kernel opened (walked from the struct
// file behind the returned fd), not the caller's string: symlinked directories,
// /proc/self/root, chroot, dirfd, openat2, O_PATH reopens through /proc/self/fd/N, a thread
// racing on the path buffer, walks deeper than 64 components and longer than PATH_MAX
// (marked truncated, never cut into another valid path). The caller's string stays in
// raw_path (fd.nameraw). Every file lives in this test's own temp dir; risky actions (chroot)
// run in children it forked.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstring>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "sensor_harness.h"

namespace vigil {
namespace {

using testing::OwnedEvent;
using testing::RunChild;
using testing::WaitFor;

constexpr std::size_t kOpenTypes = 4;
bool IsOpen(EventType t) {
  const EventType types[kOpenTypes] = {EventType::kOpen, EventType::kOpenat, EventType::kOpenat2,
                                       EventType::kCreat};
  for (EventType x : types)
    if (t == x) return true;
  return false;
}

class SensorKernelFile : public ::testing::Test {
 protected:
  void SetUp() override {
    sensor_ = testing::SharedSensor();
    ASSERT_NE(sensor_, nullptr);
    dir_ = testing::MakeRealTempDir("/tmp/vigil-kfile-");
    ASSERT_FALSE(dir_.empty());
    ASSERT_EQ(mkdir((dir_ + "/real").c_str(), 0755), 0);
    secret_ = dir_ + "/real/secret";
    int fd = open(secret_.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "s", 1), 1);
    close(fd);
    struct stat st {};
    ASSERT_EQ(stat(secret_.c_str(), &st), 0);
    ino_ = st.st_ino;
    dev_ = st.st_dev;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  // The open events of `tgid` whose raw string is `raw`.
  std::vector<OwnedEvent> OpensWithRaw(uint32_t tgid, const std::string& raw, std::size_t want = 1) {
    return WaitFor(*sensor_, [&](const Event& ev) {
      return ev.tgid == tgid && IsOpen(ev.type) && ev.file_resolved && ev.raw_path == raw;
    }, want);
  }
  void ExpectSecret(const OwnedEvent& e, const std::string& raw) {
    EXPECT_EQ(e.Str(ArgId::kName), secret_) << "raw " << raw;
    EXPECT_EQ(e.raw_path, raw);
    EXPECT_EQ(static_cast<uint64_t>(e.Num(ArgId::kIno)), ino_);
    EXPECT_EQ(static_cast<uint64_t>(e.Num(ArgId::kDev)), dev_);
    EXPECT_FALSE(e.path_truncated);
    EXPECT_GE(e.res, 0);
  }
  static uint32_t Me() { return static_cast<uint32_t>(getpid()); }

  Sensor* sensor_ = nullptr;
  std::string dir_, secret_;
  uint64_t ino_ = 0, dev_ = 0;
};

TEST_F(SensorKernelFile, SymlinkedDirectoryAndProcSelfRootNameTheRealFile) {
  ASSERT_EQ(symlink((dir_ + "/real").c_str(), (dir_ + "/alias").c_str()), 0);
  const std::string via_link = dir_ + "/alias/secret";
  const std::string via_root = "/proc/self/root" + dir_ + "/real/../alias/secret";
  for (const std::string& p : {via_link, via_root}) {
    int fd = open(p.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0) << p;
    close(fd);
  }
  for (const std::string& p : {via_link, via_root}) {
    auto evs = OpensWithRaw(Me(), p);
    ASSERT_EQ(evs.size(), 1u) << p;
    ExpectSecret(evs[0], p);
  }
}

TEST_F(SensorKernelFile, DirfdOpenat2AndOPathReopenNameTheRealFile) {
  int dfd = open((dir_ + "/real").c_str(), O_PATH | O_DIRECTORY);
  ASSERT_GE(dfd, 0);
  int fd = openat(dfd, "secret", O_RDONLY);
  ASSERT_GE(fd, 0);
  close(fd);
  open_how how{};
  how.flags = O_RDONLY;
  how.resolve = RESOLVE_NO_MAGICLINKS;
  fd = static_cast<int>(syscall(SYS_openat2, dfd, "./secret", &how, sizeof how));
  ASSERT_GE(fd, 0);
  close(fd);
  int opath = openat(dfd, "secret", O_PATH);
  ASSERT_GE(opath, 0);
  const std::string reopen = "/proc/self/fd/" + std::to_string(opath);
  fd = open(reopen.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  close(fd);
  close(opath);
  close(dfd);
  auto a = OpensWithRaw(Me(), "secret", 2);  // openat(dfd) and the O_PATH open
  ASSERT_EQ(a.size(), 2u);
  for (const auto& e : a) ExpectSecret(e, "secret");
  auto b = OpensWithRaw(Me(), "./secret");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].type, EventType::kOpenat2);
  ExpectSecret(b[0], "./secret");
  auto c = OpensWithRaw(Me(), reopen);
  ASSERT_EQ(c.size(), 1u);
  ExpectSecret(c[0], reopen);
}

TEST_F(SensorKernelFile, ChrootedOpenNamesThePathFromTheRealRoot) {
  int status = 0;
  const std::string root = dir_;
  pid_t child = RunChild([&] {
    if (chroot(root.c_str()) != 0 || chdir("/") != 0) return 1;
    int fd = open("/real/secret", O_RDONLY);
    return fd >= 0 ? 0 : 2;
  }, &status);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  auto evs = OpensWithRaw(static_cast<uint32_t>(child), "/real/secret");
  ASSERT_EQ(evs.size(), 1u);
  ExpectSecret(evs[0], "/real/secret");
}

// Name-only calls (no file to walk at exit) by a chrooted process: the absolute string is
// under the task's root, which the probe walks in the kernel (VIGIL_SYS_ROOTED), so the
// event names the real path, "..", even above the chroot's root, stays under it. Also a
// failed open (no file either) and both names of a rename.
TEST_F(SensorKernelFile, ChrootedNameOnlyCallsNameThePathFromTheRealRoot) {
  int status = 0;
  const std::string root = dir_;
  pid_t child = RunChild([&] {
    if (chroot(root.c_str()) != 0 || chdir("/") != 0) return 1;
    if (syscall(SYS_mkdir, "/real/made", 0700) != 0) return 2;
    if (syscall(SYS_fchmodat, AT_FDCWD, "/real/../../../real/secret", 0640) != 0) return 3;
    if (syscall(SYS_rename, "/real/made", "/real/moved") != 0) return 4;      // rename
    if (open("/real/missing", O_RDONLY) >= 0) return 5;                       // failed openat
    if (syscall(SYS_rmdir, "/real/moved") != 0) return 6;                     // rmdir
    return 0;
  }, &status);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const auto pid = static_cast<uint32_t>(child);
  auto one = [&](EventType type, ArgId id, const std::string& want) {
    auto evs = WaitFor(*sensor_, [&](const Event& ev) {
      const Arg* a = ev.Find(id);
      return ev.tgid == pid && ev.type == type && a && a->is_str && a->str == want;
    });
    EXPECT_EQ(evs.size(), 1u) << EventTypeName(type) << " " << want;
  };
  one(EventType::kMkdir, ArgId::kPath, dir_ + "/real/made");
  one(EventType::kFchmodat, ArgId::kFilename, dir_ + "/real/secret");
  one(EventType::kRename, ArgId::kOldpath, dir_ + "/real/made");
  one(EventType::kRename, ArgId::kNewpath, dir_ + "/real/moved");
  one(EventType::kOpenat, ArgId::kName, dir_ + "/real/missing");
  one(EventType::kRmdir, ArgId::kPath, dir_ + "/real/moved");
}

TEST_F(SensorKernelFile, FailedOpenKeepsTheCallersStringUnresolved) {
  const std::string missing = dir_ + "/real/missing";
  ASSERT_LT(open(missing.c_str(), O_RDONLY), 0);
  auto evs = WaitFor(*sensor_, [&](const Event& ev) {
    const Arg* a = ev.Find(ArgId::kName);
    return ev.tgid == Me() && IsOpen(ev.type) && a && a->str == missing;
  });
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_FALSE(evs[0].file_resolved);
  EXPECT_LT(evs[0].res, 0);
  EXPECT_EQ(evs[0].Num(ArgId::kIno), INT64_MIN);  // no such argument
}

TEST_F(SensorKernelFile, RacingThreadCannotChangeTheReportedPath) {
  // Two real files whose names differ in one byte; a thread flips that byte while this
  // thread opens 300 times. Each event must name the file the kernel really opened.
  const std::string a = dir_ + "/real/raceA", b = dir_ + "/real/raceB";
  for (const std::string& p : {a, b}) {
    int fd = open(p.c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  struct stat sa {}, sb {};
  ASSERT_EQ(stat(a.c_str(), &sa), 0);
  ASSERT_EQ(stat(b.c_str(), &sb), 0);
  static char buf[PATH_MAX];
  std::strcpy(buf, a.c_str());
  const std::size_t flip = a.size() - 1;
  std::atomic<bool> stop{false};
  std::thread racer([&] {
    volatile char* p = buf;
    while (!stop.load(std::memory_order_relaxed)) p[flip] = p[flip] == 'A' ? 'B' : 'A';
  });
  constexpr int kOpens = 300;
  int real_a = 0;
  for (int i = 0; i < kOpens; ++i) {
    int fd = open(buf, O_RDONLY);
    ASSERT_GE(fd, 0);
    struct stat st {};
    fstat(fd, &st);
    if (st.st_ino == sa.st_ino) ++real_a;
    close(fd);
  }
  stop = true;
  racer.join();
  const auto tid = static_cast<uint32_t>(syscall(SYS_gettid));
  auto evs = WaitFor(*sensor_, [&](const Event& ev) {
    const Arg* n = ev.Find(ArgId::kName);
    const Arg* fl = ev.Find(ArgId::kFlags);
    return ev.tid == tid && IsOpen(ev.type) && n && (n->str == a || n->str == b) && fl &&
           (fl->num & O_CREAT) == 0;
  }, kOpens);
  ASSERT_EQ(evs.size(), static_cast<std::size_t>(kOpens)) << "every real open is reported";
  int reported_a = 0;
  for (const auto& e : evs) {
    const std::string name = e.Str(ArgId::kName);
    const uint64_t ino = static_cast<uint64_t>(e.Num(ArgId::kIno));
    EXPECT_EQ(ino, name == a ? sa.st_ino : sb.st_ino) << "path and inode disagree: " << name;
    if (name == a) ++reported_a;
  }
  EXPECT_EQ(reported_a, real_a);
}

TEST_F(SensorKernelFile, WalksDeeperThan64ComponentsAndMarksPathsPastPathMax) {
  // 100 nested directories: deeper than the old 64-step walk.
  int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dfd, 0);
  std::string deep = dir_;
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(mkdirat(dfd, "d", 0755), 0);
    int next = openat(dfd, "d", O_RDONLY | O_DIRECTORY);
    ASSERT_GE(next, 0);
    close(dfd);
    dfd = next;
    deep += "/d";
  }
  int fd = openat(dfd, "deepfile", O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  // Then names of 250 bytes until the path is longer than PATH_MAX.
  const std::string longname(250, 'x');
  std::size_t len = deep.size();
  while (len < PATH_MAX + 300) {
    ASSERT_EQ(mkdirat(dfd, longname.c_str(), 0755), 0);
    int next = openat(dfd, longname.c_str(), O_RDONLY | O_DIRECTORY);
    ASSERT_GE(next, 0);
    close(dfd);
    dfd = next;
    len += 1 + longname.size();
  }
  fd = openat(dfd, "toolong", O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  close(dfd);

  auto d = OpensWithRaw(Me(), "deepfile");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].Str(ArgId::kName), deep + "/deepfile");
  EXPECT_FALSE(d[0].path_truncated);
  auto t = OpensWithRaw(Me(), "toolong");
  ASSERT_EQ(t.size(), 1u);
  EXPECT_TRUE(t[0].path_truncated);
  const std::string name = t[0].Str(ArgId::kName);
  EXPECT_NE(name.front(), '/') << "a cut walk must not read as an absolute path: " << name;
  EXPECT_EQ(name.rfind("<truncated>", 0), 0u) << name;
  EXPECT_EQ(name.substr(name.size() - 8), "/toolong");
}

}  // namespace
}  // namespace vigil
