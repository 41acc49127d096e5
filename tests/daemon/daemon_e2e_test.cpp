// Kernel suite: starts the real daemon (`vigil run`) with a temporary rules file and
// config, performs real actions, and asserts the alerts that reach the sinks.
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../support/daemon_metrics.h"
#include "../support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::FindAlert;
using testing::ReadFile;
using testing::ReadJsonLines;
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
         "  file: {enabled: true, path: " + dir.path() + "/alerts.jsonl}\n"
         "  spool: {dir: " + dir.path() + "/spool}\n" + extra;
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
                *alerts = ReadJsonLines(dir_.path() + "/alerts.jsonl");
                found = FindAlert(*alerts, rule, pid);
                return found != nullptr;
              },
              1500ms);
        },
        timeout);
    return found;
  }
  uint16_t MetricsPort() const { return testing::MetricsPort(*vigil_); }

  // Scrapes /metrics until `series` (a regex whose one group is the value) reads above 0;
  // *body gets the last scrape.
  bool WaitForPositiveMetric(const std::string& series, std::chrono::milliseconds timeout,
                             std::string* body) const {
    httplib::Client client("127.0.0.1", MetricsPort());
    const std::regex re(series);
    return WaitUntil(
        [&] {
          auto res = client.Get("/metrics");
          *body = res ? res->body : "";
          std::smatch m;
          return std::regex_search(*body, m, re) && std::stoull(m[1]) > 0;
        },
        timeout);
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

// stdout carries JSON alerts (piped into a SIEM): nothing else may be written there, not
// even the start-up log (the outputs logged their set-up through spdlog's default logger,
// which writes to stdout, before the daemon's own logger existed).
TEST_F(DaemonE2E, StdoutCarriesOnlyJsonAlerts) {
  std::string marker = UniqueMarker("vigil-e2e-stdout");
  std::string rules = dir_.Write("rules.yaml", MarkerRule("E2E Marker Exec", marker));
  std::string cfg = dir_.Write("stdout.yaml", "rules_files: [" + rules + "]\n"
                                              "metrics: {enabled: false}\nsensor: {ring_buffer_mb: 8}\n"
                                              "outputs:\n  stdout: {enabled: true}\n");
  const char* bin = std::getenv("VIGIL_BINARY");
  const std::string log = dir_.path() + "/stdout-test.log";
  // Start, wait for the probes, exec the marker once, stop with SIGINT; capture stdout.
  const std::string cmd = "timeout 120 sh -c '" + std::string(bin ? bin : "build/vigil") + " run -c " + cfg +
                          " 2>" + log + " & p=$!; until grep -q \"probes attached\" " + log +
                          "; do sleep 0.2; done; /bin/true " + marker + "; sleep 1; kill -INT $p; wait $p'";
  FILE* f = popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[4096];
  std::size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  pclose(f);
  std::istringstream lines(out);
  std::string line;
  int json_lines = 0;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << "not JSON on stdout: " << line;
    ++json_lines;
  }
  EXPECT_GE(json_lines, 1) << "no alert on stdout; daemon log:\n" << testing::ReadFile(log);
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
  EXPECT_EQ(FindAlert(ReadJsonLines(dir_.path() + "/alerts.jsonl"), "E2E Old Rule", old_pid), nullptr);
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

// Nice value (field 19 of /proc/<pid>/task/<tid>/stat) of every thread of `pid`.
std::map<pid_t, int> ThreadNiceValues(pid_t pid) {
  std::map<pid_t, int> out;
  const std::string dir = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string stat = ReadFile(entry.path().string() + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));  // field 3 onwards
    std::string field;
    for (int i = 3; i <= 19 && rest >> field; ++i) {
      if (i == 19) out[std::stoi(entry.path().filename().string())] = std::stoi(field);
    }
  }
  return out;
}

// Under CPU contention the event thread (it drains the ring) must get the CPU it needs:
// sensor.event_thread_nice applies to it, the main thread running the event loop, and to
// no other thread (outputs, containers, metrics keep the default).
TEST_F(DaemonE2E, EventThreadRunsAtTheConfiguredNiceValueAndOnlyIt) {
  std::string rules = dir_.Write("rules.yaml", MarkerRule("E2E Nice Rule", UniqueMarker("vigil-e2e-nice")));
  Start(Config(dir_, rules));
  ASSERT_TRUE(vigil_->WaitForLog("event thread priority: nice -10", 10s)) << vigil_->Log();
  const auto nice = ThreadNiceValues(vigil_->pid());
  ASSERT_GT(nice.size(), 1u);
  for (const auto& [tid, value] : nice) {
    EXPECT_EQ(value, tid == vigil_->pid() ? -10 : 0) << "thread " << tid;
  }
  EXPECT_EQ(vigil_->Stop(), 0);
}

