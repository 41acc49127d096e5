// Kernel suite (issue 7): the real daemon (`vigil run`) under faults and hostile input —
// tamper attempts by a test child, control characters in file names, SIGHUP storms, a
// deleted and a full output file, a ring buffer overflow. Every test starts its own daemon
// with a private temp config and matches only its own children / unique markers.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>


#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../support/daemon_metrics.h"
#include "../support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::MetricValue;
using testing::ReadFile;
using testing::ReadJsonLines;
using testing::RunChild;
using testing::TempDir;
using testing::UniqueMarker;
using testing::VigilProcess;
using testing::WaitUntil;

std::string ExecMarkerRule(const std::string& name, const std::string& marker) {
  return "- rule: " + name +
         "\n  desc: test rule\n"
         "  condition: evt.type in (execve, execveat) and proc.args contains \"" + marker + "\"\n"
         "  output: marker exec (cmdline=%proc.cmdline pid=%proc.pid)\n"
         "  priority: WARNING\n";
}

// An alert of `rule` by pid (any pid when pid < 0).
bool HasAlert(const std::vector<nlohmann::json>& alerts, const std::string& rule, pid_t pid) {
  if (pid >= 0) return testing::FindAlert(alerts, rule, pid) != nullptr;
  for (const auto& a : alerts)
    if (a.value("rule", "") == rule) return true;
  return false;
}

