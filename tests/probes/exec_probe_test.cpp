// Kernel tests: process life cycle through the Sensor API (exec, fork/clone, exit, fileless
// exec from a memfd), the raw_tp fallback, the daemon's own tgid exclusion and live interest
// updates. Each test matches only its own children / unique markers.
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sensor_harness.h"

namespace vigil {
namespace {

using testing::OwnedEvent;
using testing::RunChild;
using testing::WaitFor;

void ExpectExecOfChild(Sensor& sensor) {
  int status = 0;
  pid_t child = RunChild(
      [] {
        execl("/bin/true", "true", "vigil-exec-probe-marker", "second arg",
              static_cast<char*>(nullptr));
        return 127;
      },
      &status);
  ASSERT_GT(child, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto evs = WaitFor(sensor, [&](const Event& ev) {
    return ev.type == EventType::kExecve && ev.tgid == static_cast<uint32_t>(child);
  });
  ASSERT_EQ(evs.size(), 1u) << "no exec event for child " << child;
  const OwnedEvent& e = evs[0];
  ASSERT_TRUE(e.has_exec);
  EXPECT_EQ(e.res, 0);
  EXPECT_EQ(e.filename, "/bin/true");
  char real[PATH_MAX];
  ASSERT_NE(realpath("/bin/true", real), nullptr);
  EXPECT_EQ(e.exepath, real);
  EXPECT_EQ(e.comm, "true");
  EXPECT_EQ(e.argv, std::string("true\0vigil-exec-probe-marker\0second arg", 39));
  char cwd[PATH_MAX];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  EXPECT_EQ(e.cwd, cwd);
  EXPECT_EQ(e.exec.ppid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(e.exec.uid, getuid());
  EXPECT_EQ(e.exec.euid, geteuid());
  EXPECT_EQ(e.exec.sid, static_cast<uint32_t>(getsid(0)));
  struct stat st {};
  ASSERT_EQ(stat(real, &st), 0);
  EXPECT_EQ(e.exec.exe_ino, st.st_ino);
  EXPECT_FALSE(e.exec.exe_from_memfd);
  EXPECT_FALSE(e.cgroup.empty());
  EXPECT_EQ(e.cgroup.front(), '/');
  // wall clock: within a minute of now
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  int64_t now_ns = now.tv_sec * 1000000000LL + now.tv_nsec;
  EXPECT_LT(std::llabs(now_ns - static_cast<int64_t>(e.ts_ns)), 60LL * 1000000000LL);
}

TEST(SensorProcess, ExecCarriesImageArgvCwdAndIds) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  EXPECT_EQ(sensor->hook_mode(), "tp_btf");
  ExpectExecOfChild(*sensor);
}

// Issue 12: argv and envp come from the new mm at sched_process_exec. The environment is read
// only while the env switch is on (a rule reads proc.env); argv is kept up to 64 KiB, and
// a longer one is flagged and counted, never cut silently.
pid_t ExecTrueWith(const std::vector<std::string>& args, const std::vector<std::string>& env) {
  int status = 0;
  pid_t child = RunChild(
      [&] {
        std::vector<char*> argv, envp;
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
        envp.push_back(nullptr);
        execve("/bin/true", argv.data(), envp.data());
        return 127;
      },
      &status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  return child;
}

std::vector<OwnedEvent> ExecsOf(Sensor& sensor, pid_t child) {
  return WaitFor(sensor, [&](const Event& ev) {
    return ev.type == EventType::kExecve && ev.tgid == static_cast<uint32_t>(child);
  });
}

TEST(SensorProcess, EnvironmentIsReadOnlyWhileSwitchedOn) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  const std::string mark = "VIGIL_ENV_MARK=" + std::to_string(getpid());
  const std::vector<std::string> env{mark, "GLIBC_TUNABLES=glibc.malloc.mxfast=0"};
  sensor->SetEnvCapture(true);
  pid_t on = ExecTrueWith({"true", "env-on"}, env);
  sensor->SetEnvCapture(false);
  pid_t off = ExecTrueWith({"true", "env-off"}, env);
  auto a = ExecsOf(*sensor, on);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(a[0].exec.env_captured);
  EXPECT_FALSE(a[0].exec.env_truncated);
  EXPECT_EQ(a[0].env, mark + '\0' + "GLIBC_TUNABLES=glibc.malloc.mxfast=0");
  EXPECT_EQ(a[0].argv, std::string("true\0env-on", 11));
  auto b = ExecsOf(*sensor, off);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_FALSE(b[0].exec.env_captured);
  EXPECT_EQ(b[0].env, "");
  EXPECT_EQ(b[0].argv, std::string("true\0env-off", 12));
}

TEST(SensorProcess, LongArgvIsKeptAndTruncationFlagged) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  // 40 KiB of padding before the argument that matters: all of it arrives.
  const std::string pad(40 * 1024, 'p');
  pid_t fits = ExecTrueWith({"true", pad, "--vigil-after-padding"}, {});
  auto a = ExecsOf(*sensor, fits);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_FALSE(a[0].exec.args_truncated);
  EXPECT_EQ(a[0].argv, "true" + std::string(1, '\0') + pad + '\0' + "--vigil-after-padding");
  // 100 KiB: the first 64 KiB - 1 bytes arrive, flagged and counted.
  const uint64_t truncated_before = sensor->Stats().truncated;
  const std::string big(100 * 1024, 'q');
  pid_t cut = ExecTrueWith({"true", big, "--vigil-lost"}, {});
  auto b = ExecsOf(*sensor, cut);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(b[0].exec.args_truncated);
  EXPECT_EQ(b[0].argv.size(), 65535u);
  EXPECT_EQ(b[0].argv.substr(0, 6), std::string("true\0q", 6));
  EXPECT_GT(sensor->Stats().truncated, truncated_before);
  // The environment has its own bound (32 KiB) and flag.
  sensor->SetEnvCapture(true);
  pid_t env_cut = ExecTrueWith({"true"}, {"VIGIL_BIG=" + std::string(40 * 1024, 'e')});
  sensor->SetEnvCapture(false);
  auto c = ExecsOf(*sensor, env_cut);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_TRUE(c[0].exec.env_truncated);
  EXPECT_FALSE(c[0].exec.args_truncated);
  EXPECT_EQ(c[0].env.size(), 32767u);
  EXPECT_EQ(c[0].env.substr(0, 11), "VIGIL_BIG=e");
}

TEST(SensorProcess, ForkReportsChildAndExitReportsCode) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  int status = 0;
  pid_t child = RunChild([] { return 7; }, &status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 7);
  const uint32_t me = static_cast<uint32_t>(getpid());
  const uint32_t kid = static_cast<uint32_t>(child);
  auto evs = WaitFor(*sensor, [&](const Event& ev) {
    return (ev.fork && ev.tgid == me && ev.fork->child_tgid == kid) ||
           (ev.type == EventType::kProcExit && ev.tgid == kid);
  }, 2);
  ASSERT_EQ(evs.size(), 2u);
  const OwnedEvent* fork_ev = nullptr;
  const OwnedEvent* exit_ev = nullptr;
  for (const auto& e : evs) (e.has_fork ? fork_ev : exit_ev) = &e;
  ASSERT_NE(fork_ev, nullptr);
  ASSERT_NE(exit_ev, nullptr);
  EXPECT_TRUE(fork_ev->type == EventType::kClone || fork_ev->type == EventType::kClone3 ||
              fork_ev->type == EventType::kFork);
  EXPECT_EQ(fork_ev->res, child);
  EXPECT_EQ(fork_ev->fork.child_tid, kid);
  EXPECT_EQ(fork_ev->fork.flags & CLONE_THREAD, 0u);
  EXPECT_EQ(exit_ev->exit_code, 7);
  EXPECT_EQ(exit_ev->tid, kid);
}

TEST(SensorProcess, MemfdExecIsFileless) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  int status = 0;
  pid_t child = RunChild(
      [] {
        int fd = memfd_create("vigil-memfd-marker", 0);
        if (fd < 0) return 10;
        int src = open("/bin/true", O_RDONLY);
        if (src < 0) return 11;
        char buf[65536];
        ssize_t n;
        while ((n = read(src, buf, sizeof(buf))) > 0) {
          if (write(fd, buf, static_cast<size_t>(n)) != n) return 12;
        }
        close(src);
        char arg0[] = "memfd-true";
        char* argv[] = {arg0, nullptr};
        char* envp[] = {nullptr};
        fexecve(fd, argv, envp);
        return 13;
      },
      &status);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  const uint32_t kid = static_cast<uint32_t>(child);
  auto evs = WaitFor(*sensor, [&](const Event& ev) {
    return ev.tgid == kid &&
           (ev.type == EventType::kMemfdCreate || ev.type == EventType::kExecveat ||
            ev.type == EventType::kExecve);
  }, 2);
  ASSERT_EQ(evs.size(), 2u);
  EXPECT_EQ(evs[0].type, EventType::kMemfdCreate);
  EXPECT_EQ(evs[0].Str(ArgId::kName), "vigil-memfd-marker");
  EXPECT_GE(evs[0].res, 0);
  EXPECT_EQ(evs[0].Num(ArgId::kFd), evs[0].res);
  EXPECT_EQ(evs[1].type, EventType::kExecveat) << evs[1].filename;
  ASSERT_TRUE(evs[1].has_exec);
  EXPECT_TRUE(evs[1].exec.exe_from_memfd);
  EXPECT_EQ(evs[1].argv, "memfd-true");
  EXPECT_NE(evs[1].exepath.find("memfd:vigil-memfd-marker"), std::string::npos) << evs[1].exepath;
}