// The daemon derives the open prefilter from its rules and installs it: the log says what
// it watches, opens elsewhere are counted as kept in the kernel, and an open of a watched
// path still alerts.
TEST_F(DaemonE2E, OpenPrefilterIsInstalledAndWatchedOpensStillAlert) {
  const std::string watched = dir_.path() + "/watched/";
  ASSERT_EQ(mkdir(watched.c_str(), 0700), 0);
  std::string rules = dir_.Write("rules.yaml",
                                 "- rule: E2E Watched Open\n  desc: test rule\n"
                                 "  condition: evt.type in (open, openat) and fd.name startswith " + watched +
                                     "\n  output: watched open (file=%fd.name pid=%proc.pid)\n"
                                     "  priority: WARNING\n");
  Start(Config(dir_, rules));
  EXPECT_TRUE(vigil_->WaitForLog("open prefilter: ", 5s)) << vigil_->Log();
  EXPECT_EQ(vigil_->Log().find("open prefilter off"), std::string::npos) << vigil_->Log();
  const std::string file = watched + "secret";
  pid_t pid = -1;
  std::vector<nlohmann::json> alerts;
  const nlohmann::json* found = nullptr;
  WaitUntil(
      [&] {
        int status = 0;
        pid = RunChild({"/bin/cat", file, "/etc/hostname"}, &status);  // the file may not exist
        return WaitUntil(
            [&] {
              alerts = ReadJsonLines(dir_.path() + "/alerts.jsonl");
              found = FindAlert(alerts, "E2E Watched Open", pid);
              return found != nullptr;
            },
            1500ms);
      },
      15s);
  ASSERT_NE(found, nullptr) << vigil_->Log();
  EXPECT_EQ((*found)["output_fields"]["fd.name"], file);
  // cat's other opens (its libraries, /etc/hostname) matched no pattern: kept in the kernel.
  std::string body;
  EXPECT_TRUE(WaitForPositiveMetric("vigil_sensor_prefiltered_total (\\d+)", 5s, &body)) << body;
  EXPECT_EQ(vigil_->Stop(), 0);
}

TEST_F(DaemonE2E, BadConfigFailsWithPositionedError) {
  std::string cfg = dir_.Write("vigil.yaml", "engine:\n  match_mode: sometimes\n");
  VigilProcess v({"run", "-c", cfg}, dir_.path() + "/bad.log");
  ASSERT_TRUE(WaitUntil([&] { return !v.Running(); }, 20s));
  EXPECT_EQ(v.Stop(), 1);
  EXPECT_NE(v.Log().find(cfg + ":2:15: error: engine.match_mode"), std::string::npos) << v.Log();
}

TEST_F(DaemonE2E, RulesDisabledByNameOrTagInConfigDoNotFire) {
  std::string marker = UniqueMarker("vigil-e2e-disable");
  std::string rules = dir_.Write(
      "rules.yaml",
      MarkerRule("E2E Kept Rule", marker) + MarkerRule("E2E Disabled By Name", marker) +
          "- rule: E2E Disabled By Tag\n  desc: d\n"
          "  condition: evt.type in (execve, execveat) and proc.args contains \"" + marker + "\"\n"
          "  output: tagged %proc.pid\n  priority: WARNING\n  tags: [noisy]\n");
  Start(Config(dir_, rules) +
        "engine:\n  disabled_rules: [E2E Disabled By Name]\n  disabled_tags: [noisy]\n");
  std::vector<nlohmann::json> alerts;
  const nlohmann::json* a = ExecUntilAlert("E2E Kept Rule", marker, 15s, &alerts);
  ASSERT_NE(a, nullptr) << vigil_->Log();
  int64_t pid = (*a)["output_fields"]["proc.pid"].get<int64_t>();
  std::this_thread::sleep_for(500ms);
  alerts = ReadJsonLines(dir_.path() + "/alerts.jsonl");
  EXPECT_EQ(FindAlert(alerts, "E2E Disabled By Name", static_cast<pid_t>(pid)), nullptr);
  for (const auto& j : alerts) EXPECT_NE(j.value("rule", ""), "E2E Disabled By Tag");
  EXPECT_EQ(vigil_->Stop(), 0);
}

