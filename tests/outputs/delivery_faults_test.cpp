// Lossless delivery with real faults against real receivers on loopback (HTTP, syslog
// TCP, redis-server, nats-server -js): the receivers stop for 30 s while alerts flow and
// come back; the process holding the spool is SIGKILLed mid-outage and a new one delivers
// what it spooled; the spool's disk (a small tmpfs) fills up and frees again.
// Every alert must arrive, in order; a duplicate only ever repeats an alert's uuid.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/mount.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>

#include "receivers.h"
#include "vigil/output_manager.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::Receiver;
using testing::ScratchDir;
using testing::WaitFor;

Alert Numbered(int n) {
  Alert a = testing::SampleAlert("n=" + std::to_string(n) + ";");
  a.ts_ns += static_cast<uint64_t>(n);
  return a;
}

struct Received {
  std::vector<int> order;          // n of each distinct uuid, in first-arrival order
  std::size_t duplicates = 0;
  bool uuid_mismatch = false;      // one uuid carried two different alerts
  std::string problem;
};

Received Analyse(const std::vector<std::string>& records) {
  Received r;
  std::map<std::string, int> by_uuid;
  for (const auto& text : records) {
    const auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.contains("uuid")) {
      r.problem = "not a JSON alert with a uuid: " + text;
      continue;
    }
    const std::string output = j["output"];
    const auto pos = output.find("n=");
    const int n = std::atoi(output.c_str() + pos + 2);
    const auto [it, fresh] = by_uuid.emplace(j["uuid"], n);
    if (fresh) {
      r.order.push_back(n);
    } else {
      ++r.duplicates;
      if (it->second != n) r.uuid_mismatch = true;
    }
  }
  return r;
}

void ExpectAllInOrder(const Received& got, int count, const std::string& what) {
  EXPECT_TRUE(got.problem.empty()) << what << ": " << got.problem;
  EXPECT_FALSE(got.uuid_mismatch) << what;
  ASSERT_EQ(static_cast<int>(got.order.size()), count) << what;
  for (int i = 0; i < count; ++i) ASSERT_EQ(got.order[i], i) << what << " at " << i;
}

OutputsConfig SpooledConfig(const std::string& spool_dir) {
  OutputsConfig c;
  c.stdout_sink.enabled = false;
  c.spool.dir = spool_dir;
  c.spool.retry_backoff = 20ms;
  c.spool.max_retry_backoff = 200ms;
  return c;
}

std::unique_ptr<OutputManager> Create(const OutputsConfig& config) {
  std::vector<std::string> errors;
  auto m = OutputManager::Create(config, &errors);
  EXPECT_NE(m, nullptr) << (errors.empty() ? "" : errors[0]);
  return m;
}

std::unique_ptr<Receiver> MakeReceiver(const std::string& kind, const std::string& dir) {
  if (kind == "http") return std::make_unique<testing::HttpReceiver>();
  if (kind == "syslog") return std::make_unique<testing::SyslogTcpReceiver>();
  if (kind == "redis") return std::make_unique<testing::RedisReceiver>(dir);
  return std::make_unique<testing::NatsReceiver>(dir);
}

const SinkStats& StatsOf(const std::vector<SinkStats>& all, const std::string& name) {
  for (const auto& s : all) {
    if (s.name == name) return s;
  }
  static const SinkStats none;
  ADD_FAILURE() << "no sink " << name;
  return none;
}

// Every networked sink the issue names (HTTP/webhook, syslog TCP, Redis Streams, NATS
// JetStream) behind one OutputManager: their receivers are all down for the same 30 s (the
// issue's outage) while alerts keep flowing, then come back; each gets every alert, in
// order. One shared window keeps the test's time at one outage.
TEST(ReceiverOutage, EveryAlertArrivesInOrderOnEverySinkAfterA30sOutage) {
  constexpr std::chrono::milliseconds kOutage = 30s;
  const std::vector<std::string> kinds = {"http", "syslog", "redis", "nats"};
  ScratchDir dir;
  OutputsConfig config = SpooledConfig(dir.path() + "/spool");
  std::vector<std::unique_ptr<Receiver>> receivers;
  for (const auto& kind : kinds) {
    receivers.push_back(MakeReceiver(kind, dir.path()));
    receivers.back()->Start();
    receivers.back()->Configure(&config);
  }
  auto manager = Create(config);
  ASSERT_NE(manager, nullptr);

  int n = 0;
  for (; n < 20; ++n) manager->Submit(Numbered(n));
  for (auto& receiver : receivers) {
    ASSERT_TRUE(WaitFor(
        [&] {
          receiver->RestartIfExited();
          return Analyse(receiver->Records()).order.size() == 20;
        },
        30s))
        << receiver->name();
  }

  for (auto& receiver : receivers) receiver->Stop();
  const auto until = std::chrono::steady_clock::now() + kOutage;
  while (std::chrono::steady_clock::now() < until) {  // alerts keep flowing during the outage
    manager->Submit(Numbered(n++));
    std::this_thread::sleep_for(kOutage / 60);
  }
  const std::vector<SinkStats> during = manager->Stats();
  for (const auto& kind : kinds) {
    EXPECT_GT(StatsOf(during, kind).spool.records, 0u) << kind;
    EXPECT_GT(StatsOf(during, kind).failed, 0u) << kind;
  }

  for (auto& receiver : receivers) receiver->Start();
  for (int end = n + 10; n < end; ++n) manager->Submit(Numbered(n));
  for (auto& receiver : receivers) receiver->RestartIfExited();
  ASSERT_TRUE(manager->Flush(60s));
  const std::vector<SinkStats> after = manager->Stats();
  for (auto& receiver : receivers) {
    const std::string kind = receiver->name();
    // Delivered means taken by the receiver's socket: give it a moment to process.
    WaitFor(
        [&] {
          receiver->RestartIfExited();
          return static_cast<int>(Analyse(receiver->Records()).order.size()) >= n;
        },
        5s);
    const Received got = Analyse(receiver->Records());
    ExpectAllInOrder(got, n, kind);
    std::printf("%s: %d alerts, %zu duplicates\n", kind.c_str(), n, got.duplicates);
    EXPECT_EQ(StatsOf(after, kind).sent, static_cast<uint64_t>(n)) << kind;
    EXPECT_GT(StatsOf(after, kind).replayed, 0u) << kind;
    EXPECT_EQ(StatsOf(after, kind).spool.records, 0u) << kind;
    EXPECT_EQ(StatsOf(after, kind).dropped, 0u) << kind;
  }
  manager.reset();
  for (auto& receiver : receivers) receiver->Stop();
}

