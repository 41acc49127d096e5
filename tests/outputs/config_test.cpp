#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_alerts.h"
#include "vigil/output_manager.h"
#include "vigil/outputs_config.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;

bool Parse(const std::string& yaml, OutputsConfig* config, std::vector<std::string>* errors) {
  const YAML::Node root = YAML::Load(yaml);
  return ParseOutputsConfig(root["outputs"], config, errors);
}

TEST(OutputsConfig, ParsesTheDocumentedExample) {
  const std::string yaml = R"(
outputs:
  min_priority: notice
  queue_capacity: 500
  rate_limit: {window_s: 2.5, max_per_window: 3, key_fields: [proc.name, fd.name]}
  stdout: {enabled: false, format: text}
  file: {enabled: true, path: /tmp/a.jsonl, format: ecs, min_priority: error}
  syslog: {enabled: true, transport: tcp, host: 10.1.2.3, port: 6514, facility: local3, format: json}
  http: {enabled: true, url: "https://siem.example:8443/ingest", format: json, timeout_ms: 1500,
         retries: 5, batch_size: 20, headers: {Authorization: Bearer xyz}, insecure: true,
         queue_capacity: 50}
  program: {enabled: true, command: [/usr/bin/logger, -t, vigil], shell: false, format: text}
  unix_socket: {enabled: true, path: /run/x.sock, format: json}
)";
  OutputsConfig c;
  std::vector<std::string> errors;
  ASSERT_TRUE(Parse(yaml, &c, &errors)) << (errors.empty() ? "" : errors[0]);
  EXPECT_EQ(c.min_priority, Priority::kNotice);
  EXPECT_EQ(c.queue_capacity, 500u);
  EXPECT_EQ(c.rate_limit.window, 2500ms);
  EXPECT_EQ(c.rate_limit.max_per_window, 3u);
  EXPECT_EQ(c.rate_limit.key_fields, (std::vector<std::string>{"proc.name", "fd.name"}));
  EXPECT_FALSE(c.stdout_sink.enabled);
  EXPECT_EQ(c.stdout_sink.format, OutputFormat::kText);
  EXPECT_TRUE(c.file.enabled);
  EXPECT_EQ(c.file.options.path, "/tmp/a.jsonl");
  EXPECT_EQ(c.file.format, OutputFormat::kEcs);
  EXPECT_EQ(c.file.min_priority, Priority::kError);
  EXPECT_EQ(c.syslog.options.transport, SyslogSinkOptions::Transport::kTcp);
  EXPECT_EQ(c.syslog.options.host, "10.1.2.3");
  EXPECT_EQ(c.syslog.options.port, 6514);
  EXPECT_EQ(c.syslog.options.facility, 19);
  EXPECT_EQ(c.http.options.url, "https://siem.example:8443/ingest");
  EXPECT_EQ(c.http.options.timeout, 1500ms);
  EXPECT_EQ(c.http.options.retries, 5u);
  EXPECT_EQ(c.http.options.batch_size, 20u);
  ASSERT_EQ(c.http.options.headers.size(), 1u);
  EXPECT_EQ(c.http.options.headers[0].first, "Authorization");
  EXPECT_EQ(c.http.options.headers[0].second, "Bearer xyz");
  EXPECT_TRUE(c.http.options.insecure);
  EXPECT_EQ(c.http.queue_capacity, 50u);
  EXPECT_EQ(c.program.options.command, (std::vector<std::string>{"/usr/bin/logger", "-t", "vigil"}));
  EXPECT_FALSE(c.program.options.shell);
  EXPECT_EQ(c.unix_socket.options.path, "/run/x.sock");
}

TEST(OutputsConfig, MissingSectionKeepsDefaults) {
  OutputsConfig c;
  std::vector<std::string> errors;
  EXPECT_TRUE(Parse("other: 1\n", &c, &errors));
  EXPECT_TRUE(errors.empty());
  EXPECT_TRUE(c.stdout_sink.enabled);
  EXPECT_FALSE(c.file.enabled);
  EXPECT_EQ(c.queue_capacity, 10000u);
  EXPECT_EQ(c.rate_limit.window.count(), 0);
}

