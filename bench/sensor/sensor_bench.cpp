// sensor_bench — measures the eBPF sensor (run as root; not a test):
//  (a) delivery: events/s the sensor delivers during an open/close storm, with drops;
//  (b) overhead: open/close loop throughput with the sensor detached, attached but filtered
//      out (interest bitmap empty), and attached + emitting — interleaved rounds in one
//      process, medians and ratios printed as a table (stderr) and JSON (stdout).
// Usage: sensor_bench [--rounds N] [--seconds S] [--ring-mb M]
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "vigil/sensor.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Round {
  double ops_per_s = 0;
  double events_per_s = 0;
  uint64_t drops = 0;
  uint64_t events = 0;
};

// open("/dev/null") + close() as fast as possible for `seconds`.
double OpenCloseLoop(double seconds, uint64_t* ops_out) {
  uint64_t ops = 0;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  auto t0 = Clock::now();
  while (true) {
    for (int i = 0; i < 256; ++i) {
      int fd = open("/dev/null", O_RDONLY);
      if (fd >= 0) close(fd);
    }
    ops += 256;
    if (Clock::now() >= end) break;
  }
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  if (ops_out) *ops_out = ops;
  return static_cast<double>(ops) / secs;
}

// close(-1) as fast as possible: the cheapest traced syscall, a pure event storm.
double CloseStorm(double seconds) {
  uint64_t ops = 0;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  auto t0 = Clock::now();
  while (true) {
    for (int i = 0; i < 1024; ++i) (void)close(-1);
    ops += 1024;
    if (Clock::now() >= end) break;
  }
  return static_cast<double>(ops) / std::chrono::duration<double>(Clock::now() - t0).count();
}

enum class Mode { kDetached, kFiltered, kEmitting, kStorm };

Round RunRound(Mode mode, double seconds, std::size_t ring_mb) {
  Round r;
  if (mode == Mode::kDetached) {
    r.ops_per_s = OpenCloseLoop(seconds, nullptr);
    return r;
  }
  vigil::SensorOptions o;
  o.self_tgid = 0;  // the loop runs in this process
  o.ring_bytes = ring_mb << 20;
  o.interest.reset();
  if (mode == Mode::kStorm) {
    o.interest.set(static_cast<std::size_t>(vigil::EventType::kClose));
  }
  if (mode == Mode::kEmitting) {
    o.interest.set(static_cast<std::size_t>(vigil::EventType::kOpenat));
    o.interest.set(static_cast<std::size_t>(vigil::EventType::kClose));
  }
  std::string error;
  auto sensor = vigil::Sensor::Open(o, &error);
  if (!sensor) {
    std::fprintf(stderr, "sensor_bench: %s\n", error.c_str());
    std::exit(1);
  }
  const uint32_t me = static_cast<uint32_t>(getpid());
  std::atomic<bool> stop{false};
  uint64_t mine = 0;
  std::thread consumer([&] {
    std::function<void(const vigil::Event&)> cb = [&](const vigil::Event& ev) {
      if (ev.tgid == me) ++mine;
    };
    while (!stop.load(std::memory_order_relaxed)) sensor->Poll(5, cb);
    while (sensor->Poll(0, cb) > 0) {
    }
  });
  auto t0 = Clock::now();
  r.ops_per_s = mode == Mode::kStorm ? CloseStorm(seconds) : OpenCloseLoop(seconds, nullptr);
  stop = true;
  consumer.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  r.events = mine;
  r.events_per_s = static_cast<double>(mine) / secs;
  r.drops = sensor->Stats().drops;
  return r;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 5;
  double seconds = 1.0;
  std::size_t ring_mb = 64;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--ring-mb")) ring_mb = static_cast<std::size_t>(std::atoi(argv[i + 1]));
  }
  std::vector<double> detached, filtered, emitting, delivered;
  uint64_t drops = 0, events = 0;
  OpenCloseLoop(0.2, nullptr);  // warm-up
  for (int i = 0; i < rounds; ++i) {
    detached.push_back(RunRound(Mode::kDetached, seconds, ring_mb).ops_per_s);
    filtered.push_back(RunRound(Mode::kFiltered, seconds, ring_mb).ops_per_s);
    Round e = RunRound(Mode::kEmitting, seconds, ring_mb);
    emitting.push_back(e.ops_per_s);
    delivered.push_back(e.events_per_s);
    drops += e.drops;
    events += e.events;
  }
  std::vector<double> storm_ops, storm_events, storm_detached;
  uint64_t storm_drops = 0, storm_total = 0;
  for (int i = 0; i < rounds; ++i) {
    storm_detached.push_back(CloseStorm(seconds));
    Round s = RunRound(Mode::kStorm, seconds, ring_mb);
    storm_ops.push_back(s.ops_per_s);
    storm_events.push_back(s.events_per_s);
    storm_drops += s.drops;
    storm_total += s.events + s.drops;
  }
  const double d = Median(detached), f = Median(filtered), e = Median(emitting),
               ev = Median(delivered);
  std::fprintf(stderr, "%-34s %14s %8s\n", "open+close loop", "ops/s (median)", "ratio");
  std::fprintf(stderr, "%-34s %14.0f %8.2f\n", "sensor detached", d, 1.0);
  std::fprintf(stderr, "%-34s %14.0f %8.2f\n", "attached, interest empty", f, f / d);
  std::fprintf(stderr, "%-34s %14.0f %8.2f\n", "attached, openat+close emitted", e, e / d);
  std::fprintf(stderr, "%-34s %14.0f\n", "events delivered/s (emitting)", ev);
  std::fprintf(stderr, "%-34s %14llu of %llu\n", "drops (all emitting rounds)",
               static_cast<unsigned long long>(drops),
               static_cast<unsigned long long>(events + drops));
  std::fprintf(stderr, "%-34s %14.0f\n", "close(-1) storm, detached: calls/s",
               Median(storm_detached));
  std::fprintf(stderr, "%-34s %14.0f %8.2f\n", "close(-1) storm, emitting: calls/s",
               Median(storm_ops), Median(storm_ops) / Median(storm_detached));
  std::fprintf(stderr, "%-34s %14.0f\n", "close(-1) storm: events delivered/s", Median(storm_events));
  std::fprintf(stderr, "%-34s %14llu of %llu\n", "close(-1) storm: drops",
               static_cast<unsigned long long>(storm_drops),
               static_cast<unsigned long long>(storm_total));
  nlohmann::json j;
  j["storm"] = {{"detached_syscalls_per_s", Median(storm_detached)},
                {"syscalls_per_s", Median(storm_ops)},
                {"ratio", Median(storm_ops) / Median(storm_detached)},
                {"events_delivered_per_s", Median(storm_events)},
                {"drops", storm_drops},
                {"records", storm_total}};
  j["rounds"] = rounds;
  j["seconds_per_round"] = seconds;
  j["ring_mb"] = ring_mb;
  j["ops_per_s"] = {{"detached", d}, {"filtered", f}, {"emitting", e}};
  j["ratio"] = {{"filtered", f / d}, {"emitting", e / d}};
  j["events_delivered_per_s"] = ev;
  j["drops"] = drops;
  j["events"] = events;
  j["samples"] = {{"detached", detached}, {"filtered", filtered}, {"emitting", emitting}};
  std::printf("%s\n", j.dump(2).c_str());
  return 0;
}
