// Kernel tests: file syscalls decoded with absolute paths (absolute, dirfd-relative and
// cwd-relative), flags, modes and results. Every path lives in this test's own temp dir.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <string>

#include <gtest/gtest.h>

#include "sensor_harness.h"

namespace vigil {
namespace {

using testing::OwnedEvent;
using testing::RunChild;
using testing::WaitFor;

class SensorFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    sensor_ = testing::SharedSensor();
    ASSERT_NE(sensor_, nullptr);
    dir_ = testing::MakeRealTempDir("/tmp/vigil-files-");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }
  std::vector<OwnedEvent> Mine(std::initializer_list<EventType> types, std::size_t want,
                               uint32_t tgid = 0) {
    const uint32_t who = tgid ? tgid : static_cast<uint32_t>(getpid());
    const std::string prefix = dir_ + "/";
    return WaitFor(*sensor_, [&](const Event& ev) {
      if (ev.tgid != who) return false;
      bool in_dir = false;
      for (uint8_t i = 0; i < ev.nargs; ++i)
        if (ev.args[i].is_str && ev.args[i].str.substr(0, prefix.size()) == prefix) in_dir = true;
      if (!in_dir) return false;
      for (EventType t : types)
        if (ev.type == t) return true;
      return false;
    }, want);
  }
  Sensor* sensor_ = nullptr;
  std::string dir_;
};

TEST_F(SensorFiles, OpenCreateReportsAbsolutePathFlagsModeAndFd) {
  testing::Drain(*sensor_);
  const std::string path = dir_ + "/created.txt";
  int fd = open(path.c_str(), O_CREAT | O_WRONLY | O_EXCL, 0640);
  ASSERT_GE(fd, 0);
  close(fd);
  auto evs = Mine({EventType::kOpenat, EventType::kOpen}, 1);
  // skip opens of other files by this process
  ASSERT_FALSE(evs.empty());
  const OwnedEvent* e = nullptr;
  for (const auto& x : evs)
    if (x.Str(ArgId::kName) == path) e = &x;
  if (e == nullptr) {
    evs = WaitFor(*sensor_, [&](const Event& ev) {
      const Arg* a = ev.Find(ArgId::kName);
      return ev.tgid == static_cast<uint32_t>(getpid()) && a && a->str == path;
    });
    ASSERT_EQ(evs.size(), 1u);
    e = &evs[0];
  }
  EXPECT_EQ(e->res, fd);
  EXPECT_EQ(e->Num(ArgId::kFd), fd);
  EXPECT_EQ(e->Num(ArgId::kFlags) & (O_CREAT | O_WRONLY | O_EXCL), O_CREAT | O_WRONLY | O_EXCL);
  EXPECT_EQ(e->Num(ArgId::kMode), 0640);
  EXPECT_EQ(e->Num(ArgId::kDirfd), AT_FDCWD);
}

TEST_F(SensorFiles, DirfdAndCwdRelativePathsAreResolved) {
  int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dfd, 0);
  int fd = openat(dfd, "./viadirfd", O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  close(dfd);
  int status = 0;
  std::string d = dir_;
  pid_t child = RunChild([&] {
    if (chdir(d.c_str()) != 0) return 1;
    int f = open("viacwd", O_CREAT | O_RDWR, 0600);
    return f >= 0 ? 0 : 2;
  }, &status);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  const std::string want_dirfd = dir_ + "/viadirfd";
  const std::string want_cwd = dir_ + "/viacwd";
  auto evs = WaitFor(*sensor_, [&](const Event& ev) {
    const Arg* a = ev.Find(ArgId::kName);
    return ev.type == EventType::kOpenat && a &&
           ((ev.tgid == static_cast<uint32_t>(getpid()) && a->str == want_dirfd) ||
            (ev.tgid == static_cast<uint32_t>(child) && a->str == want_cwd));
  }, 2);
  ASSERT_EQ(evs.size(), 2u) << "relative paths were not resolved to " << want_dirfd << " / "
                            << want_cwd;
}

