// sink_bench — delivery numbers for issue 18, printed as a table (plain program):
//   * alerts/s each network sink sustains to its real receiver on loopback (HTTP server in
//     process, syslog TCP collector in process, redis-server, nats-server -js), with the
//     disk spool on (the default) and off;
//   * disk spool append and replay rates (records/s, MB/s) for Falco-JSON-sized records;
//   * alert latency (Submit -> receiver acknowledged) p50/p99/max with the spool on and
//     the receiver healthy, at a steady 1000 alerts/s.
// Usage: build/bench/sinks/sink_bench [alerts_per_sink=20000] [sink...]   (default: all four;
// naming sinks, e.g. `nats`, measures only those and skips the spool rates)
// (redis-server runs with appendfsync everysec here, Redis's default.)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include <spdlog/spdlog.h>

#include "receivers.h"
#include "vigil/disk_spool.h"
#include "vigil/falco_json_format.h"
#include "vigil/output_manager.h"

namespace vigil {
namespace {

using Clock = std::chrono::steady_clock;

uint64_t WallNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Wraps the real sink: after each Write, the latency of every delivered record is
// now - alert.ts_ns (the bench stamps ts_ns at Submit; it survives the spool).
class TimingSink final : public Sink {
 public:
  explicit TimingSink(std::unique_ptr<Sink> inner) : inner_(std::move(inner)) {}
  std::string_view kind() const noexcept override { return inner_->kind(); }
  std::size_t max_batch() const noexcept override { return inner_->max_batch(); }
  std::size_t Write(std::span<const FormattedAlert> records) noexcept override {
    const std::size_t n = inner_->Write(records);
    const uint64_t now = WallNs();
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < n; ++i) latencies_.push_back(now - records[i].alert->ts_ns);
    return n;
  }
  std::vector<uint64_t> latencies() {
    std::lock_guard lock(mu_);
    return latencies_;
  }

