// Kernel suite: starts the real daemon (`vigil run`) with a temporary rules file and
// config, performs real actions, and asserts the alerts that reach the sinks.
#include <httplib.h>
#include <signal.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::ReadFile;
using testing::RunChild;
using testing::TempDir;
using testing::UniqueMarker;
using testing::VigilProcess;
using testing::WaitUntil;

std::string MarkerRule(const std::string& name, const std::string& marker) {
  return "- rule: " + name +
         "\n  desc: test rule\n"
         "  condition: evt.type in (execve, execveat) and proc.args contains \"" + marker + "\"\n"
         "  output: marker exec (cmdline=%proc.cmdline pid=%proc.pid parent=%proc.pname)\n"
         "  priority: WARNING\n"
         "  tags: [test]\n";
}

std::string Config(const TempDir& dir, const std::string& rules, const std::string& extra = "") {
  return "rules_files: [" + rules + "]\n"
         "metrics: {enabled: true, address: 127.0.0.1, port: 0}\n"
         "sensor: {ring_buffer_mb: 8}\n"
         "outputs:\n"
         "  stdout: {enabled: false}\n"
         "  file: {enabled: true, path: " + dir.path() + "/alerts.jsonl}\n" + extra;
}

std::vector<nlohmann::json> Alerts(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(j);
  }
  return out;
}

const nlohmann::json* FindAlert(const std::vector<nlohmann::json>& alerts, const std::string& rule,
                                pid_t pid) {
  for (const auto& a : alerts) {
    if (a.value("rule", "") != rule) continue;
    const auto& f = a["output_fields"];
    if (f.contains("proc.pid") && f["proc.pid"].is_number() && f["proc.pid"].get<int64_t>() == pid)
      return &a;
  }
  return nullptr;
}

class DaemonE2E : public ::testing::Test {
 protected:
  void Start(const std::string& config_text) {
    config_path_ = dir_.Write("vigil.yaml", config_text);
    vigil_ = std::make_unique<VigilProcess>(
        std::vector<std::string>{"run", "-c", config_path_}, dir_.path() + "/vigil.log");
    ASSERT_TRUE(vigil_->WaitForLog("probes attached", 60s)) << vigil_->Log();
  }
  // Execs /bin/true with the marker until an alert for it shows up (or the timeout).
  const nlohmann::json* ExecUntilAlert(const std::string& rule, const std::string& marker,
                                       std::chrono::milliseconds timeout,
                                       std::vector<nlohmann::json>* alerts) {
    pid_t pid = -1;
    const nlohmann::json* found = nullptr;
    WaitUntil(
        [&] {
          int status = 0;
          pid = RunChild({"/bin/true", marker}, &status);
          return WaitUntil(
              [&] {
                *alerts = Alerts(dir_.path() + "/alerts.jsonl");
                found = FindAlert(*alerts, rule, pid);
                return found != nullptr;
              },
              1500ms);
        },
        timeout);
    return found;
  }
  uint16_t MetricsPort() const {
    std::smatch m;
    std::string log = vigil_->Log();
    if (std::regex_search(log, m, std::regex("metrics on http://127\\.0\\.0\\.1:(\\d+)/metrics")))
      return static_cast<uint16_t>(std::stoi(m[1]));
    return 0;
  }

  TempDir dir_;
  std::string config_path_;
  std::unique_ptr<VigilProcess> vigil_;
};

TEST_F(DaemonE2E, RealExecRaisesFalcoShapedAlertInFileSink) {
  std::string marker = UniqueMarker("vigil-e2e-exec");
  std::string rules = dir_.Write("rules.yaml", MarkerRule("E2E Marker Exec", marker));
  Start(Config(dir_, rules));
  std::vector<nlohmann::json> alerts;
  const nlohmann::json* a = ExecUntilAlert("E2E Marker Exec", marker, 15s, &alerts);
  ASSERT_NE(a, nullptr) << vigil_->Log();
  EXPECT_EQ((*a)["priority"], "Warning");
  EXPECT_EQ((*a)["source"], "syscall");
  EXPECT_TRUE((*a).contains("time"));
  EXPECT_TRUE((*a).contains("hostname"));
  EXPECT_EQ((*a)["output_fields"]["proc.cmdline"], "true " + marker);
  EXPECT_NE((*a)["output"].get<std::string>().find(marker), std::string::npos);
  EXPECT_EQ((*a)["tags"], nlohmann::json::array({"test"}));
  EXPECT_EQ(vigil_->Stop(), 0) << vigil_->Log();
}