// The process holding the spool is killed with SIGKILL while the receiver is down; the
// next process with the same spool directory delivers everything it had spooled.
class KillMidOutage : public ::testing::TestWithParam<std::string> {};

TEST_P(KillMidOutage, SpooledAlertsArriveAfterRestart) {
  ScratchDir dir;
  auto receiver = MakeReceiver(GetParam(), dir.path());
  OutputsConfig config = SpooledConfig(dir.path() + "/spool");
  receiver->Configure(&config);
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  if (child == 0) {  // the "daemon": receiver down, 40 alerts, then killed
    std::vector<std::string> errors;
    auto manager = OutputManager::Create(config, &errors);
    if (manager == nullptr) _exit(2);
    for (int n = 0; n < 40; ++n) manager->Submit(Numbered(n));
    while (manager->Stats()[0].spool.records < 40) std::this_thread::sleep_for(5ms);
    if (write(ready[1], "k", 1) != 1) _exit(3);
    for (;;) pause();
  }
  close(ready[1]);
  char byte = 0;
  ASSERT_EQ(read(ready[0], &byte, 1), 1);
  close(ready[0]);
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  receiver->Start();
  auto manager = Create(config);
  ASSERT_NE(manager, nullptr);
  for (int n = 40; n < 50; ++n) manager->Submit(Numbered(n));
  ASSERT_TRUE(manager->Flush(20s));
  WaitFor([&] { return Analyse(receiver->Records()).order.size() >= 50; }, 5s);
  ExpectAllInOrder(Analyse(receiver->Records()), 50, GetParam());
  EXPECT_GE(manager->Stats()[0].replayed, 40u);
  manager.reset();
  receiver->Stop();
}

INSTANTIATE_TEST_SUITE_P(Sinks, KillMidOutage, ::testing::Values("http", "syslog", "redis", "nats"),
                         [](const auto& param_info) { return param_info.param; });

// A tmpfs mounted by the test (unmounted on the way out).
class SmallTmpfs {
 public:
  SmallTmpfs(const std::string& path, const std::string& size) : path_(path) {
    std::filesystem::create_directories(path_);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~SmallTmpfs() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

 private:
  std::string path_;
  bool mounted_ = false;
};

TEST(SpoolDiskFull, DropsAreCountedAndDeliveryResumesWhenSpaceIsFreed) {
  ScratchDir dir;
  SmallTmpfs tmpfs(dir.path() + "/small", "512k");
  ASSERT_TRUE(tmpfs.mounted()) << "mount tmpfs: " << std::strerror(errno);
  testing::SyslogTcpReceiver receiver;
  OutputsConfig config = SpooledConfig(dir.path() + "/small/spool");
  config.spool.max_bytes = 256 << 10;
  receiver.Configure(&config);
  auto manager = Create(config);
  ASSERT_NE(manager, nullptr);

  int n = 0;
  for (; n < 10; ++n) manager->Submit(Numbered(n));  // receiver down: spooled
  ASSERT_TRUE(WaitFor([&] { return manager->Stats()[0].spool.records == 10; }, 5s));
  // Fill the file system.
  const std::string filler = dir.path() + "/small/filler";
  {
    std::ofstream out(filler, std::ios::binary);
    const std::string block(4096, 'f');
    while (out.write(block.data(), block.size())) {
    }
  }
  for (int i = 0; i < 20; ++i) manager->Submit(Numbered(1000 + i));  // cannot be spooled
  ASSERT_TRUE(WaitFor([&] { return manager->Stats()[0].spool.write_failed >= 1; }, 5s));
  // The worker counts a batch's refusals after trying each record of it: wait until the
  // queue is empty and the batch in hand is accounted for.
  ASSERT_TRUE(WaitFor(
      [&] {
        const SinkStats s = manager->Stats()[0];
        return s.queue_depth == 0 && s.dropped == s.spool.write_failed;
      },
      5s));
  const SinkStats full = manager->Stats()[0];
  EXPECT_EQ(full.dropped, full.spool.write_failed);
  EXPECT_GE(full.spool.write_failed, 10u);  // a page of the open segment may still have had room

  std::filesystem::remove(filler);
  receiver.Start();
  for (int end = n + 10; n < end; ++n) manager->Submit(Numbered(n));
  ASSERT_TRUE(manager->Flush(20s));
  WaitFor([&] { return Analyse(receiver.Records()).order.size() >= 20; }, 5s);
  // The alerts refused during the full disk are the only gap.
  Received got = Analyse(receiver.Records());
  std::vector<int> expected_tail;
  std::vector<int> delivered;
  for (int v : got.order) {
    if (v < 1000) delivered.push_back(v);
  }
  ASSERT_EQ(delivered.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(delivered[i], i);
  EXPECT_EQ(manager->Stats()[0].spool.records, 0u);
  manager.reset();
  receiver.Stop();
}

}  // namespace
}  // namespace vigil
