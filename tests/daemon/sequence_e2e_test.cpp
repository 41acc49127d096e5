// Kernel suite: the real daemon with a sequence rule. The test writes a program into its own
// temporary directory, chmods it +x and executes it; the three real syscalls must complete
// the sequence and raise one Falco-shaped alert named after the sequence, also when a
// SIGHUP reload (same definition) happens between the chmod and the exec.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "../support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::ReadJsonLines;
using testing::RunChild;
using testing::TempDir;
using testing::VigilProcess;
using testing::WaitUntil;

constexpr const char* kRule = "E2E Drop Chmod Run";

std::string SequenceRules(const std::string& dir) {
  return "- sequence: E2E Drop Chmod Run\n"
         "  desc: a file written in the test directory, made executable, then run\n"
         "  by: [proc.sid]\n"
         "  maxspan: 60s\n"
         "  steps:\n"
         "    - condition: evt.type in (open, openat, openat2, creat) and evt.is_open_write=true\n"
         "        and fd.name startswith " + dir + "/\n"
         "    - condition: evt.type in (chmod, fchmodat) and fs.path.name = %step1.fd.name\n"
         "    - condition: evt.type in (execve, execveat) and proc.exepath = %step1.fd.name\n"
         "  output: dropped file ran (file=%step1.fd.name writer=%step1.proc.pid pid=%proc.pid)\n"
         "  priority: CRITICAL\n"
         "  tags: [test]\n";
}

// Copies /bin/true to `path` (a real open for writing), then chmod 0755.
void DropAndChmod(const std::string& path) {
  std::ifstream in("/bin/true", std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  ::close(fd);
  ASSERT_EQ(::chmod(path.c_str(), 0755), 0);
}

const nlohmann::json* FindSequenceAlert(const std::vector<nlohmann::json>& alerts, const std::string& file) {
  for (const auto& a : alerts)
    if (a.value("rule", "") == kRule && a["output_fields"].value("step1.fd.name", "") == file) return &a;
  return nullptr;
}

class SequenceE2E : public ::testing::Test {
 protected:
  void Start() {
    work_ = dir_.path() + "/work";
    ::mkdir(work_.c_str(), 0700);
    std::string rules = dir_.Write("rules.yaml", SequenceRules(work_));
    std::string config = dir_.Write("vigil.yaml",
                                    "rules_files: [" + rules + "]\n"
                                    "metrics: {enabled: true, address: 127.0.0.1, port: 0}\n"
                                    "sensor: {ring_buffer_mb: 8}\n"
                                    "outputs:\n"
                                    "  stdout: {enabled: false}\n"
                                    "  file: {enabled: true, path: " + dir_.path() + "/alerts.jsonl}\n");
    vigil_ = std::make_unique<VigilProcess>(std::vector<std::string>{"run", "-c", config},
                                            dir_.path() + "/vigil.log");
    ASSERT_TRUE(vigil_->WaitForLog("probes attached", 60s)) << vigil_->Log();
  }
  // Runs the chain with a fresh file name until its alert appears; `between` runs between the
  // chmod and the exec. *alert gets the alert, *child the pid that ran the file.
  bool ChainUntilAlert(const std::function<void()>& between, nlohmann::json* alert, pid_t* child) {
    int attempt = 0;
    return WaitUntil(
        [&] {
          const std::string file = work_ + "/payload-" + std::to_string(attempt++);
          DropAndChmod(file);
          if (between) between();
          int status = 0;
          *child = RunChild({file}, &status);
          return WaitUntil(
              [&] {
                const auto alerts = ReadJsonLines(dir_.path() + "/alerts.jsonl");
                const auto* a = FindSequenceAlert(alerts, file);
                if (a) *alert = *a;
                return a != nullptr;
              },
              3s);
        },
        40s);
  }

  TempDir dir_;
  std::string work_;
  std::unique_ptr<VigilProcess> vigil_;
};

TEST_F(SequenceE2E, WriteChmodExecOfTheSameFileRaisesOneSequenceAlert) {
  Start();
  nlohmann::json a;
  pid_t child = -1;
  ASSERT_TRUE(ChainUntilAlert(nullptr, &a, &child)) << vigil_->Log();
  EXPECT_EQ(a["priority"], "Critical");
  EXPECT_EQ(a["source"], "syscall");
  EXPECT_TRUE(a.contains("time"));
  EXPECT_TRUE(a.contains("hostname"));
  EXPECT_EQ(a["tags"], nlohmann::json::array({"test"}));
  EXPECT_EQ(a["output_fields"]["step1.proc.pid"].get<int64_t>(), static_cast<int64_t>(getpid()));
  EXPECT_EQ(a["output_fields"]["proc.pid"].get<int64_t>(), static_cast<int64_t>(child));
  EXPECT_NE(a["output"].get<std::string>().find("dropped file ran (file=" + work_ + "/payload-"), std::string::npos);

  EXPECT_EQ(vigil_->Stop(), 0) << vigil_->Log();
}

TEST_F(SequenceE2E, PartialMatchSurvivesReloadOfAnUnchangedSequence) {
  Start();
  int reloads = 0;
  auto reload = [&] {
    vigil_->Signal(SIGHUP);
    ++reloads;
    ASSERT_TRUE(WaitUntil([&] {
      const std::string log = vigil_->Log();
      std::size_t n = 0;
      for (std::size_t p = log.find("state kept for 1 unchanged"); p != std::string::npos;
           p = log.find("state kept for 1 unchanged", p + 1))
        ++n;
      return n >= static_cast<std::size_t>(reloads);
    }, 20s)) << vigil_->Log();
  };
  nlohmann::json a;
  pid_t child = -1;
  ASSERT_TRUE(ChainUntilAlert(reload, &a, &child)) << vigil_->Log();
  EXPECT_EQ(a["output_fields"]["proc.pid"].get<int64_t>(), static_cast<int64_t>(child));
  EXPECT_EQ(vigil_->Stop(), 0) << vigil_->Log();
}

}  // namespace
}  // namespace vigil