TEST_F(DaemonE2E, SighupWithBrokenRulesKeepsOldRulesRunning) {
  std::string marker = UniqueMarker("vigil-e2e-hup");
  std::string rules = dir_.Write("rules.yaml", MarkerRule("E2E Reload Keep", marker));
  Start(Config(dir_, rules));
  std::vector<nlohmann::json> alerts;
  ASSERT_NE(ExecUntilAlert("E2E Reload Keep", marker, 15s, &alerts), nullptr) << vigil_->Log();

  dir_.Write("rules.yaml", "- rule: Broken\n  condition: (evt.type = execve\n  output: x\n"
                           "  priority: WARNING\n  desc: d\n- macro: [\n");
  vigil_->Signal(SIGHUP);
  ASSERT_TRUE(vigil_->WaitForLog("reload refused", 20s)) << vigil_->Log();
  EXPECT_NE(vigil_->Log().find("rules.yaml:"), std::string::npos) << "error is positioned";
  ASSERT_NE(ExecUntilAlert("E2E Reload Keep", marker, 15s, &alerts), nullptr)
      << "old rules must keep alerting\n" << vigil_->Log();
  EXPECT_EQ(vigil_->Stop(), 0);
}

TEST_F(DaemonE2E, SighupWithNewRulesSwapsThem) {
  std::string old_marker = UniqueMarker("vigil-e2e-old");
  std::string new_marker = UniqueMarker("vigil-e2e-new");
  std::string rules = dir_.Write("rules.yaml", MarkerRule("E2E Old Rule", old_marker));
  Start(Config(dir_, rules));
  dir_.Write("rules.yaml", MarkerRule("E2E New Rule", new_marker));
  vigil_->Signal(SIGHUP);
  ASSERT_TRUE(vigil_->WaitForLog("reload done", 20s)) << vigil_->Log();
  std::vector<nlohmann::json> alerts;
  ASSERT_NE(ExecUntilAlert("E2E New Rule", new_marker, 15s, &alerts), nullptr) << vigil_->Log();
  int status = 0;
  pid_t old_pid = RunChild({"/bin/true", old_marker}, &status);
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(FindAlert(Alerts(dir_.path() + "/alerts.jsonl"), "E2E Old Rule", old_pid), nullptr);
  EXPECT_EQ(vigil_->Stop(), 0);
}

TEST_F(DaemonE2E, MetricsAndHealthEndpointsOnLoopback) {
  std::string marker = UniqueMarker("vigil-e2e-metrics");
  std::string rules = dir_.Write("rules.yaml", MarkerRule("E2E Metrics Rule", marker));
  Start(Config(dir_, rules));
  std::vector<nlohmann::json> alerts;
  ASSERT_NE(ExecUntilAlert("E2E Metrics Rule", marker, 15s, &alerts), nullptr) << vigil_->Log();
  uint16_t port = MetricsPort();
  ASSERT_GT(port, 0) << vigil_->Log();
  httplib::Client client("127.0.0.1", port);
  auto health = client.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  std::string body;
  ASSERT_TRUE(WaitUntil(
      [&] {
        auto res = client.Get("/metrics");
        body = res ? res->body : "";
        return body.find("vigil_rule_alerts_total{rule=\"E2E Metrics Rule\"}") != std::string::npos &&
               body.find("vigil_sink_sent_total{sink=\"file\"} 0") == std::string::npos;
      },
      5s))
      << body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(body, m, std::regex("vigil_events_evaluated_total (\\d+)")));
  EXPECT_GT(std::stoull(m[1]), 0u);
  EXPECT_NE(body.find("vigil_sensor_drops_per_cpu_total{cpu=\"0\"}"), std::string::npos);
  EXPECT_EQ(vigil_->Stop(), 0);
}

TEST_F(DaemonE2E, BadConfigFailsWithPositionedError) {
  std::string cfg = dir_.Write("vigil.yaml", "engine:\n  match_mode: sometimes\n");
  VigilProcess v({"run", "-c", cfg}, dir_.path() + "/bad.log");
  ASSERT_TRUE(WaitUntil([&] { return !v.Running(); }, 20s));
  EXPECT_EQ(v.Stop(), 1);
  EXPECT_NE(v.Log().find(cfg + ":2:15: error: engine.match_mode"), std::string::npos) << v.Log();
}

}  // namespace
}  // namespace vigil
