// fire_harness.h — in-process detection harness for the "upstream rules fire" kernel tests:
// one Sensor (with the kernel open prefilter derived from the rules, as the daemon installs
// it) + ProcessTable + Ruleset (upstream, or any rule files) per test binary, a poll thread that applies
// every event to the table, evaluates the rules and records each alert together with the
// alerting process's ancestry (so a test keeps only alerts of its own process tree), plus
// helpers to run behaviours (temp dirs, named copies of fire_helper, a container-like
// sandbox: cpuset cgroup whose path carries a 64-hex id + new mount/uts/pid namespaces).
// Test-only. The harness is thread safe (alerts behind a mutex); helpers are cold path.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "vigil/process_table.h"
#include "vigil/rule_loader.h"
#include "vigil/ruleset.h"
#include "vigil/sensor.h"

namespace vigil::fire {

// One alert as the harness saw it.
struct FiredAlert {
  std::string rule;
  std::string output;
  uint32_t tgid = 0;
  std::vector<uint32_t> lineage;  // tgid, parent, grandparent... as known to the table
  std::string container_id;       // the alerting process's container.id ("host" on the host)
  std::vector<std::pair<std::string, std::string>> fields;  // output_fields, rendered
  std::string Field(const std::string& name) const;
};

class Harness {
 public:
  // Loads $VIGIL_SHARED_DIR/falco-rules/falco_rules.yaml (force-enabling `enabled_rules`),
  // opens the sensor and starts the poll thread. On failure returns nullptr + *error.
  static std::unique_ptr<Harness> Start(const std::vector<std::string>& enabled_rules,
                                        std::string* error);
  // Same with any rule files or directories (e.g. vigil's own rules/).
  static std::unique_ptr<Harness> StartWith(const std::vector<std::string>& rule_paths,
                                            const LoadOptions& opts, std::string* error);
  ~Harness();
  Harness(const Harness&) = delete;
  Harness& operator=(const Harness&) = delete;

  const Ruleset& ruleset() const { return *ruleset_; }
  std::size_t load_errors() const { return load_errors_; }

  // Alerts whose alerting process is `root` or descends from it.
  std::vector<FiredAlert> AlertsOfTree(uint32_t root) const;
  // Executables of the successful execs seen in root's tree (proves a workload was seen).
  std::vector<std::string> ExecsOfTree(uint32_t root) const;
  // Alerts of one rule from any process (diagnostics when a tree match fails).
  std::vector<FiredAlert> AlertsOfRule(const std::string& rule) const;
  // Waits until every rule in `rules` alerted in root's tree and root's exit was seen.
  bool WaitForRules(uint32_t root, const std::set<std::string>& rules,
                    std::chrono::milliseconds timeout) const;
  SensorStats Stats() const;

 private:
  Harness() = default;
  void PollLoop();

  std::unique_ptr<Sensor> sensor_;
  std::shared_ptr<const Ruleset> ruleset_;
  std::size_t load_errors_ = 0;
  ProcessTable table_;  // poll thread only
  std::thread poller_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  struct ExecSeen {
    std::string exepath;
    std::vector<uint32_t> lineage;  // tgid, parent, ...
  };
  std::vector<FiredAlert> alerts_;
  std::vector<ExecSeen> execs_;
  std::set<uint32_t> exited_;
  SensorStats stats_;
};

// A private temporary directory (removed recursively by the destructor).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& parent = "/tmp");
  ~ScratchDir();
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text, mode_t mode = 0600) const;

 private:
  std::string path_;
};

// Copies $VIGIL_FIRE_HELPER to dir/name (mode 0755); returns the full path.
std::string InstallHelper(const std::string& dir, const std::string& name);

// A container-like sandbox: a cgroup directory named <64 hex> (a bare container id, as an
// unknown runtime would name it; state/container_cgroup.cpp) at the top of the hierarchy the
// sensor reads the cgroup path from (cpuset on a v1/v2 hybrid, else the v2 tree), removed by
// the destructor. Real runtimes are tested in tests/containers/.
class Sandbox {
 public:
  Sandbox();
  ~Sandbox();
  const std::string& long_id() const { return id_; }
  std::string short_id() const { return id_.substr(0, 12); }
  const std::string& cgroup_dir() const { return dir_; }
  bool ok() const { return ok_; }
  // Runs in a forked child: joins the cgroup, unshares mount/uts/pid namespaces and forks
  // the container's pid 1, which runs `body`; returns body's exit code (or 100+ on setup
  // failures). Call only in a child process.
  int EnterAndRun(const std::function<int()>& body) const;

 private:
  std::string id_, dir_;
  bool ok_ = false;
};

// Forks; the child runs body and _exits with its result. Waits; returns the child's pid
// and stores its exit code (-1 when killed) in *exit_code.
pid_t RunTree(const std::function<int()>& body, int* exit_code);
// execv(argv[0] or path, argv) in the calling (child) process; returns only on failure.
int Exec(const std::string& path, const std::vector<std::string>& argv);
// Runs argv to completion as a grandchild of the caller; returns its exit code.
int RunAndWait(const std::string& path, const std::vector<std::string>& argv);
// 64 random hex characters.
std::string RandomHex(std::size_t n);

}  // namespace vigil::fire
