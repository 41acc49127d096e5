// Unit tests for the liveness canary (daemon/canary.h): a forked child per interval; no
// report of its exit for kSilentAfter -> one silence alert, its exit seen -> recovered.
#include "vigil/canary.h"

#include <thread>

#include <gtest/gtest.h>

namespace vigil {
namespace {

Event ExitOf(uint32_t tgid) {
  Event ev;
  ev.type = EventType::kProcExit;
  ev.tid = ev.tgid = tgid;
  return ev;
}

TEST(Canary, SilenceIsReportedOnceAndRecoveryWhenTheCanaryIsSeenAgain) {
  Canary c;
  auto now = Canary::Clock::now();
  c.Tick(now);
  ASSERT_EQ(c.sent(), 1u);
  ASSERT_GT(c.last_pid(), 0);
  c.Tick(now);  // not due yet: no second child
  EXPECT_EQ(c.sent(), 1u);
  // Another process's exit is not the canary.
  c.Observe(ExitOf(static_cast<uint32_t>(c.last_pid()) + 100000));
  EXPECT_EQ(c.seen(), 0u);
  EXPECT_FALSE(c.SilenceStarted(now));
  std::this_thread::sleep_for(Canary::kSilentAfter + std::chrono::milliseconds(200));
  now = Canary::Clock::now();
  c.Tick(now);
  EXPECT_EQ(c.sent(), 2u);
  EXPECT_TRUE(c.SilenceStarted(now));
  EXPECT_FALSE(c.SilenceStarted(now));  // once per silence
  EXPECT_FALSE(c.Recovered());
  c.Observe(ExitOf(static_cast<uint32_t>(c.last_pid())));
  EXPECT_EQ(c.seen(), 1u);
  EXPECT_TRUE(c.Recovered());
  EXPECT_FALSE(c.SilenceStarted(Canary::Clock::now()));
}

}  // namespace
}  // namespace vigil