TEST(OutputsConfig, ReportsEveryErrorWithOneBasedLineAndColumn) {
  const std::string yaml =
      "outputs:\n"
      "  min_priority: severe\n"                            // line 2, col 17
      "  queue_capacity: -5\n"                              // line 3, col 19
      "  stdout: {enabled: maybe}\n"                        // line 4, col 21
      "  http: {url: ftp://x, retries: lots, timeot_ms: 5}\n"  // line 5, cols 15/33/39
      "  syslog: {transport: tls, port: 70000}\n"           // line 6, cols 23/34
      "  rate_limit: {window_s: -1}\n";                     // line 7, col 26
  OutputsConfig c;
  std::vector<std::string> errors;
  EXPECT_FALSE(Parse(yaml, &c, &errors));
  ASSERT_EQ(errors.size(), 9u);
  EXPECT_EQ(errors[0].rfind("2:17: outputs.min_priority: expected a priority", 0), 0u) << errors[0];
  EXPECT_EQ(errors[1].rfind("3:19: outputs.queue_capacity: expected a non-negative integer, got '-5'", 0), 0u)
      << errors[1];
  EXPECT_EQ(errors[2], "4:21: outputs.stdout.enabled: expected true or false, got 'maybe'");
  EXPECT_EQ(errors[3], "5:15: outputs.http.url: expected an http:// or https:// URL, got 'ftp://x'");
  EXPECT_EQ(errors[4].rfind("5:33: outputs.http.retries: expected a non-negative integer", 0), 0u) << errors[4];
  EXPECT_EQ(errors[5].rfind("5:39: outputs.http.timeot_ms: unknown key", 0), 0u) << errors[5];
  EXPECT_EQ(errors[6], "6:23: outputs.syslog.transport: expected local, udp or tcp, got 'tls'");
  EXPECT_EQ(errors[7], "6:34: outputs.syslog.port: 70000 is out of range [1, 65535]");
  EXPECT_EQ(errors[8].rfind("7:26: outputs.rate_limit.window_s: expected a number of seconds", 0), 0u)
      << errors[8];
}

TEST(OutputsConfig, ProgramCommandAsAStringRunsThroughTheShell) {
  OutputsConfig c;
  std::vector<std::string> errors;
  ASSERT_TRUE(Parse("outputs:\n  program: {enabled: true, command: \"jq -c . >> /tmp/x\"}\n", &c, &errors));
  EXPECT_TRUE(c.program.options.shell);
  EXPECT_EQ(c.program.options.command, (std::vector<std::string>{"jq -c . >> /tmp/x"}));
}

TEST(OutputsConfig, CreatesWorkingSinksFromYaml) {
  testing::ScratchDir dir;
  const std::string yaml = "outputs:\n"
                           "  min_priority: warning\n"
                           "  stdout: {enabled: false}\n"
                           "  file: {enabled: true, format: text, path: " + dir.File("alerts.log") + "}\n";
  OutputsConfig c;
  std::vector<std::string> errors;
  ASSERT_TRUE(Parse(yaml, &c, &errors));
  auto manager = OutputManager::Create(c, &errors);
  ASSERT_NE(manager, nullptr) << (errors.empty() ? "" : errors[0]);
  Alert info = testing::SampleAlert("informational one");
  info.priority = Priority::kInformational;
  manager->Submit(info);
  manager->Submit(testing::SampleAlert("warning one"));
  ASSERT_TRUE(manager->Flush(5s));
  EXPECT_EQ(testing::ReadFile(dir.File("alerts.log")), "15:37:51.123456789: Warning warning one\n");
  const auto stats = manager->Stats();
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].name, "file");
  EXPECT_EQ(stats[0].sent, 1u);
  EXPECT_EQ(manager->Totals().filtered, 1u);
}

}  // namespace
}  // namespace vigil
