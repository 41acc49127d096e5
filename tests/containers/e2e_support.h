// e2e_support.h — test helper for the real-container tests (kernel suite): runs a shell
// command, runs `vigil run` with the upstream Falco rules plus a test rules file and the file
// sink, and reads the alerts of one container. Test-only; not thread safe.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../support/vigil_process.h"

namespace vigil::testing {

// Runs `cmd` with sh; its stdout+stderr go to *out. Returns the exit code (-1: not run).
// Two test rules whose alerts carry the container metadata fields (the docker and podman
// e2e tests): a shadow read by cat, and sh as a container's first process.
inline constexpr const char* kContainerMetadataRules = R"(
- rule: vigil test shadow read in container
  desc: test
  condition: open_read and container.id != host and fd.name = /etc/shadow and proc.name = cat
  output: shadow read (container=%container.name image=%container.image repo=%container.image.repository tag=%container.image.tag type=%container.type id=%container.id)
  priority: WARNING
- rule: vigil test shell in container
  desc: test
  condition: spawned_process and container.id != host and proc.name = sh and proc.vpid = 1
  output: shell (container=%container.name image=%container.image repo=%container.image.repository tag=%container.image.tag)
  priority: WARNING
)";

inline int Sh(const std::string& cmd, std::string* out = nullptr) {
  FILE* f = popen((cmd + " 2>&1").c_str(), "r");
  if (!f) return -1;
  std::string text;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  int rc = pclose(f);
  if (out) *out = text;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

inline std::string SourceRoot() {
  const char* s = std::getenv("VIGIL_SOURCE_ROOT");
  return s ? s : ".";
}

// One `vigil run` with the upstream rules (falco, incubating, sandbox) + `extra_rules`;
// every alert gets container.id/name/image appended (engine.append_output).
class ContainerVigil {
 public:
  explicit ContainerVigil(const TempDir& dir) : dir_(dir), alerts_(dir.path() + "/alerts.jsonl") {}
  // Returns "" when vigil attached its probes, else its log.
  std::string Start(const std::string& extra_rules, const std::string& extra_config) {
    const char* shared_env = std::getenv("VIGIL_SHARED_DIR");
    const std::string up = std::string(shared_env ? shared_env : "../shared") + "/falco-rules/";
    const std::string rules = dir_.Write("test_rules.yaml", extra_rules);
    const std::string cfg = dir_.Write(
        "vigil.yaml", "rules_files: [" + up + "falco_rules.yaml, " + up + "falco-incubating_rules.yaml, " + up +
                          "falco-sandbox_rules.yaml, " + rules + "]\n"
                          "engine: {append_output: 'container_id=%container.id container_name=%container.name "
                          "image=%container.image'}\n"
                          "metrics: {enabled: true, address: 127.0.0.1, port: 0}\n"
                          "self_protection: false\n"
                          "outputs:\n  stdout: {enabled: false}\n  file: {enabled: true, path: " +
                          alerts_ + "}\n" + extra_config);
    std::remove(alerts_.c_str());
    vigil_ = std::make_unique<VigilProcess>(std::vector<std::string>{"run", "-c", cfg}, dir_.path() + "/vigil.log");
    if (!vigil_->WaitForLog("probes attached", std::chrono::seconds(90))) return vigil_->Log();
    return "";
  }
  void Stop() {
    if (vigil_) vigil_->Stop();
  }
  std::string Log() const { return vigil_ ? vigil_->Log() : ""; }
  // The daemon (null before Start) for its /metrics (../support/daemon_metrics.h).
  const VigilProcess* process() const { return vigil_.get(); }
  // Alerts of `rule` whose output field `field` is `value`, waiting up to `timeout` for one.
  std::vector<nlohmann::json> AlertsFor(const std::string& rule, const std::string& value,
                                        std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                        const std::string& field = "container.name") const {
    std::vector<nlohmann::json> found;
    WaitUntil(
        [&] {
          found.clear();
          for (const auto& a : ReadJsonLines(alerts_)) {
            if (a.value("rule", "") != rule) continue;
            const auto& f = a["output_fields"];
            if (f.contains(field) && f[field] == value) found.push_back(a);
          }
          return !found.empty();
        },
        timeout);
    return found;
  }

 private:
  const TempDir& dir_;
  std::string alerts_;
  std::unique_ptr<VigilProcess> vigil_;
};

}  // namespace vigil::testing
