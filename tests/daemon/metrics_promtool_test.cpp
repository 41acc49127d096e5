// The daemon's /metrics text passes `promtool check metrics` (Prometheus naming: base units,
// _total counters, HELP/TYPE for every family). promtool comes from Debian's `prometheus`
// package, installed by tools/bootstrap; a missing promtool fails the test.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "vigil/daemon_metrics.h"
#include "vigil/output_manager.h"
#include "vigil/queued_sink.h"
#include "vigil/sensor.h"

namespace vigil {
namespace {

// Runs `promtool check metrics` on `text`; returns its exit status, output in *out.
int PromtoolCheck(const std::string& text, std::string* out) {
  char path[] = "/tmp/vigil-metrics-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  std::string cmd = "/usr/bin/promtool check metrics < " + std::string(path) + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  EXPECT_NE(p, nullptr);
  char buf[4096];
  std::size_t n = 0;
  while (p && (n = fread(buf, 1, sizeof(buf), p)) > 0) out->append(buf, n);
  int status = p ? pclose(p) : -1;
  std::remove(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(MetricsPromtool, PromtoolIsInstalled) {
  ASSERT_EQ(access("/usr/bin/promtool", X_OK), 0)
      << "promtool missing: tools/bootstrap installs Debian's prometheus package";
}

TEST(MetricsPromtool, RenderedMetricsPassPromtoolCheck) {
  DaemonMetrics m;
  m.events = 1234;
  m.alerts = 3;
  m.eval_ns_total = 5'000'000;
  m.eval_max_ns = 42'000;
  m.rules_loaded = 12;
  m.rules_skipped = 1;
  m.CountAlert("Shell in \"container\"");
  SensorStats st;
  st.events = 100;
  st.drops = 2;
  st.drops_per_cpu = {1, 1};
  m.SetSensorStats(st);
  SinkStats file;
  file.name = "file";
  file.sent = 3;
  m.SetSinkStats({file}, OutputTotals{3, 0, 0});
  const std::string text = m.RenderPrometheus();
  std::string out;
  ASSERT_EQ(access("/usr/bin/promtool", X_OK), 0);
  EXPECT_EQ(PromtoolCheck(text, &out), 0) << out << "\n---\n" << text;
  EXPECT_EQ(out, "") << "promtool lint findings:\n" << out;
  // Time in base units: the slowest evaluation is reported in seconds.
  EXPECT_NE(text.find("vigil_rule_eval_max_seconds 4.2e-05"), std::string::npos) << text;
  EXPECT_NE(text.find("vigil_rules_skipped 1\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace vigil