// A loopback HTTP collector (like Falcosidekick) that records POSTed bodies.
class HttpCollector {
 public:
  explicit HttpCollector(int status) {
    server_.Post("/", [this, status](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      bodies_.push_back(req.body);
      content_types_.push_back(req.get_header_value("Content-Type"));
      res.status = status;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~HttpCollector() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  std::string All() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (auto& b : bodies_) out += b + "\n";
    return out;
  }
  std::size_t Count() {
    std::lock_guard<std::mutex> lock(mu_);
    return bodies_.size();
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::vector<std::string> content_types_;
};

TEST_F(DaemonE2E, HttpSinkPostsFalcoJsonToCollector) {
  HttpCollector collector(200);
  ASSERT_GT(collector.port(), 0);
  std::string marker = UniqueMarker("vigil-e2e-http");
  std::string rules = dir_.Write("rules.yaml", MarkerRule("E2E Http Rule", marker));
  Start(Config(dir_, rules,
               "  http: {enabled: true, url: \"http://127.0.0.1:" + std::to_string(collector.port()) +
                   "/\", format: json}\n"));
  std::vector<nlohmann::json> alerts;
  const nlohmann::json* a = ExecUntilAlert("E2E Http Rule", marker, 15s, &alerts);
  ASSERT_NE(a, nullptr) << vigil_->Log();
  int64_t pid = (*a)["output_fields"]["proc.pid"].get<int64_t>();
  ASSERT_TRUE(WaitUntil([&] { return collector.All().find(marker) != std::string::npos; }, 10s))
      << vigil_->Log();
  // Each POST body is one Falco JSON alert (what Falcosidekick expects).
  bool matched = false;
  std::istringstream in(collector.All());
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || j.value("rule", "") != "E2E Http Rule") continue;
    if (j["output_fields"]["proc.pid"] == pid) matched = true;
  }
  EXPECT_TRUE(matched) << collector.All();
  EXPECT_EQ(vigil_->Stop(), 0);
}

TEST_F(DaemonE2E, FailingHttpSinkDoesNotStallDetection) {
  HttpCollector broken(500);

  std::string marker = UniqueMarker("vigil-e2e-dead");
  std::string rules = dir_.Write("rules.yaml", MarkerRule("E2E Dead Sink Rule", marker));
  // The file sink gets alerts; the HTTP sink points at a collector answering 500 (and the
  // unix socket sink at a path nobody listens on).
  Start(Config(dir_, rules,
               "  http: {enabled: true, url: \"http://127.0.0.1:" + std::to_string(broken.port()) +
                   "/\", timeout_ms: 500, retries: 1}\n"
               "  unix_socket: {enabled: true, path: " + dir_.path() + "/nobody.sock}\n"));
  for (int i = 0; i < 5; ++i) {
    std::vector<nlohmann::json> alerts;
    ASSERT_NE(ExecUntilAlert("E2E Dead Sink Rule", marker + "-" + std::to_string(i), 10s, &alerts),
              nullptr)
        << "detection stalled at alert " << i << "\n" << vigil_->Log();
  }
  EXPECT_GE(broken.Count(), 1u);
  ASSERT_GT(MetricsPort(), 0);
  std::string body;
  ASSERT_TRUE(WaitForPositiveMetric("vigil_sink_failed_total\\{sink=\"http[^\"]*\"\\} (\\d+)", 15s, &body))
      << body;
  // The HTTP sink spools by default: its spool metrics are exported.
  EXPECT_NE(body.find("vigil_sink_spool_records{sink=\"http\"}"), std::string::npos) << body;
  EXPECT_NE(body.find("vigil_sink_spool_oldest_age_seconds{sink=\"http\"}"), std::string::npos) << body;
  EXPECT_EQ(vigil_->Stop(), 0);
}

// Reads datagrams on a loopback UDP port (an RFC 5424 syslog collector).
TEST_F(DaemonE2E, SyslogUdpAndUnixSocketSinksDeliver) {
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(udp, reinterpret_cast<sockaddr*>(&addr), &len);
  timeval tv{0, 200000};
  setsockopt(udp, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

  std::string sock_path = dir_.path() + "/alerts.sock";
  int us = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un ua{};
  ua.sun_family = AF_UNIX;
  std::snprintf(ua.sun_path, sizeof(ua.sun_path), "%s", sock_path.c_str());
  ASSERT_EQ(bind(us, reinterpret_cast<sockaddr*>(&ua), sizeof(ua)), 0);
  ASSERT_EQ(listen(us, 4), 0);

  std::atomic<bool> stop{false};
  std::mutex mu;
  std::string syslog_data, unix_data;
  std::thread reader([&] {
    char buf[65536];
    int conn = -1;
    timeval utv{0, 200000};
    setsockopt(us, SOL_SOCKET, SO_RCVTIMEO, &utv, sizeof(utv));
    while (!stop) {
      ssize_t n = recv(udp, buf, sizeof(buf), 0);
      if (n > 0) {
        std::lock_guard<std::mutex> lock(mu);
        syslog_data.append(buf, static_cast<std::size_t>(n)).push_back('\n');
      }
      if (conn < 0) {
        conn = accept(us, nullptr, nullptr);
        if (conn >= 0) setsockopt(conn, SOL_SOCKET, SO_RCVTIMEO, &utv, sizeof(utv));
      } else {
        n = recv(conn, buf, sizeof(buf), 0);
        if (n > 0) {
          std::lock_guard<std::mutex> lock(mu);
          unix_data.append(buf, static_cast<std::size_t>(n));
        }
      }
    }
    if (conn >= 0) close(conn);
  });

  std::string marker = UniqueMarker("vigil-e2e-syslog");
  std::string rules = dir_.Write("rules.yaml", MarkerRule("E2E Syslog Rule", marker));
  Start(Config(dir_, rules,
               "  syslog: {enabled: true, transport: udp, host: 127.0.0.1, port: " +
                   std::to_string(ntohs(addr.sin_port)) + ", format: json}\n"
               "  unix_socket: {enabled: true, path: " + sock_path + ", format: json}\n"));
  std::vector<nlohmann::json> alerts;
  ASSERT_NE(ExecUntilAlert("E2E Syslog Rule", marker, 15s, &alerts), nullptr) << vigil_->Log();
  bool got = WaitUntil(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        return syslog_data.find(marker) != std::string::npos &&
               unix_data.find(marker) != std::string::npos;
      },
      10s);
  stop = true;
  reader.join();
  close(udp);
  close(us);
  ASSERT_TRUE(got) << "syslog: " << syslog_data << "\nunix: " << unix_data << "\n" << vigil_->Log();
  // RFC 5424: "<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG"
  EXPECT_TRUE(std::regex_search(syslog_data, std::regex("^<\\d{1,3}>1 \\d{4}-\\d\\d-\\d\\dT")))
      << syslog_data;
  EXPECT_EQ(vigil_->Stop(), 0);
}

// ---- issue 15: no silent failure ------------------------------------------------------

// Starts `vigil run args...` expected to refuse: waits for the exit, returns the log.
std::string RunExpectingFailure(const TempDir& dir, const std::vector<std::string>& args,
                                int* exit_code) {
  VigilProcess v(args, dir.path() + "/refused.log");
  EXPECT_TRUE(WaitUntil([&] { return !v.Running(); }, 60s)) << v.Log();
  *exit_code = v.Stop();
  return v.Log();
}

const char* kRuleWithOutputTypo =
    "- rule: E2E Output Typo\n"
    "  desc: d\n"
    "  condition: evt.type = execve\n"
    "  output: spawned %proc.nmae\n"
    "  priority: WARNING\n";

TEST_F(DaemonE2E, RuleErrorRefusesStartLikeReloadDoes) {
  std::string marker = UniqueMarker("vigil-e2e-badstart");
  std::string rules = dir_.Write("rules.yaml", MarkerRule("E2E Good", marker) + kRuleWithOutputTypo);
  std::string cfg = dir_.Write("vigil.yaml", Config(dir_, rules));
  int code = 0;
  // An upper-case log level is accepted, and errors are never silenced by it.
  std::string log = RunExpectingFailure(dir_, {"run", "-c", cfg, "-o", "log.level=DEBUG"}, &code);
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find(rules + ":10:19: error: 'E2E Output Typo': output: unknown field 'proc.nmae'"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("engine.skip_invalid_rules"), std::string::npos) << log;
  EXPECT_EQ(log.find("probes attached"), std::string::npos) << log;
}

TEST_F(DaemonE2E, UnknownLogLevelRefusesStartWithTheArgument) {
  std::string rules = dir_.Write("rules.yaml", kRuleWithOutputTypo);
  std::string cfg = dir_.Write("vigil.yaml", Config(dir_, rules));
  int code = 0;
  std::string log =
      RunExpectingFailure(dir_, {"run", "-c", cfg, "-o", "log.level=verbose", "-r", rules}, &code);
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find("-o log.level=verbose: error: log.level = 'verbose'"), std::string::npos)
      << log;
}