TEST_F(SensorFiles, RenameUnlinkMkdirSymlinkChmodAreDecoded) {
  const std::string a = dir_ + "/a", b = dir_ + "/b", sub = dir_ + "/subdir",
                    link = dir_ + "/link";
  int fd = open(a.c_str(), O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  ASSERT_EQ(rename(a.c_str(), b.c_str()), 0);
  ASSERT_EQ(mkdir(sub.c_str(), 0750), 0);
  ASSERT_EQ(symlink("b", link.c_str()), 0);
  ASSERT_EQ(chmod(b.c_str(), 0604), 0);
  ASSERT_EQ(unlink(link.c_str()), 0);
  ASSERT_EQ(rmdir(sub.c_str()), 0);
  ASSERT_NE(unlink((dir_ + "/missing").c_str()), 0);

  auto evs = Mine({EventType::kRename, EventType::kRenameat, EventType::kRenameat2,
                   EventType::kMkdir, EventType::kMkdirat, EventType::kSymlink,
                   EventType::kSymlinkat, EventType::kChmod, EventType::kFchmodat,
                   EventType::kUnlink, EventType::kUnlinkat, EventType::kRmdir},
                  7);
  ASSERT_EQ(evs.size(), 7u);
  const OwnedEvent& ren = evs[0];
  EXPECT_TRUE(ren.type == EventType::kRename || ren.type == EventType::kRenameat2);
  EXPECT_EQ(ren.Str(ArgId::kOldpath), a);
  EXPECT_EQ(ren.Str(ArgId::kNewpath), b);
  EXPECT_EQ(ren.res, 0);
  EXPECT_TRUE(evs[1].type == EventType::kMkdir || evs[1].type == EventType::kMkdirat);
  EXPECT_EQ(evs[1].Str(ArgId::kPath), sub);
  EXPECT_EQ(evs[1].Num(ArgId::kMode), 0750);
  EXPECT_TRUE(evs[2].type == EventType::kSymlink || evs[2].type == EventType::kSymlinkat);
  EXPECT_EQ(evs[2].Str(ArgId::kTarget), "b");
  EXPECT_EQ(evs[2].Str(ArgId::kLinkpath), link);
  EXPECT_TRUE(evs[3].type == EventType::kChmod || evs[3].type == EventType::kFchmodat);
  EXPECT_EQ(evs[3].Str(ArgId::kFilename), b);
  EXPECT_EQ(evs[3].Num(ArgId::kMode), 0604);
  EXPECT_EQ(evs[4].type, EventType::kUnlink);
  EXPECT_EQ(evs[4].Str(ArgId::kPath), link);
  EXPECT_EQ(evs[5].type, EventType::kRmdir);
  EXPECT_EQ(evs[5].Str(ArgId::kPath), sub);
  EXPECT_EQ(evs[6].res, -ENOENT);
  EXPECT_EQ(evs[6].Str(ArgId::kPath), dir_ + "/missing");
}

TEST_F(SensorFiles, AtVariantsCarryDirfdAndResolvedPaths) {
  int dfd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(dfd, 0);
  ASSERT_EQ(mkdirat(dfd, "d1", 0700), 0);
  ASSERT_EQ(syscall(SYS_renameat2, dfd, "d1", dfd, "d2", 0), 0);
  ASSERT_EQ(symlinkat("/etc/hostname", dfd, "ln"), 0);
  ASSERT_EQ(linkat(AT_FDCWD, "/proc/self/exe", dfd, "hard", AT_SYMLINK_FOLLOW) == 0 ||
                errno == EXDEV,
            true);
  ASSERT_EQ(unlinkat(dfd, "d2", AT_REMOVEDIR), 0);
  close(dfd);
  auto evs = Mine({EventType::kMkdirat, EventType::kRenameat2, EventType::kSymlinkat,
                   EventType::kLinkat, EventType::kUnlinkat},
                  5);
  ASSERT_EQ(evs.size(), 5u);
  EXPECT_EQ(evs[0].Num(ArgId::kDirfd), dfd);
  EXPECT_EQ(evs[0].Str(ArgId::kPath), dir_ + "/d1");
  EXPECT_EQ(evs[1].Str(ArgId::kOldpath), dir_ + "/d1");
  EXPECT_EQ(evs[1].Str(ArgId::kNewpath), dir_ + "/d2");
  EXPECT_EQ(evs[1].Num(ArgId::kOlddirfd), dfd);
  EXPECT_EQ(evs[2].Str(ArgId::kTarget), "/etc/hostname");
  EXPECT_EQ(evs[2].Num(ArgId::kLinkdirfd), dfd);
  EXPECT_EQ(evs[2].Str(ArgId::kLinkpath), dir_ + "/ln");
  EXPECT_EQ(evs[3].Str(ArgId::kOldpath), "/proc/self/exe");
  EXPECT_EQ(evs[3].Str(ArgId::kNewpath), dir_ + "/hard");
  EXPECT_EQ(evs[3].Num(ArgId::kFlags), AT_SYMLINK_FOLLOW);
  EXPECT_EQ(evs[4].Str(ArgId::kName), dir_ + "/d2");
  EXPECT_EQ(evs[4].Num(ArgId::kFlags), AT_REMOVEDIR);
}

}  // namespace
}  // namespace vigil