// Execs from an overlay mount made in a private mount namespace: a binary written through
// the merged view lives in the upper layer, one only in the lower layer does not.
TEST(SensorProcess, OverlayUpperLayerExecIsFlagged) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  char tmpl[] = "/tmp/vigil-ovl-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  for (const char* d : {"/lower", "/upper", "/work", "/merged"}) {
    ASSERT_EQ(mkdir((root + d).c_str(), 0755), 0);
  }
  ASSERT_EQ(system(("cp /bin/true '" + root + "/lower/lowertrue'").c_str()), 0);
  auto run_in_overlay = [&](bool write_upper) {
    int status = 0;
    pid_t child = RunChild([&] {
      if (unshare(CLONE_NEWNS) != 0) return 20;
      if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 21;
      std::string opts = "lowerdir=" + root + "/lower,upperdir=" + root + "/upper,workdir=" +
                         root + "/work";
      if (mount("overlay", (root + "/merged").c_str(), "overlay", 0, opts.c_str()) != 0)
        return 22;
      std::string exe = root + "/merged/lowertrue";
      if (write_upper) {
        exe = root + "/merged/uppertrue";
        if (system(("cp /bin/true '" + exe + "'").c_str()) != 0) return 23;
      }
      execl(exe.c_str(), "ovltrue", static_cast<char*>(nullptr));
      return 24;
    }, &status);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
    auto evs = WaitFor(*sensor, [&](const Event& ev) {
      return ev.exec && ev.tgid == static_cast<uint32_t>(child) &&
             ev.exec->args == "ovltrue";
    });
    EXPECT_EQ(evs.size(), 1u);
    return evs.empty() ? -1 : static_cast<int>(evs[0].exec.exe_upper_layer);
  };
  EXPECT_EQ(run_in_overlay(true), 1);
  EXPECT_EQ(run_in_overlay(false), 0);
  ASSERT_EQ(system(("rm -rf '" + root + "'").c_str()), 0);
}

