// Kernel test: flood control (probes/lib/flood.bpf.h, issue 13 part 4). A child floods the
// ring with cheap records (two threads opening junk relative paths) while the consumer is
// stalled; meanwhile another child ptraces and runs `cat /etc/shadow`. The exec, the ptrace
// and the open of /etc/shadow must all be reported, and the flooder must be named by a
// throttle summary (evt.type = drop) that says what it lost. Matches only the tgids of
// this test's children.
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "sensor_harness.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;

int Flood(std::chrono::milliseconds how_long) {
  const std::string junk = "vigil-flood-junk-" + std::to_string(getpid());
  std::atomic<bool> stop{false};
  auto spin = [&] {
    while (!stop.load(std::memory_order_relaxed)) (void)open(junk.c_str(), O_RDONLY);
  };
  std::thread a(spin), b(spin);
  std::this_thread::sleep_for(how_long);
  stop = true;
  a.join();
  b.join();
  return 0;
}

TEST(SensorFlood, FloodCannotHideExecPtraceAndShadowRead) {
  SensorOptions o = testing::TestOptions();
  o.ring_bytes = 1 << 20;
  o.throttle_events = 1024;
  std::string error;
  auto sensor = Sensor::Open(o, &error);
  ASSERT_NE(sensor, nullptr) << error;
  testing::Drain(*sensor);

  pid_t flooder = fork();
  ASSERT_GE(flooder, 0);
  if (flooder == 0) _exit(Flood(2500ms));
  testing::Track(flooder);
  std::this_thread::sleep_for(600ms);  // the ring is loaded by now: nobody reads it

  pid_t actor = fork();
  ASSERT_GE(actor, 0);
  if (actor == 0) {
    (void)ptrace(PTRACE_ATTACH, getpid(), 0, 0);  // EPERM: a ptrace call all the same
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1);
    execl("/bin/cat", "cat", "/etc/shadow", static_cast<char*>(nullptr));
    _exit(127);
  }
  testing::Track(actor);
  int status = 0;
  ASSERT_EQ(waitpid(actor, &status, 0), actor);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(waitpid(flooder, &status, 0), flooder);

  const auto a = static_cast<uint32_t>(actor), f = static_cast<uint32_t>(flooder);
  auto execs = testing::WaitFor(*sensor, [&](const Event& ev) {
    return ev.tgid == a && ev.type == EventType::kExecve && ev.exec &&
           ev.exec->exepath.find("cat") != std::string_view::npos;
  });
  EXPECT_EQ(execs.size(), 1u) << "exec of cat lost in the flood";
  auto traces = testing::WaitFor(*sensor, [&](const Event& ev) {
    return ev.tgid == a && ev.type == EventType::kPtrace;
  });
  EXPECT_EQ(traces.size(), 1u) << "ptrace lost in the flood";
  auto shadow = testing::WaitFor(*sensor, [&](const Event& ev) {
    const Arg* n = ev.Find(ArgId::kName);
    return ev.tgid == a && (ev.type == EventType::kOpenat || ev.type == EventType::kOpen) &&
           n && n->str == "/etc/shadow";
  });
  EXPECT_EQ(shadow.size(), 1u) << "open of /etc/shadow lost in the flood";

  auto begins = testing::WaitFor(*sensor, [&](const Event& ev) {
    const Arg* ph = ev.Find(ArgId::kPhase);
    return ev.tgid == f && ev.type == EventType::kDropped && ph && ph->str == "begin";
  });
  EXPECT_GE(begins.size(), 1u) << "no throttle summary names the flooder";
  auto ends = testing::WaitFor(*sensor, [&](const Event& ev) {
    const Arg* ph = ev.Find(ArgId::kPhase);
    return ev.tgid == f && ev.type == EventType::kDropped && ph && ph->str == "end";
  });
  ASSERT_GE(ends.size(), 1u) << "no closing throttle summary for the flooder";
  uint64_t dropped = 0;
  for (const auto& e : ends) {
    dropped += static_cast<uint64_t>(e.Num(ArgId::kDropped, 0));
    EXPECT_NE(e.Str(ArgId::kTypes).find("openat="), std::string::npos) << e.Str(ArgId::kTypes);
  }
  EXPECT_GT(dropped, 0u);
  // The victim's records were never throttled; the flooder's losses are counted by cause.
  SensorStats st = sensor->Stats();
  EXPECT_GT(st.drops_throttled, 0u);
  EXPECT_GE(st.throttles, 1u);
  EXPECT_EQ(st.drops, st.drops_ring_full + st.drops_scratch_busy + st.drops_reserve +
                          st.drops_throttled);
}

}  // namespace
}  // namespace vigil
