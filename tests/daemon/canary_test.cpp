// Unit tests for the liveness canary (daemon/canary.h): one forked child per interval; no
// report of their exits for kSilentAfter over kUnansweredMin canaries -> one silence alert;
// a canary's exit seen -> recovered.
#include "vigil/canary.h"

#include <gtest/gtest.h>

namespace vigil {
namespace {

using namespace std::chrono_literals;

Event ExitOf(uint32_t tgid) {
  Event ev;
  ev.type = EventType::kProcExit;
  ev.tid = ev.tgid = tgid;
  return ev;
}

TEST(Canary, SilenceIsReportedOnceAndRecoveryWhenTheCanaryIsSeenAgain) {
  Canary c;
  const auto t0 = Canary::Clock::now();
  c.Tick(t0);
  ASSERT_EQ(c.sent(), 1u);
  ASSERT_GT(c.last_pid(), 0);
  c.Tick(t0 + 500ms);  // not due yet: no second child
  EXPECT_EQ(c.sent(), 1u);
  // Another process's exit is not the canary.
  c.Observe(ExitOf(static_cast<uint32_t>(c.last_pid()) + 100000));
  EXPECT_EQ(c.seen(), 0u);
  c.Tick(t0 + 1s);
  EXPECT_EQ(c.sent(), 2u);
  // Long enough, but only two canaries went unanswered: the daemon may have been paused.
  EXPECT_FALSE(c.SilenceStarted(t0 + 6s));
  c.Tick(t0 + 2s);
  EXPECT_EQ(c.sent(), 3u);
  EXPECT_TRUE(c.SilenceStarted(t0 + 6s));
  EXPECT_FALSE(c.SilenceStarted(t0 + 7s));  // once per silence
  EXPECT_FALSE(c.Recovered());
  c.Observe(ExitOf(static_cast<uint32_t>(c.last_pid())));
  EXPECT_EQ(c.seen(), 1u);
  EXPECT_TRUE(c.Recovered());
  EXPECT_FALSE(c.Recovered());
}

}  // namespace
}  // namespace vigil
