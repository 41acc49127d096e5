// Lossless delivery with real faults against real receivers on loopback (HTTP, syslog
// TCP, redis-server, nats-server -js): the receiver stops while alerts flow and comes
// back; the process holding the spool is SIGKILLed mid-outage and a new one delivers
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
using testing::TempDir;
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

// Outage length: 30 s for the HTTP sink (the scenario), 2 s for the others (the
// same code path: the retry backoff is capped at 200 ms here).
std::chrono::milliseconds OutageFor(const std::string& kind) { return kind == "http" ? 30s : 2s; }

class ReceiverOutage : public ::testing::TestWithParam<std::string> {};

TEST_P(ReceiverOutage, EveryAlertArrivesInOrderAfterTheReceiverComesBack) {
  TempDir dir;
  auto receiver = MakeReceiver(GetParam(), dir.path());
  receiver->Start();
  OutputsConfig config = SpooledConfig(dir.path() + "/spool");
  receiver->Configure(&config);
  auto manager = Create(config);
  ASSERT_NE(manager, nullptr);

  int n = 0;
  for (; n < 20; ++n) manager->Submit(Numbered(n));
  ASSERT_TRUE(WaitFor([&] { return Analyse(receiver->Records()).order.size() == 20; }, 10s));

  receiver->Stop();
  const auto outage = OutageFor(GetParam());
  const auto until = std::chrono::steady_clock::now() + outage;
  while (std::chrono::steady_clock::now() < until) {  // alerts keep flowing during the outage
    manager->Submit(Numbered(n++));
    std::this_thread::sleep_for(outage / 60);
  }
  const SinkStats during = manager->Stats()[0];
  EXPECT_GT(during.spool.records, 0u);
  EXPECT_GT(during.failed, 0u);

  receiver->Start();
  for (int end = n + 10; n < end; ++n) manager->Submit(Numbered(n));
  ASSERT_TRUE(manager->Flush(30s)) << GetParam();
  // Delivered means taken by the receiver's socket: give it a moment to process.
  WaitFor([&] { return static_cast<int>(Analyse(receiver->Records()).order.size()) >= n; }, 5s);
  ExpectAllInOrder(Analyse(receiver->Records()), n, GetParam());
  const SinkStats after = manager->Stats()[0];
  EXPECT_EQ(after.sent, static_cast<uint64_t>(n));
  EXPECT_GT(after.replayed, 0u);
  EXPECT_EQ(after.spool.records, 0u);
  EXPECT_EQ(after.dropped, 0u);
  manager.reset();
  receiver->Stop();
}

INSTANTIATE_TEST_SUITE_P(Sinks, ReceiverOutage, ::testing::Values("http", "syslog", "redis", "nats"),
                         [](const auto& param_info) { return param_info.param; });

// The process holding the spool is killed with SIGKILL while the receiver is down; the
// next process with the same spool directory delivers everything it had spooled.
class KillMidOutage : public ::testing::TestWithParam<std::string> {};

TEST_P(KillMidOutage, SpooledAlertsArriveAfterRestart) {
  TempDir dir;
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

INSTANTIATE_TEST_SUITE_P(Sinks, KillMidOutage, ::testing::Values("http", "syslog"),
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
  TempDir dir;
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
  ASSERT_TRUE(WaitFor([&] { return manager->Stats()[0].queue_depth == 0; }, 5s));
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