 private:
  std::unique_ptr<Sink> inner_;
  std::mutex mu_;
  std::vector<uint64_t> latencies_;
};

std::unique_ptr<Sink> MakeSink(const OutputsConfig& c, const std::string& kind) {
  if (kind == "http") return std::make_unique<HttpSink>(c.http.options, c.http.format);
  if (kind == "syslog") return std::make_unique<SyslogSink>(c.syslog.options);
  if (kind == "redis") return std::make_unique<RedisSink>(c.redis.options);
  return std::make_unique<NatsSink>(c.nats.options);
}

std::unique_ptr<testing::Receiver> MakeReceiver(const std::string& kind, const std::string& dir) {
  if (kind == "http") return std::make_unique<testing::HttpReceiver>();
  if (kind == "syslog") return std::make_unique<testing::SyslogTcpReceiver>();
  if (kind == "redis") return std::make_unique<testing::RedisReceiver>(dir, /*fsync_always=*/false);
  return std::make_unique<testing::NatsReceiver>(dir);
}

struct Manager {
  std::unique_ptr<OutputManager> outputs;
  TimingSink* timing = nullptr;
};

Manager Build(const std::string& kind, testing::Receiver& receiver, const std::string& spool_dir, bool spool) {
  OutputsConfig c;
  receiver.Configure(&c);
  Manager m;
  m.outputs = std::make_unique<OutputManager>(OutputManager::Options{});
  auto timing = std::make_unique<TimingSink>(MakeSink(c, kind));
  m.timing = timing.get();
  std::unique_ptr<DiskSpool> disk;
  if (spool) {
    std::string error;
    disk = DiskSpool::Open({.dir = spool_dir + "/" + kind}, &error);
    if (!disk) std::fprintf(stderr, "spool: %s\n", error.c_str());
  }
  SinkOptions options{.name = kind, .format = OutputFormat::kJson, .queue_capacity = 1'000'000};
  m.outputs->AddSink(options, std::move(timing), std::move(disk));
  return m;
}

double Percentile(std::vector<uint64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return static_cast<double>(v[std::min(v.size() - 1, static_cast<std::size_t>(p * v.size()))]) / 1e6;
}

void Throughput(const std::string& kind, int count, const std::string& dir) {
  for (bool spool : {true, false}) {
    testing::ScratchDir run;
    auto receiver = MakeReceiver(kind, run.path());
    receiver->Start();
    Manager m = Build(kind, *receiver, run.path() + "/spool", spool);
    Alert alert = testing::SampleAlert();
    const auto start = Clock::now();
    for (int i = 0; i < count; ++i) {
      alert.ts_ns = WallNs();
      m.outputs->Submit(alert);
    }
    const bool flushed = m.outputs->Flush(std::chrono::minutes(5));
    const double s = std::chrono::duration<double>(Clock::now() - start).count();
    const SinkStats st = m.outputs->Stats()[0];
    std::printf("%-7s spool=%-3s  %7d alerts in %6.2f s  %9.0f alerts/s  sent=%llu failed=%llu%s\n", kind.c_str(),
                spool ? "on" : "off", count, s, count / s, static_cast<unsigned long long>(st.sent),
                static_cast<unsigned long long>(st.failed), flushed ? "" : "  (flush timed out)");
    m.outputs.reset();
    receiver->Stop();
  }
  (void)dir;
}

void Latency(const std::string& kind, int rate, double seconds, bool spool) {
  testing::ScratchDir run;
  auto receiver = MakeReceiver(kind, run.path());
  receiver->Start();
  Manager m = Build(kind, *receiver, run.path() + "/spool", spool);
  Alert alert = testing::SampleAlert();
  const auto period = std::chrono::nanoseconds(1'000'000'000 / rate);
  auto next = Clock::now();
  const int count = static_cast<int>(rate * seconds);
  for (int i = 0; i < count; ++i) {
    std::this_thread::sleep_until(next);
    next += period;
    alert.ts_ns = WallNs();
    m.outputs->Submit(alert);
  }
  m.outputs->Flush(std::chrono::seconds(30));
  const auto lat = m.timing->latencies();
  std::printf("%-7s latency at %d alerts/s, spool %-3s %zu alerts: p50 %.2f ms  p99 %.2f ms  max %.2f ms\n",
              kind.c_str(), rate, spool ? "on," : "off,", lat.size(), Percentile(lat, 0.50), Percentile(lat, 0.99), Percentile(lat, 1.0));
  m.outputs.reset();
  receiver->Stop();
}

void SpoolRates(int count) {
  testing::ScratchDir dir;
  std::string error;
  auto spool = DiskSpool::Open({.dir = dir.path(), .max_bytes = 1ull << 30}, &error);
  Alert alert = testing::SampleAlert();
  const std::string payload = FormatFalcoJson(alert);
  auto start = Clock::now();
  for (int i = 0; i < count; ++i) spool->Append(payload, WallNs(), &error);
  double s = std::chrono::duration<double>(Clock::now() - start).count();
  const double mb = static_cast<double>(count) * (payload.size() + 20) / 1e6;
  std::printf("spool append: %d records of %zu B in %.2f s  %9.0f records/s  %6.1f MB/s\n", count, payload.size(), s,
              count / s, mb / s);
  spool.reset();
  start = Clock::now();
  spool = DiskSpool::Open({.dir = dir.path(), .max_bytes = 1ull << 30}, &error);  // scan + validate
  const double open_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<std::string> got;
  std::size_t replayed = 0;
  while (spool->Peek(256, &got) > 0) {
    replayed += got.size();
    spool->Ack(got.size());
  }
  s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("spool replay: %zu records in %.2f s (open + scan %.2f s)  %9.0f records/s  %6.1f MB/s\n", replayed, s,
              open_s, replayed / s, mb / s);
}

}  // namespace
}  // namespace vigil

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  const int count = argc > 1 ? std::atoi(argv[1]) : 20000;
  std::vector<std::string> kinds(argv + std::min(argc, 2), argv + argc);
  if (kinds.empty()) {
    kinds = {"http", "syslog", "redis", "nats"};
    vigil::SpoolRates(200000);
  }
  for (const auto& kind : kinds) vigil::Throughput(kind, count, "");
  for (const auto& kind : kinds) {
    vigil::Latency(kind, 1000, 5.0, true);
    vigil::Latency(kind, 1000, 5.0, false);
  }
  return 0;
}