TEST(SensorProcess, RawTracepointFallbackWorks) {
  SensorOptions o = testing::TestOptions();
  o.hook_mode = "raw_tp";
  std::string error;
  auto sensor = Sensor::Open(o, &error);
  ASSERT_NE(sensor, nullptr) << error;
  EXPECT_EQ(sensor->hook_mode(), "raw_tp");
  ExpectExecOfChild(*sensor);
}

TEST(SensorProcess, OwnTgidIsNeverTraced) {
  SensorOptions o = testing::TestOptions();
  o.self_tgid = static_cast<uint32_t>(getpid());
  std::string error;
  auto sensor = Sensor::Open(o, &error);
  ASSERT_NE(sensor, nullptr) << error;
  const std::string marker = "/vigil-self-marker-" + std::to_string(getpid());
  // Both the parent and a child try to open the same missing path.
  EXPECT_LT(open(marker.c_str(), O_RDONLY), 0);
  int status = 0;
  pid_t child = RunChild([&] { return open(marker.c_str(), O_RDONLY) < 0 ? 0 : 1; }, &status);
  auto evs = WaitFor(*sensor, [&](const Event& ev) {
    const Arg* a = ev.Find(ArgId::kName);
    return ev.type == EventType::kOpenat && a && a->str == marker;
  }, 2, 1500);
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].tgid, static_cast<uint32_t>(child));
}