TEST_F(DaemonE2E, SkipInvalidRulesRunsTheRestAndKeepsSayingSo) {
  std::string marker = UniqueMarker("vigil-e2e-skip");
  std::string rules = dir_.Write("rules.yaml", MarkerRule("E2E Survivor", marker) + kRuleWithOutputTypo);
  Start(Config(dir_, rules) + "engine: {skip_invalid_rules: true}\nstats_interval_s: 1\n");
  std::vector<nlohmann::json> alerts;
  ASSERT_NE(ExecUntilAlert("E2E Survivor", marker, 15s, &alerts), nullptr) << vigil_->Log();
  std::string body;
  EXPECT_TRUE(WaitForPositiveMetric("vigil_rules_skipped (\\d+)", 5s, &body)) << body;
  EXPECT_NE(body.find("vigil_rules_skipped 1\n"), std::string::npos) << body;
  // Once at start, then at every stats interval.
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::string log = vigil_->Log();
        std::size_t n = 0;
        for (std::size_t at = log.find("running without 1 invalid rule(s)"); at != std::string::npos;
             at = log.find("running without 1 invalid rule(s)", at + 1))
          ++n;
        return n >= 3;
      },
      10s))
      << vigil_->Log();
  EXPECT_EQ(vigil_->Stop(), 0);
}