long VmRssKb(pid_t pid) {
  std::istringstream in(ReadFile("/proc/" + std::to_string(pid) + "/status"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Runs `body` in a forked child and waits for it; returns the child's pid.
template <typename Body>
pid_t RunInChild(Body body) {
  pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return pid;
}

class ReliabilityE2E : public ::testing::Test {
 protected:
  std::string Config(const std::string& rules, const std::string& file_path,
                     const std::string& extra_outputs = "", int ring_mb = 8) {
    return "rules_files: [" + rules + "]\n"
           "metrics: {enabled: true, port: 0}\n"
           "sensor: {ring_buffer_mb: " + std::to_string(ring_mb) + "}\n"
           "outputs:\n"
           "  stdout: {enabled: false}\n"
           "  file: {enabled: true, path: " + file_path + "}\n" + extra_outputs;
  }
  void Start(const std::string& config_text) {
    config_path_ = dir_.Write("vigil.yaml", config_text);
    vigil_ = std::make_unique<VigilProcess>(
        std::vector<std::string>{"run", "-c", config_path_}, dir_.path() + "/vigil.log");
    ASSERT_TRUE(vigil_->WaitForLog("probes attached", 60s)) << vigil_->Log();
  }
  // Execs /bin/true with the marker until an alert for it lands in `path`.
  bool ExecUntilAlert(const std::string& rule, const std::string& marker, const std::string& path,
                      std::chrono::milliseconds timeout) {
    return WaitUntil(
        [&] {
          int status = 0;
          pid_t pid = RunChild({"/bin/true", marker}, &status);
          return WaitUntil([&] { return HasAlert(ReadJsonLines(path), rule, pid); }, 1500ms);
        },
        timeout);
  }
  std::string Metrics() const { return testing::ScrapeMetrics(*vigil_); }

  TempDir dir_;
  std::string config_path_;
  std::unique_ptr<VigilProcess> vigil_;
};

// A child ptrace-attaches to the daemon this test started, sends it SIGUSR1 (reopen:
// harmless) and opens its config for writing: each raises its tamper alert naming the child.
TEST_F(ReliabilityE2E, TamperAttemptsByChildRaiseSelfProtectionAlerts) {
  std::string marker = UniqueMarker("vigil-rel-tamper");
  std::string rules = dir_.Write("rules.yaml", ExecMarkerRule("Rel Tamper Marker", marker));
  std::string alerts_path = dir_.path() + "/alerts.jsonl";
  Start(Config(rules, alerts_path));
  ASSERT_TRUE(ExecUntilAlert("Rel Tamper Marker", marker, alerts_path, 15s)) << vigil_->Log();
  const pid_t daemon_pid = vigil_->pid();
  const std::string config = config_path_;
  pid_t child = RunInChild([&] {
    // PTRACE_SEIZE does not stop the tracee; the child's exit detaches it.
    if (ptrace(PTRACE_SEIZE, daemon_pid, nullptr, nullptr) != 0) _exit(2);
    kill(daemon_pid, SIGUSR1);
    int fd = open(config.c_str(), O_WRONLY | O_APPEND);
    if (fd >= 0) close(fd);
  });
  bool all = WaitUntil(
      [&] {
        auto a = ReadJsonLines(alerts_path);
        return HasAlert(a, "vigil tampering: daemon traced", child) &&
               HasAlert(a, "vigil tampering: signal sent to daemon", child) &&
               HasAlert(a, "vigil tampering: configuration, rules or binary modified", child);
      },
      15s);
  auto a = ReadJsonLines(alerts_path);
  EXPECT_TRUE(HasAlert(a, "vigil tampering: daemon traced", child)) << ReadFile(alerts_path);
  EXPECT_TRUE(HasAlert(a, "vigil tampering: signal sent to daemon", child));
  EXPECT_TRUE(HasAlert(a, "vigil tampering: configuration, rules or binary modified", child));
  EXPECT_TRUE(all);
  EXPECT_TRUE(vigil_->Running());
  EXPECT_EQ(vigil_->Stop(), 0) << vigil_->Log();
}

// A real file whose name holds a newline, a forged alert line and an ESC sequence: the JSON
// file sink and a text-format program sink keep one alert per line, no raw control bytes.
TEST_F(ReliabilityE2E, ControlCharactersInFileNamesAreEscapedInJsonAndText) {
  std::string marker = UniqueMarker("vigil-rel-esc");
  std::string rules = dir_.Write(
      "rules.yaml",
      "- rule: Rel Escape Open\n  desc: test\n"
      "  condition: evt.type in (open, openat, openat2) and fd.name contains \"" + marker + "\"\n"
      "  output: opened %fd.name by %proc.name (pid=%proc.pid)\n  priority: WARNING\n");
  std::string alerts_path = dir_.path() + "/alerts.jsonl";
  std::string text_path = dir_.path() + "/text.log";
  Start(Config(rules, alerts_path,
               "  program: {enabled: true, format: text, command: [/usr/bin/dd, of=" + text_path +
                   ", bs=65536, oflag=append, conv=notrunc, status=none]}\n"));
  const std::string forged = "\n{\"rule\":\"FORGED\",\"priority\":\"Critical\"}\x1b[2J\r\x07";
  const std::string name = dir_.path() + "/" + marker + forged;
  pid_t child = -1;
  bool seen = WaitUntil(
      [&] {
        child = RunInChild([&] {
          int fd = open(name.c_str(), O_CREAT | O_WRONLY, 0600);
          if (fd >= 0) close(fd);
        });
        return WaitUntil(
            [&] {
              return HasAlert(ReadJsonLines(alerts_path), "Rel Escape Open", child) &&
                     ReadFile(text_path).find(marker) != std::string::npos;
            },
            2s);
      },
      20s);
  ASSERT_TRUE(seen) << vigil_->Log();
  EXPECT_EQ(vigil_->Stop(), 0);
  for (const std::string& path : {alerts_path, text_path}) {
    std::string body = ReadFile(path);
    std::istringstream in(body);
    for (std::string line; std::getline(in, line);) {
      // The forged record may appear inside an escaped value, never as a line of its own.
      EXPECT_NE(line.rfind("{\"rule\":\"FORGED\"", 0), 0u) << path << ": " << line;
      if (path == alerts_path) {
        EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
      }
    }
    for (char c : body) {
      unsigned char u = static_cast<unsigned char>(c);
      EXPECT_FALSE(u < 0x20 && u != '\n') << path << " holds raw control byte " << int(u);
    }
  }
  // The JSON value decodes back to the exact name: escaped, not mangled.
  bool exact = false;
  for (const auto& a : ReadJsonLines(alerts_path)) {
    if (a.value("rule", "") == "Rel Escape Open" &&
        a["output_fields"].value("fd.name", "") == name)
      exact = true;
  }
  EXPECT_TRUE(exact) << ReadFile(alerts_path);
}

// 100 SIGHUPs in a burst: the daemon survives, reloads, keeps alerting, memory stays flat.
TEST_F(ReliabilityE2E, SighupStormDaemonSurvivesAndKeepsAlerting) {
  std::string marker = UniqueMarker("vigil-rel-hup");
  std::string rules = dir_.Write("rules.yaml", ExecMarkerRule("Rel Hup Marker", marker));
  std::string alerts_path = dir_.path() + "/alerts.jsonl";
  Start(Config(rules, alerts_path));
  ASSERT_TRUE(ExecUntilAlert("Rel Hup Marker", marker, alerts_path, 15s)) << vigil_->Log();
  // Warm-up storm, then measure across a second storm.
  for (int i = 0; i < 100; ++i) vigil_->Signal(SIGHUP);
  ASSERT_TRUE(WaitUntil([&] { return vigil_->Log().find("reload done") != std::string::npos; }, 20s));
  std::this_thread::sleep_for(2s);
  long rss_before = VmRssKb(vigil_->pid());
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 100; ++i) vigil_->Signal(SIGHUP);
    std::this_thread::sleep_for(1s);
  }
  std::this_thread::sleep_for(3s);
  ASSERT_TRUE(vigil_->Running()) << vigil_->Log();
  long rss_after = VmRssKb(vigil_->pid());
  ASSERT_GT(rss_before, 0);
  EXPECT_LT(rss_after, rss_before * 13 / 10 + 4096) << "VmRSS " << rss_before << " -> " << rss_after;
  ASSERT_TRUE(ExecUntilAlert("Rel Hup Marker", marker, alerts_path, 15s)) << vigil_->Log();
  EXPECT_EQ(vigil_->Stop(), 0) << vigil_->Log();
}

// The alert file is deleted: alerts keep reaching the other sink; SIGUSR1 recreates it.
TEST_F(ReliabilityE2E, DeletedAlertFileIsRecreatedOnSigusr1) {
  std::string marker = UniqueMarker("vigil-rel-del");
  std::string rules = dir_.Write("rules.yaml", ExecMarkerRule("Rel Deleted File", marker));
  std::string alerts_path = dir_.path() + "/alerts.jsonl";
  std::string other_path = dir_.path() + "/other.jsonl";
  Start(Config(rules, alerts_path,
               "  program: {enabled: true, command: [/usr/bin/dd, of=" + other_path +
                   ", bs=65536, oflag=append, conv=notrunc, status=none]}\n"));
  ASSERT_TRUE(ExecUntilAlert("Rel Deleted File", marker, alerts_path, 15s)) << vigil_->Log();
  ASSERT_EQ(unlink(alerts_path.c_str()), 0);
  ASSERT_TRUE(ExecUntilAlert("Rel Deleted File", marker, other_path, 15s)) << vigil_->Log();
  struct stat st {};
  EXPECT_NE(stat(alerts_path.c_str(), &st), 0);  // not recreated behind the admin's back
  vigil_->Signal(SIGUSR1);
  ASSERT_TRUE(WaitUntil([&] { return stat(alerts_path.c_str(), &st) == 0; }, 10s)) << vigil_->Log();
  EXPECT_TRUE(ExecUntilAlert("Rel Deleted File", marker, alerts_path, 15s)) << vigil_->Log();
  EXPECT_EQ(vigil_->Stop(), 0) << vigil_->Log();
}

// The alert file lives on a 64 KiB tmpfs that fills up: failures are counted, the daemon
// keeps running, the other sink keeps receiving alerts.
TEST_F(ReliabilityE2E, FullDiskAlertFileCountsFailuresOtherSinksContinue) {
  std::string marker = UniqueMarker("vigil-rel-full");
  std::string rules = dir_.Write("rules.yaml", ExecMarkerRule("Rel Full Disk", marker));
  std::string mnt = dir_.path() + "/small";
  ASSERT_EQ(mkdir(mnt.c_str(), 0700), 0);
  ASSERT_EQ(mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k"), 0) << strerror(errno);
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mnt};
  // Leave only a few KiB free.
  {
    std::string filler(60 * 1024, 'x');
    int fd = open((mnt + "/filler").c_str(), O_CREAT | O_WRONLY, 0600);
    ASSERT_GE(fd, 0);
    ssize_t w = write(fd, filler.data(), filler.size());
    (void)w;
    close(fd);
  }
  std::string alerts_path = mnt + "/alerts.jsonl";
  std::string other_path = dir_.path() + "/other.jsonl";
  Start(Config(rules, alerts_path,
               "  program: {enabled: true, command: [/usr/bin/dd, of=" + other_path +
                   ", bs=65536, oflag=append, conv=notrunc, status=none]}\n"));
  // Enough alerts (each ~400 bytes) to overflow the few KiB left.
  std::string long_marker = marker + std::string(2000, 'y');
  for (int i = 0; i < 40; ++i) {
    int status = 0;
    RunChild({"/bin/true", long_marker}, &status);
  }
  bool failed = WaitUntil(
      [&] {
        std::string m = Metrics();
        return m.find("vigil_sink_failed_total{sink=\"file\"} 0\n") == std::string::npos &&
               m.find("vigil_sink_failed_total{sink=\"file") != std::string::npos;
      },
      20s);
  EXPECT_TRUE(failed) << Metrics();
  ASSERT_TRUE(vigil_->Running()) << vigil_->Log();
  EXPECT_TRUE(ExecUntilAlert("Rel Full Disk", marker, other_path, 15s)) << vigil_->Log();
  // Space comes back, SIGUSR1: alerts reach the file again, each on a line of its own even
  // though the disk-full writes left a torn line at the end of the file.
  ASSERT_EQ(unlink((mnt + "/filler").c_str()), 0);
  vigil_->Signal(SIGUSR1);
  EXPECT_TRUE(ExecUntilAlert("Rel Full Disk", marker, alerts_path, 15s))
      << vigil_->Log() << "\n" << testing::ReadFile(alerts_path).substr(0, 2000);
  EXPECT_EQ(vigil_->Stop(), 0) << vigil_->Log();
}

// A 1 MiB ring, the daemon stopped (SIGSTOP by this test) while its own children storm
// open(): drops are counted in metrics, a "vigil: events dropped" alert is raised, and the
// daemon keeps detecting afterwards.
TEST_F(ReliabilityE2E, RingBufferOverflowCountsDropsAndAlerts) {
  std::string marker = UniqueMarker("vigil-rel-drop");
  std::string rules = dir_.Write(
      "rules.yaml",
      ExecMarkerRule("Rel Drop Marker", marker) +
          "- rule: Rel Drop Opens\n  desc: test\n"
          "  condition: evt.type in (open, openat) and fd.name contains \"" + marker + "-storm\"\n"
          "  output: storm open %fd.name\n  priority: DEBUG\n");
  std::string alerts_path = dir_.path() + "/alerts.jsonl";
  Start(Config(rules, alerts_path, "", 1));
  ASSERT_TRUE(ExecUntilAlert("Rel Drop Marker", marker, alerts_path, 15s)) << vigil_->Log();
  const std::string storm_path = dir_.path() + "/" + marker + "-storm";
  vigil_->Signal(SIGSTOP);
  std::vector<pid_t> kids;
  for (int k = 0; k < 2; ++k) {
    pid_t p = fork();
    if (p == 0) {
      for (int i = 0; i < 30000; ++i) {
        int fd = open(storm_path.c_str(), O_RDONLY);
        if (fd >= 0) close(fd);
      }
      _exit(0);
    }
    kids.push_back(p);
  }
  for (pid_t p : kids) waitpid(p, nullptr, 0);
  vigil_->Signal(SIGCONT);
  bool dropped = WaitUntil([&] { return MetricValue(Metrics(), "vigil_sensor_drops_total") > 0; }, 20s);
  EXPECT_TRUE(dropped) << Metrics();
  EXPECT_TRUE(WaitUntil([&] { return HasAlert(ReadJsonLines(alerts_path), "vigil: events dropped", -1); },
                        20s))
      << vigil_->Log();
  ASSERT_TRUE(vigil_->Running());
  EXPECT_TRUE(ExecUntilAlert("Rel Drop Marker", marker, alerts_path, 20s)) << vigil_->Log();
  EXPECT_EQ(vigil_->Stop(), 0) << vigil_->Log();
}

// Least exposure: a config or rules file writable by group/other makes the daemon refuse to
// start (exit status non-zero, a message naming the file); fixing the mode lets it start.
TEST_F(ReliabilityE2E, WorldWritableConfigOrRulesRefusedAtStart) {
  std::string marker = UniqueMarker("vigil-rel-perm");
  std::string rules = dir_.Write("rules.yaml", ExecMarkerRule("Rel Perm Marker", marker));
  std::string config = dir_.Write("vigil.yaml", Config(rules, dir_.path() + "/alerts.jsonl"));
  for (const std::string& victim : {config, rules}) {
    ASSERT_EQ(chmod(victim.c_str(), 0666), 0);
    VigilProcess v({"run", "-c", config}, dir_.path() + "/refused.log");
    EXPECT_TRUE(v.WaitForLog("refusing insecure file", 30s)) << v.Log();
    EXPECT_TRUE(WaitUntil([&] { return !v.Running(); }, 10s));
    EXPECT_NE(v.Log().find(victim), std::string::npos) << v.Log();
    EXPECT_EQ(v.Log().find("probes attached"), std::string::npos) << v.Log();
    ASSERT_EQ(chmod(victim.c_str(), 0600), 0);
  }
  config_path_ = config;
  vigil_ = std::make_unique<VigilProcess>(std::vector<std::string>{"run", "-c", config},
                                          dir_.path() + "/vigil.log");
  ASSERT_TRUE(vigil_->WaitForLog("probes attached", 60s)) << vigil_->Log();
  EXPECT_EQ(vigil_->Stop(), 0) << vigil_->Log();
}

// Process-table flood: a fork bomb inside a pids cgroup (v1 controller, pids.max=256) that
// this test creates; every process in it descends from the test. The daemon's VmRSS stays
// bounded and its process table shrinks back once the bomb is gone.
TEST_F(ReliabilityE2E, ForkBombInPidsCgroupKeepsDaemonMemoryBounded) {
  std::string marker = UniqueMarker("vigil-rel-bomb");
  std::string rules = dir_.Write("rules.yaml", ExecMarkerRule("Rel Bomb Marker", marker));
  std::string alerts_path = dir_.path() + "/alerts.jsonl";
  Start(Config(rules, alerts_path));
  ASSERT_TRUE(ExecUntilAlert("Rel Bomb Marker", marker, alerts_path, 15s)) << vigil_->Log();
  const std::string cg = "/sys/fs/cgroup/pids/" + marker;
  ASSERT_EQ(mkdir(cg.c_str(), 0700), 0) << strerror(errno);
  struct RemoveCgroup {
    std::string path;
    ~RemoveCgroup() { rmdir(path.c_str()); }
  } remove_cgroup{cg};
  {
    int fd = open((cg + "/pids.max").c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "256", 3), 3);
    close(fd);
  }
  std::this_thread::sleep_for(2s);
  long rss_before = VmRssKb(vigil_->pid());
  pid_t bomb = fork();
  if (bomb == 0) {
    int fd = open((cg + "/cgroup.procs").c_str(), O_WRONLY);
    if (fd < 0 || write(fd, "0", 1) != 1) _exit(3);
    close(fd);
    // Every process forks forever; short-lived leaves keep the pid churn high.
    for (;;) {
      pid_t p = fork();
      if (p == 0) {
        if (fork() == 0) _exit(0);
        continue;
      }
      if (p < 0) {
        usleep(1000);
        while (waitpid(-1, nullptr, WNOHANG) > 0) {
        }
      }
    }
  }
  ASSERT_GT(bomb, 0);
  std::this_thread::sleep_for(8s);
  // Stop the bomb: SIGKILL every process in the test's own cgroup until it is empty.
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::istringstream procs(ReadFile(cg + "/cgroup.procs"));
        bool any = false;
        for (std::string line; std::getline(procs, line);) {
          if (line.empty()) continue;
          any = true;
          kill(static_cast<pid_t>(std::stol(line)), SIGKILL);
        }
        while (waitpid(bomb, nullptr, WNOHANG) > 0) {
        }
        return !any;
      },
      30s));
  ASSERT_TRUE(vigil_->Running()) << vigil_->Log();
  long rss_after = VmRssKb(vigil_->pid());
  ASSERT_GT(rss_before, 0);
  EXPECT_LT(rss_after, rss_before + 64 * 1024) << "VmRSS " << rss_before << " -> " << rss_after;
  std::printf("fork bomb: daemon VmRSS %ld -> %ld kB\n", rss_before, rss_after);
  EXPECT_TRUE(WaitUntil([&] { return MetricValue(Metrics(), "vigil_processes") < 2000; }, 20s))
      << Metrics();
  EXPECT_TRUE(ExecUntilAlert("Rel Bomb Marker", marker, alerts_path, 15s)) << vigil_->Log();
  EXPECT_EQ(vigil_->Stop(), 0) << vigil_->Log();
}

}  // namespace
}  // namespace vigil
