// vigil_process.h — test helper: runs `build/vigil` as a child process with its stderr in
// a file, waits for log lines, sends signals to it (only to this child), stops it.
// Test-only; not thread safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vigil::testing {

// A fresh private temporary directory (mode 0700), removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  // Writes `text` to path()/name with mode 0600 and returns the full path.
  std::string Write(const std::string& name, const std::string& text) const;

 private:
  std::string path_;
};

class VigilProcess {
 public:
  // args exclude the binary; the binary is $VIGIL_BINARY.
  explicit VigilProcess(std::vector<std::string> args, std::string log_path);
  ~VigilProcess();  // SIGTERM + wait if still running

  pid_t pid() const { return pid_; }
  // Waits until the log contains `needle`; false on timeout or if the child exited.
  bool WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) const;
  std::string Log() const;
  void Signal(int sig) const;
  // SIGTERM then waits; returns the exit status (or -1 on timeout, after SIGKILL).
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool Running() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  mutable int status_ = -1;
  mutable bool reaped_ = false;
};

// Reads a whole file ("" when missing).
std::string ReadFile(const std::string& path);
// Parses a JSON Lines file (e.g. the file sink's alerts); unparsable lines are skipped.
std::vector<nlohmann::json> ReadJsonLines(const std::string& path);
// The first alert of `rule` whose output_fields name proc.pid `pid` (nullptr when none).
const nlohmann::json* FindAlert(const std::vector<nlohmann::json>& alerts, const std::string& rule,
                                pid_t pid);
// Polls until `pred()` is true or the timeout passes.
template <typename Pred>
bool WaitUntil(Pred pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    struct timespec ts {0, 20 * 1000 * 1000};
    nanosleep(&ts, nullptr);
  }
  return pred();
}
// fork+exec `argv` and wait; returns the child's pid (the exit status goes to *status).
pid_t RunChild(const std::vector<std::string>& argv, int* status);
// A random marker unique to this test run ("vigil-test-<pid>-<random>").
std::string UniqueMarker(const std::string& prefix);

}  // namespace vigil::testing
