#include "vigil/program_sink.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace vigil {
namespace {

constexpr std::chrono::milliseconds kMaxBackoff{30000};
constexpr std::chrono::seconds kStableRun{10};

// A write to a pipe whose reader is gone raised SIGPIPE on this thread (blocked here):
// take it off the pending set so it is never delivered later.
void ConsumePendingSigpipe() {
  sigset_t pending;
  sigemptyset(&pending);
  if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    timespec zero{};
    sigtimedwait(&pipe_only, nullptr, &zero);
  }
}

}  // namespace

ProgramSink::ProgramSink(ProgramSinkOptions options) : options_(std::move(options)) {
  if (options_.shell) {
    std::string joined;
    for (const std::string& part : options_.command) {
      if (!joined.empty()) joined.push_back(' ');
      joined += part;
    }
    argv_storage_ = {"/bin/sh", "-c", joined};
  } else {
    argv_storage_ = options_.command;
  }
}

ProgramSink::~ProgramSink() { StopChild(std::chrono::seconds(1)); }

bool ProgramSink::Spawn() noexcept {
  if (argv_storage_.empty()) return false;
  std::vector<char*> argv;
  for (std::string& s : argv_storage_) argv.push_back(s.data());
  argv.push_back(nullptr);
  int fds[2];
  int status_fds[2];  // close-on-exec: EOF means exec succeeded, 4 bytes are its errno
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  if (::pipe2(status_fds, O_CLOEXEC) != 0) return false;
  UniqueFd status_read(status_fds[0]);
  UniqueFd status_write(status_fds[1]);
  const pid_t pid = ::fork();
  if (pid < 0) return false;
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    if (::dup2(read_end.get(), STDIN_FILENO) < 0) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the worker thread blocks SIGPIPE
    ::signal(SIGPIPE, SIG_DFL);
    // Other components' descriptors without O_CLOEXEC must not leak into the program.
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execvp(argv[0], argv.data());
    const int exec_errno = errno;
    [[maybe_unused]] ssize_t n = ::write(status_write.get(), &exec_errno, sizeof exec_errno);
    _exit(127);
  }
  status_write.reset();
  int exec_errno = 0;
  ssize_t n;
  do {
    n = ::read(status_read.get(), &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  ++starts_;
  started_at_ = std::chrono::steady_clock::now();
  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    spdlog::warn("program output {}: cannot execute: {}", argv_storage_[0], std::strerror(exec_errno));
    ScheduleRestart();
    return false;
  }
  pid_ = pid;
  stdin_ = std::move(write_end);
  return true;
}

void ProgramSink::ScheduleRestart() noexcept {
  const auto now = std::chrono::steady_clock::now();
  if (now - started_at_ >= kStableRun) {
    backoff_ = std::chrono::milliseconds(0);  // it ran fine for a while: restart at once
  } else {
    backoff_ = backoff_.count() == 0 ? options_.restart_backoff : std::min(backoff_ * 2, kMaxBackoff);
  }
  next_start_ = now + backoff_;
}

bool ProgramSink::ReapIfExited() noexcept {
  if (pid_ <= 0) return false;
  int status = 0;
  const pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  // Exited (or already reaped): schedule a restart with backoff.
  ScheduleRestart();
  if (WIFSIGNALED(status)) {
    spdlog::warn("program output {}: killed by signal {}, restarting in {} ms", argv_storage_[0],
                 WTERMSIG(status), backoff_.count());
  } else {
    spdlog::warn("program output {}: exited with status {}, restarting in {} ms",
                 argv_storage_[0], WEXITSTATUS(status), backoff_.count());
  }
  pid_ = -1;
  stdin_.reset();
  return false;
}

bool ProgramSink::EnsureRunning() noexcept {
  if (ReapIfExited()) return true;
  // Waiting here holds back only this sink's worker: alerts queue (and past the queue's
  // capacity are dropped and counted), the event path never waits.
  const auto now = std::chrono::steady_clock::now();
  if (now < next_start_ &&
      !SleepUnlessAborted(std::chrono::duration_cast<std::chrono::milliseconds>(next_start_ - now))) {
    return false;
  }
  return Spawn();
}

std::size_t ProgramSink::Write(std::span<const FormattedAlert> records) noexcept {
  buffer_.clear();
  for (const FormattedAlert& r : records) {
    buffer_.append(r.text);
    buffer_.push_back('\n');
  }
  if (!EnsureRunning()) return 0;
  std::size_t written = 0;
  if (WriteAll(stdin_.get(), buffer_, false, &written)) return records.size();
  ConsumePendingSigpipe();
  // EPIPE: the program died since the last write. Notice it now; restart per backoff.
  for (int i = 0; i < 100 && ReapIfExited(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (pid_ > 0) StopChild(std::chrono::milliseconds(0));
  // None of this batch reached the old instance (it exited between two batches, like a
  // filter that handles one alert): give it to the next instance instead of failing it.
  if (written == 0 && EnsureRunning()) {
    if (WriteAll(stdin_.get(), buffer_)) return records.size();
    ConsumePendingSigpipe();
  }
  return 0;
}

void ProgramSink::Reopen() noexcept {
  StopChild(std::chrono::seconds(1));
  next_start_ = {};
  backoff_ = std::chrono::milliseconds(0);
}

void ProgramSink::StopChild(std::chrono::milliseconds grace) noexcept {
  stdin_.reset();  // EOF: a well-behaved filter exits
  if (pid_ <= 0) return;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  int status = 0;
  for (;;) {
    if (::waitpid(pid_, &status, WNOHANG) != 0) {
      pid_ = -1;
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGTERM);  // our own child, still running
  for (int i = 0; i < 200; ++i) {
    if (::waitpid(pid_, &status, WNOHANG) != 0) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace vigil
