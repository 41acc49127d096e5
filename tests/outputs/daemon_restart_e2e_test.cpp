// Kernel suite (issue 18): at-least-once delivery across a SIGKILL of the real daemon.
// `vigil run` (started by this test, private config and spool) raises alerts for execs by
// this test's children carrying a unique marker, while its syslog TCP and HTTP receivers
// (in this process, loopback) are down; the alerts reach the disk spool; the test SIGKILLs
// that daemon, starts a new one on the same spool, brings the receivers up and asserts that
// every alert the first daemon raised (its file sink lists them, with their uuids) arrives
// at both receivers, first arrivals in order, followed by alerts the second daemon raised.
// Duplicates are allowed (at-least-once) and counted; a uuid never names two alerts.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <regex>


#include "../support/daemon_metrics.h"
#include "../support/vigil_process.h"
#include "receivers.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::ReadJsonLines;
using testing::RunChild;
using testing::UniqueMarker;
using testing::VigilProcess;
using testing::WaitUntil;

// The marker number of an alert JSON of ours, or -1.
int MarkerNumber(const nlohmann::json& alert, const std::string& marker) {
  const std::string output = alert.value("output", "");
  std::smatch m;
  if (!std::regex_search(output, m, std::regex(marker + "-(\\d+)"))) return -1;
  return std::stoi(m[1]);
}

struct Arrivals {
  std::vector<int> order;                 // marker numbers of distinct uuids, first arrival order
  std::map<std::string, int> by_uuid;
  std::size_t duplicates = 0;
  bool uuid_mismatch = false;             // one uuid carried two different alerts
};

Arrivals Analyse(const std::vector<nlohmann::json>& alerts, const std::string& marker) {
  Arrivals a;
  for (const auto& j : alerts) {
    const int n = MarkerNumber(j, marker);
    if (n < 0 || !j.contains("uuid")) continue;
    const auto [it, fresh] = a.by_uuid.emplace(j["uuid"].get<std::string>(), n);
    if (fresh) {
      a.order.push_back(n);
    } else {
      ++a.duplicates;
      if (it->second != n) a.uuid_mismatch = true;
    }
  }
  return a;
}

std::vector<nlohmann::json> Parse(const std::vector<std::string>& records) {
  std::vector<nlohmann::json> out;
  for (const auto& r : records) {
    auto j = nlohmann::json::parse(r, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

using testing::Metric;

TEST(DaemonKilledMidOutage, EverySpooledAlertArrivesAfterRestart) {
  testing::ScratchDir dir;
  testing::SyslogTcpReceiver syslog;
  testing::HttpReceiver http;
  const std::string marker = UniqueMarker("vigil-spool-kill");
  const std::string rules = dir.File("rules.yaml");
  {
    std::ofstream out(rules);
    out << "- rule: Spool Kill Marker\n"
           "  desc: test rule\n"
           "  condition: evt.type in (execve, execveat) and proc.args contains \"" << marker << "\"\n"
           "  output: marker exec (cmdline=%proc.cmdline pid=%proc.pid)\n"
           "  priority: WARNING\n";
  }
  OutputsConfig ports;
  syslog.Configure(&ports);
  http.Configure(&ports);
  const std::string alerts_path = dir.File("alerts.jsonl");
  const std::string config = dir.File("vigil.yaml");
  {
    std::ofstream out(config);
    out << "rules_files: [" << rules << "]\n"
        << "metrics: {enabled: true, port: 0}\n"
        << "outputs:\n"
        << "  stdout: {enabled: false}\n"
        << "  file: {enabled: true, path: " << alerts_path << "}\n"
        << "  spool: {dir: " << dir.File("spool") << ", retry_backoff_ms: 50, max_retry_backoff_ms: 200}\n"
        << "  syslog: {enabled: true, transport: tcp, host: 127.0.0.1, port: " << ports.syslog.options.port
        << ", timeout_ms: 1000}\n"
        << "  http: {enabled: true, url: \"" << ports.http.options.url << "\", retries: 0, timeout_ms: 1000}\n";
  }
  constexpr int kBefore = 20;  // raised by the first daemon, receivers down
  constexpr int kAfter = 5;    // raised by the second daemon

  auto first = std::make_unique<VigilProcess>(std::vector<std::string>{"run", "-c", config}, dir.File("vigil1.log"));
  ASSERT_TRUE(first->WaitForLog("probes attached", 60s)) << first->Log();
  auto raised = [&] { return Analyse(ReadJsonLines(alerts_path), marker); };
  for (int i = 0; i < kBefore; ++i) {
    int status = 0;
    RunChild({"/bin/true", marker + "-" + std::to_string(i)}, &status);
  }
  ASSERT_TRUE(WaitUntil([&] { return raised().order.size() == kBefore; }, 20s))
      << raised().order.size() << " alerts raised\n" << first->Log();
  // Every alert reached both spools (the receivers are down: nothing was delivered).
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Metric(*first, "vigil_sink_spool_records{sink=\"syslog\"}") >= kBefore &&
               Metric(*first, "vigil_sink_spool_records{sink=\"http\"}") >= kBefore;
      },
      10s))
      << first->Log();
  EXPECT_EQ(Metric(*first, "vigil_sink_sent_total{sink=\"syslog\"}"), 0);
  const std::map<std::string, int> first_uuids = raised().by_uuid;

  first->Signal(SIGKILL);
  ASSERT_TRUE(WaitUntil([&] { return !first->Running(); }, 10s));
  first.reset();

  syslog.Start();
  http.Start();
  VigilProcess second({"run", "-c", config}, dir.File("vigil2.log"));
  ASSERT_TRUE(second.WaitForLog("probes attached", 60s)) << second.Log();
  for (int i = kBefore; i < kBefore + kAfter; ++i) {
    int status = 0;
    RunChild({"/bin/true", marker + "-" + std::to_string(i)}, &status);
  }
  constexpr std::size_t kAll = kBefore + kAfter;
  for (testing::Receiver* receiver : std::vector<testing::Receiver*>{&syslog, &http}) {
    const std::string name = receiver->name();
    ASSERT_TRUE(WaitUntil([&] { return Analyse(Parse(receiver->Records()), marker).order.size() >= kAll; }, 30s))
        << name << ": " << Analyse(Parse(receiver->Records()), marker).order.size() << " of " << kAll
        << " arrived\n" << second.Log();
    const Arrivals got = Analyse(Parse(receiver->Records()), marker);
    EXPECT_FALSE(got.uuid_mismatch) << name;
    ASSERT_EQ(got.order.size(), kAll) << name;
    for (std::size_t i = 0; i < kAll; ++i) EXPECT_EQ(got.order[i], static_cast<int>(i)) << name << " at " << i;
    // The first daemon's alerts arrive under the uuids it gave them.
    for (const auto& [uuid, n] : first_uuids) {
      const auto it = got.by_uuid.find(uuid);
      EXPECT_TRUE(it != got.by_uuid.end() && it->second == n) << name << ": alert " << n << " (" << uuid << ") missing";
    }
    std::printf("%s: %zu alerts arrived, %zu duplicates\n", name.c_str(), got.order.size(), got.duplicates);
  }
  EXPECT_GE(Metric(second, "vigil_sink_spool_replayed_total{sink=\"syslog\"}"), kBefore) << second.Log();
  EXPECT_EQ(second.Stop(), 0) << second.Log();
  syslog.Stop();
  http.Stop();
}

}  // namespace
}  // namespace vigil
