// Kernel test: with a deliberately tiny ring and a stalled consumer, records that do not
// fit are dropped and counted per CPU; what was kept still decodes. Matches only this
// process's own opens of a unique path.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <numeric>
#include <thread>
#include <utility>
#include <string>

#include <gtest/gtest.h>

#include "sensor_harness.h"

namespace vigil {
namespace {

TEST(SensorDrops, TinyRingWithStalledConsumerCountsDrops) {
  SensorOptions o = testing::TestOptions();
  o.ring_bytes = 4096;  // one page: ~25 open records
  o.interest.reset();
  o.interest.set(static_cast<std::size_t>(EventType::kOpenat));
  std::string error;
  auto sensor = Sensor::Open(o, &error);
  ASSERT_NE(sensor, nullptr) << error;
  const std::string marker = "/vigil-drop-marker-" + std::to_string(getpid());
  constexpr int kOpens = 5000;
  for (int i = 0; i < kOpens; ++i) {
    ASSERT_LT(open(marker.c_str(), O_RDONLY), 0);  // no consumer runs meanwhile
  }
  SensorStats before = sensor->Stats();
  EXPECT_GT(before.drops, 0u);
  ASSERT_FALSE(before.drops_per_cpu.empty());
  EXPECT_EQ(std::accumulate(before.drops_per_cpu.begin(), before.drops_per_cpu.end(), 0ULL),
            before.drops);
  int mine = 0;
  std::function<void(const Event&)> cb = [&](const Event& ev) {
    const Arg* a = ev.Find(ArgId::kName);
    if (ev.tgid == static_cast<uint32_t>(getpid()) && a && a->str == marker) ++mine;
  };
  while (sensor->Poll(0, cb) > 0) {
  }
  EXPECT_GT(mine, 0);
  EXPECT_LT(mine, kOpens);
  SensorStats after = sensor->Stats();
  EXPECT_EQ(after.decode_errors, 0u);
  // everything the probes emitted was read, the rest was dropped
  EXPECT_EQ(after.records, after.emitted);
  EXPECT_GE(after.drops + after.emitted, static_cast<uint64_t>(kOpens));
}

// Milliseconds from an open made 300 ms in until its event is delivered, polling in 2 s
// slices with a drain interval far longer than that: without a forced wake-up the event
// waits for the next slice.
long MarkerLatencyMs(std::size_t wakeup_backlog) {
  SensorOptions o = testing::TestOptions();
  o.interest.reset();
  o.interest.set(static_cast<std::size_t>(EventType::kOpenat));
  o.wakeup_backlog_bytes = wakeup_backlog;
  o.drain_interval_ms = 100000;
  std::string error;
  auto sensor = Sensor::Open(o, &error);
  EXPECT_NE(sensor, nullptr) << error;
  if (!sensor) return -1;
  const std::string marker = "/vigil-wakeup-marker-" + std::to_string(getpid());
  bool seen = false;
  std::function<void(const Event&)> cb = [&](const Event& ev) {
    const Arg* a = ev.Find(ArgId::kName);
    if (ev.tgid == static_cast<uint32_t>(getpid()) && a && a->str == marker) seen = true;
  };
  std::chrono::steady_clock::time_point opened;
  std::thread opener([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    opened = std::chrono::steady_clock::now();
    (void)open(marker.c_str(), O_RDONLY);
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (!seen && std::chrono::steady_clock::now() < deadline) sensor->Poll(2000, cb);
  auto delivered = std::chrono::steady_clock::now();
  opener.join();
  EXPECT_TRUE(seen);
  return static_cast<long>(
      std::chrono::duration_cast<std::chrono::milliseconds>(delivered - opened).count());
}

// (The opposite case — no wake-up below the backlog — is not asserted: on a busy machine
// other processes' records keep Poll() returning early, so it cannot be measured reliably.)
TEST(SensorDrops, ForcedWakeupPastBacklogDeliversPromptly) {
  EXPECT_LT(MarkerLatencyMs(1), 1000);  // every record forces a wake-up
}

}  // namespace
}  // namespace vigil
