#include "vigil/metrics_server.h"

#include <httplib.h>

#include <atomic>

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(MetricsServer, ServesMetricsAndHealthOnLoopback) {
  std::atomic<int> renders{0};
  std::atomic<bool> healthy{true};
  MetricsServer server(
      [&] {
        ++renders;
        return std::string("vigil_events_total 42\n");
      },
      [&](std::string* detail) {
        if (!healthy) *detail = "probes detached";
        return healthy.load();
      });
  std::string error;
  ASSERT_TRUE(server.Start("127.0.0.1", 0, &error)) << error;
  ASSERT_GT(server.port(), 0);

  httplib::Client client("127.0.0.1", server.port());
  auto res = client.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "vigil_events_total 42\n");
  EXPECT_EQ(renders.load(), 1);

  res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  healthy = false;
  res = client.Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_NE(res->body.find("probes detached"), std::string::npos);
  server.Stop();
}

TEST(MetricsServer, BindFailureIsReported) {
  MetricsServer a([] { return std::string(); }, [](std::string*) { return true; });
  std::string error;
  ASSERT_TRUE(a.Start("127.0.0.1", 0, &error));
  MetricsServer b([] { return std::string(); }, [](std::string*) { return true; });
  EXPECT_FALSE(b.Start("127.0.0.1", a.port(), &error));
  EXPECT_NE(error.find("cannot bind"), std::string::npos);
}

}  // namespace
}  // namespace vigil
