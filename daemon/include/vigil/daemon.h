// daemon.h — `vigil run`: ties sensor -> process table -> ruleset -> outputs together.
// One event thread runs Run(): it polls the sensor, applies each event to the process
// table, evaluates the active ruleset and submits alerts to the output manager. Reloads
// (SIGHUP) are prepared on a helper thread and swapped in between two polls, so the ring
// buffer keeps filling and no event is lost or evaluated twice. Signal requests are
// async-signal-safe atomics. Not copyable; one per process.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "vigil/daemon_config.h"

namespace vigil {

struct DaemonOptions {
  std::string config_path;                 // -c; "" = defaults
  std::vector<std::string> overrides;      // -o key=value
  std::vector<std::string> rules;          // -r; replaces rules_files when non-empty
  int stats_interval_s = -1;               // --stats-interval; -1 = from config
  double duration_s = 0;                   // stop after this long (0 = until signalled)
};

class Daemon {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon();
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Runs until RequestStop (SIGINT/SIGTERM). Returns the process exit code: 0 on a clean
  // stop, 1 when start-up failed (config, rules with no usable rule, probes refused).
  int Run();

  // Async-signal-safe requests, honoured by the event thread within one poll interval.
  static void RequestStop() noexcept;
  static void RequestReload() noexcept;
  static void RequestReopen() noexcept;
  // Installs SIGINT/SIGTERM/SIGHUP/SIGUSR1 handlers that call the functions above.
  static void InstallSignalHandlers();

  struct State;

 private:
  DaemonOptions options_;
  std::unique_ptr<State> state_;
};

}  // namespace vigil