TEST(SensorProcess, InterestUpdatesLive) {
  SensorOptions o = testing::TestOptions();
  o.interest.reset();
  o.interest.set(static_cast<std::size_t>(EventType::kMkdirat));
  o.interest.set(static_cast<std::size_t>(EventType::kMkdir));
  std::string error;
  auto sensor = Sensor::Open(o, &error);
  ASSERT_NE(sensor, nullptr) << error;
  const std::string marker = "/vigil-interest-marker-" + std::to_string(getpid());
  auto is_marker_open = [&](const Event& ev) {
    const Arg* a = ev.Find(ArgId::kName);
    return ev.tgid == static_cast<uint32_t>(getpid()) && ev.type == EventType::kOpenat && a &&
           a->str == marker;
  };
  EXPECT_LT(open(marker.c_str(), O_RDONLY), 0);
  EXPECT_TRUE(WaitFor(*sensor, is_marker_open, 1, 300).empty());
  auto all = o.interest;
  all.set(static_cast<std::size_t>(EventType::kOpenat));
  sensor->SetInterest(all);
  EXPECT_LT(open(marker.c_str(), O_RDONLY), 0);
  EXPECT_EQ(WaitFor(*sensor, is_marker_open, 1, 3000).size(), 1u);
}

TEST(SensorProcess, ArgsCapturedAtEnterMatchExit) {
  SensorOptions o = testing::TestOptions();
  o.capture_args_at_enter = true;
  o.interest.reset();
  o.interest.set(static_cast<std::size_t>(EventType::kOpenat));
  std::string error;
  auto sensor = Sensor::Open(o, &error);
  ASSERT_NE(sensor, nullptr) << error;
  const std::string marker = "/vigil-enter-marker-" + std::to_string(getpid());
  EXPECT_LT(open(marker.c_str(), O_RDONLY | O_CLOEXEC), 0);
  auto evs = WaitFor(*sensor, [&](const Event& ev) {
    const Arg* a = ev.Find(ArgId::kName);
    return ev.type == EventType::kOpenat && a && a->str == marker;
  });
  ASSERT_EQ(evs.size(), 1u);
  EXPECT_EQ(evs[0].res, -ENOENT);
  EXPECT_EQ(evs[0].Num(ArgId::kFlags), O_RDONLY | O_CLOEXEC);
  EXPECT_EQ(evs[0].Num(ArgId::kDirfd), AT_FDCWD);
}

}  // namespace
}  // namespace vigil