TEST_F(DaemonE2E, EmptyRulesFileIsRefusedAtStartAndOnSighup) {
  std::string marker = UniqueMarker("vigil-e2e-empty");
  std::string a = dir_.Write("a.yaml", MarkerRule("E2E Empty A", marker));
  std::string b = dir_.Write("b.yaml", MarkerRule("E2E Empty B", marker));
  Start(Config(dir_, a + ", " + b));
  std::vector<nlohmann::json> alerts;
  ASSERT_NE(ExecUntilAlert("E2E Empty B", marker, 15s, &alerts), nullptr) << vigil_->Log();
  dir_.Write("b.yaml", "# emptied\n");
  vigil_->Signal(SIGHUP);
  ASSERT_TRUE(vigil_->WaitForLog("reload refused: keeping", 20s)) << vigil_->Log();
  EXPECT_NE(vigil_->Log().find(b + ":1:1: error: rules file is empty"), std::string::npos)
      << vigil_->Log();
  ASSERT_NE(ExecUntilAlert("E2E Empty B", marker, 15s, &alerts), nullptr)
      << "b.yaml's rule must keep running\n" << vigil_->Log();
  EXPECT_EQ(vigil_->Stop(), 0);

  int code = 0;
  std::string cfg = dir_.Write("again.yaml", Config(dir_, a + ", " + b));
  std::string log = RunExpectingFailure(dir_, {"run", "-c", cfg}, &code);
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find(b + ":1:1: error: rules file is empty"), std::string::npos) << log;
}

TEST_F(DaemonE2E, MetricsPortTakenFailsAtStart) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(s, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(s, 1), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string port = std::to_string(ntohs(addr.sin_port));
  std::string rules = dir_.Write("rules.yaml", MarkerRule("E2E Port", UniqueMarker("vigil-e2e-port")));
  std::string cfg = dir_.Write("vigil.yaml", Config(dir_, rules));
  int code = 0;
  std::string log = RunExpectingFailure(dir_, {"run", "-c", cfg, "-o", "metrics.port=" + port}, &code);
  close(s);
  EXPECT_EQ(code, 1) << log;
  EXPECT_NE(log.find("metrics: "), std::string::npos) << log;
  EXPECT_NE(log.find(port), std::string::npos) << log;
  EXPECT_NE(log.find("metrics.enabled: false"), std::string::npos) << log;
}

}  // namespace
}  // namespace vigil
