// program_sink.h — pipes alerts, one record per line, into the stdin of a program it
// spawns (fork + execvp of the argv, no shell; or /bin/sh -c "<command joined>" only when
// `shell` is set). The program inherits vigil's stdout/stderr. If it exits, it is
// restarted on the next write: at once if it had run for 10 s, else after restart_backoff
// (doubling up to 30 s while it keeps dying quickly). During the backoff the worker waits,
// alerts stay queued (a full queue drops and counts); a record lost in the dead program's
// pipe is counted failed when the write reports EPIPE.
// Owner: a QueuedSink worker thread (whose SIGPIPE is blocked). Not thread safe by itself.
// Only the child this sink started is ever signalled (SIGTERM, then SIGKILL, at shutdown).
// Needs SIGCHLD not set to SIG_IGN (children must stay waitable). Descriptors other than
// stdin/stdout/stderr are not inherited by the program.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "vigil/sink.h"
#include "vigil/unique_fd.h"

namespace vigil {

struct ProgramSinkOptions {
  std::vector<std::string> command = {"/usr/bin/logger", "-t", "vigil"};
  bool shell = false;
  std::chrono::milliseconds restart_backoff{500};
};

class ProgramSink final : public Sink {
 public:
  explicit ProgramSink(ProgramSinkOptions options);
  // Closes the program's stdin, waits up to 1 s for it to exit, then terminates it.
  ~ProgramSink() override;
  std::string_view kind() const noexcept override { return "program"; }
  std::size_t Write(std::span<const FormattedAlert> records) noexcept override;
  // Restarts the program (closing its stdin first so it can finish cleanly).
  void Reopen() noexcept override;
  // Programs started so far (1 + restarts). Read only while no worker drives the sink.
  uint64_t starts() const noexcept { return starts_; }

 private:
  bool EnsureRunning() noexcept;
  // Starts the program; false (and a restart scheduled) if it could not be executed.
  bool Spawn() noexcept;
  void ScheduleRestart() noexcept;
  // Reaps the child if it exited; returns true if it is (still) running.
  bool ReapIfExited() noexcept;
  void StopChild(std::chrono::milliseconds grace) noexcept;

  ProgramSinkOptions options_;
  std::vector<std::string> argv_storage_;
  pid_t pid_ = -1;
  UniqueFd stdin_;
  std::chrono::steady_clock::time_point started_at_{};
  std::chrono::steady_clock::time_point next_start_{};
  std::chrono::milliseconds backoff_{0};
  uint64_t starts_ = 0;
  std::string buffer_;
};

}  // namespace vigil
