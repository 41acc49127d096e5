#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "loopback_http_server.h"
#include "test_alerts.h"
#include "vigil/http_sink.h"
#include "vigil/output_manager.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::LoopbackHttpServer;
using testing::SampleAlert;

std::shared_ptr<const Alert> Shared(std::string output) {
  return std::make_shared<const Alert>(SampleAlert(std::move(output)));
}

TEST(HttpSink, PostsOneFalcoJsonPerRequestOnAKeptAliveConnection) {
  LoopbackHttpServer server;
  HttpSinkOptions options;
  options.url = server.url("/falco");
  options.headers = {{"X-Vigil-Token", "s3cret"}};
  QueuedSink sink({.name = "http"}, std::make_unique<HttpSink>(options, OutputFormat::kJson));
  for (int i = 0; i < 3; ++i) sink.Submit(Shared("alert " + std::to_string(i)));
  ASSERT_TRUE(sink.Flush(10s));
  EXPECT_EQ(sink.Stats().sent, 3u);
  EXPECT_EQ(sink.Stats().failed, 0u);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(requests[i].request_line, "POST /falco HTTP/1.1");
    EXPECT_NE(requests[i].headers.find("content-type: application/json"), std::string::npos);
    EXPECT_NE(requests[i].headers.find("x-vigil-token: s3cret"), std::string::npos);
    const auto body = nlohmann::json::parse(requests[i].body);
    ASSERT_TRUE(body.is_object());
    EXPECT_EQ(body["output"], "15:37:51.123456789: Warning alert " + std::to_string(i));
    EXPECT_EQ(body["rule"], "Terminal shell in container");
    EXPECT_EQ(body["output_fields"]["proc.pid"], 4242);
  }
  EXPECT_EQ(server.connections(), 1);  // handle reuse keeps the connection alive
}

TEST(HttpSink, BatchesQueuedAlertsIntoAJsonArray) {
  LoopbackHttpServer server;
  HttpSinkOptions options;
  options.url = server.url();
  options.batch_size = 4;
  HttpSink sink(options, OutputFormat::kEcs);
  std::vector<Alert> alerts;
  for (int i = 0; i < 6; ++i) alerts.push_back(SampleAlert("a" + std::to_string(i)));
  std::vector<FormattedAlert> records;
  for (const Alert& a : alerts) {
    records.push_back({&a, ""});
    FormatAlert(a, OutputFormat::kEcs, &records.back().text);
  }
  EXPECT_EQ(sink.Write(records), 6u);
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);  // 4 + 2
  const auto first = nlohmann::json::parse(requests[0].body);
  const auto second = nlohmann::json::parse(requests[1].body);
  ASSERT_TRUE(first.is_array());
  ASSERT_EQ(first.size(), 4u);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(first[0]["message"], "a0");
  EXPECT_EQ(second[1]["message"], "a5");
  EXPECT_EQ(second[1]["event"]["kind"], "alert");
}

TEST(HttpSink, RetriesServerErrorsWithExponentialBackoffThenCountsFailure) {
  LoopbackHttpServer server(500);
  HttpSinkOptions options;
  options.url = server.url();
  options.retries = 2;
  options.backoff_initial = 100ms;
  QueuedSink sink({.name = "http"}, std::make_unique<HttpSink>(options, OutputFormat::kJson));
  const auto start = std::chrono::steady_clock::now();
  sink.Submit(Shared("x"));
  ASSERT_TRUE(sink.Flush(10s));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(server.request_count(), 3u);  // first try + 2 retries
  EXPECT_GE(elapsed, 300ms);              // 100 ms + 200 ms of backoff
  EXPECT_EQ(sink.Stats().failed, 1u);
  EXPECT_EQ(sink.Stats().sent, 0u);

  server.set_status(204);  // the collector recovers
  sink.Submit(Shared("y"));
  ASSERT_TRUE(sink.Flush(10s));
  EXPECT_EQ(sink.Stats().sent, 1u);
  EXPECT_EQ(server.request_count(), 4u);
}

TEST(HttpSink, ClientErrorsAreNotRetried) {
  LoopbackHttpServer server(400);
  HttpSinkOptions options;
  options.url = server.url();
  options.retries = 3;
  options.backoff_initial = 10ms;
  QueuedSink sink({.name = "http"}, std::make_unique<HttpSink>(options, OutputFormat::kJson));
  sink.Submit(Shared("x"));
  ASSERT_TRUE(sink.Flush(10s));
  EXPECT_EQ(server.request_count(), 1u);
  EXPECT_EQ(sink.Stats().failed, 1u);
}

TEST(HttpSink, SubmitNeverBlocksOnADeadEndpoint) {
  HttpSinkOptions options;
  options.url = "http://127.0.0.1:" + std::to_string(testing::RefusedPort()) + "/";
  options.retries = 1;
  options.backoff_initial = 5ms;
  options.timeout = 500ms;
  OutputManager manager({});
  manager.AddSink({.name = "http", .queue_capacity = 100},
                  std::make_unique<HttpSink>(options, OutputFormat::kJson));
  const Alert alert = SampleAlert();
  constexpr int kAlerts = 10000;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kAlerts; ++i) manager.Submit(alert);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  std::printf("Submit of %d alerts to a dead HTTP sink: %.2f ms (%.0f ns/alert)\n", kAlerts,
              std::chrono::duration<double, std::milli>(elapsed).count(),
              std::chrono::duration<double, std::nano>(elapsed).count() / kAlerts);
  EXPECT_LT(elapsed, 500ms);
  ASSERT_TRUE(manager.Flush(30s));
  const SinkStats stats = manager.Stats()[0];
  EXPECT_EQ(stats.sent, 0u);
  EXPECT_GE(stats.dropped, static_cast<uint64_t>(kAlerts - 200));
  EXPECT_GE(stats.failed, 100u);
  EXPECT_EQ(stats.sent + stats.failed + stats.dropped, static_cast<uint64_t>(kAlerts));
  EXPECT_EQ(stats.queue_depth, 0u);
}

}  // namespace
}  // namespace vigil
