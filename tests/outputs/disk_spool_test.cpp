// DiskSpool and QueuedSink-with-spool unit tests: order, restart, cap, corruption, lock,
// retry of a failing sink, uuid kept across the spool.
#include "vigil/disk_spool.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include "test_alerts.h"
#include "vigil/output_manager.h"
#include "vigil/spool_record.h"

namespace vigil {
namespace {

using testing::ScratchDir;
using testing::WaitFor;

std::unique_ptr<DiskSpool> OpenSpool(const std::string& dir, uint64_t max_bytes = 1 << 20,
                                     uint64_t segment_bytes = 0) {
  std::string error;
  auto spool = DiskSpool::Open({.dir = dir, .max_bytes = max_bytes, .segment_bytes = segment_bytes}, &error);
  EXPECT_NE(spool, nullptr) << error;
  return spool;
}

std::string Payload(int i) { return "record-" + std::to_string(i) + std::string(100, 'x'); }

// Drains the spool; returns the payloads in order.
std::vector<std::string> Drain(DiskSpool& spool, std::size_t batch = 7) {
  std::vector<std::string> all, got;
  while (spool.Peek(batch, &got) > 0) {
    all.insert(all.end(), got.begin(), got.end());
    spool.Ack(got.size());
  }
  return all;
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".seg") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(DiskSpool, DeliversInOrderAcrossSegments) {
  ScratchDir dir;
  auto spool = OpenSpool(dir.path(), 1 << 20, 4096);
  std::string error;
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(spool->Append(Payload(i), 1000 + i, &error)) << error;
  EXPECT_EQ(spool->Stats().records, 200u);
  EXPECT_EQ(spool->Stats().oldest_ns, 1000u);
  EXPECT_GT(SegmentFiles(dir.path()).size(), 3u);
  // A partial acknowledgement: the unacknowledged rest comes again.
  std::vector<std::string> got;
  ASSERT_EQ(spool->Peek(10, &got), 10u);
  spool->Ack(4);
  ASSERT_EQ(spool->Peek(1, &got), 1u);
  EXPECT_EQ(got[0], Payload(4));
  const auto rest = Drain(*spool);
  ASSERT_EQ(rest.size(), 196u);
  for (int i = 0; i < 196; ++i) EXPECT_EQ(rest[i], Payload(i + 4));
  EXPECT_TRUE(spool->empty());
  EXPECT_EQ(spool->Stats().delivered, 200u);
  EXPECT_EQ(spool->Stats().oldest_ns, 0u);
  EXPECT_LE(SegmentFiles(dir.path()).size(), 1u);  // delivered segments are deleted
}

TEST(DiskSpool, SurvivesReopenWithCursor) {
  ScratchDir dir;
  std::string error;
  {
    auto spool = OpenSpool(dir.path(), 1 << 20, 4096);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(spool->Append(Payload(i), 1, &error));
    std::vector<std::string> got;
    spool->Peek(20, &got);
    spool->Ack(20);
  }
  auto spool = OpenSpool(dir.path(), 1 << 20, 4096);
  EXPECT_EQ(spool->pending(), 30u);
  ASSERT_TRUE(spool->Append(Payload(50), 1, &error));
  const auto rest = Drain(*spool);
  ASSERT_EQ(rest.size(), 31u);
  for (int i = 0; i < 31; ++i) EXPECT_EQ(rest[i], Payload(i + 20));
}

TEST(DiskSpool, CapDropsOldestAndCounts) {
  ScratchDir dir;
  auto spool = OpenSpool(dir.path(), 64 << 10, 8 << 10);
  std::string error;
  for (int i = 0; i < 2000; ++i) ASSERT_TRUE(spool->Append(Payload(i), 1, &error)) << error;
  const DiskSpoolStats stats = spool->Stats();
  EXPECT_LE(stats.bytes, 64u << 10);
  EXPECT_GT(stats.dropped_cap, 0u);
  EXPECT_EQ(stats.dropped_cap + stats.records, 2000u);
  const auto rest = Drain(*spool);
  ASSERT_EQ(rest.size(), stats.records);
  EXPECT_EQ(rest.back(), Payload(1999));  // the newest are kept, in order
  for (std::size_t i = 0; i < rest.size(); ++i) EXPECT_EQ(rest[i], Payload(static_cast<int>(2000 - rest.size() + i)));
}

TEST(DiskSpool, TornTailAndFlippedBitsAreSkippedAndCounted) {
  ScratchDir dir;
  std::string error;
  {
    auto spool = OpenSpool(dir.path());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(spool->Append(Payload(i), 1, &error));
  }
  const auto files = SegmentFiles(dir.path());
  ASSERT_EQ(files.size(), 1u);
  const auto size = std::filesystem::file_size(files[0]);
  std::filesystem::resize_file(files[0], size - 5);  // a torn last record
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    const std::size_t record = (size / 10);
    f.seekp(static_cast<std::streamoff>(3 * record + 40));  // inside record 3's payload
    f.put('#');
  }
  auto spool = OpenSpool(dir.path());
  EXPECT_EQ(spool->Stats().corrupted, 2u);
  EXPECT_EQ(spool->pending(), 8u);
  const auto rest = Drain(*spool);
  ASSERT_EQ(rest.size(), 8u);
  EXPECT_EQ(rest[2], Payload(2));
  EXPECT_EQ(rest[3], Payload(4));
  EXPECT_EQ(rest[7], Payload(8));
  EXPECT_EQ(spool->Stats().corrupted, 2u);  // counted once
  // Garbage in a segment never crashes the reader.
  { std::ofstream(dir.path() + "/09999999999999999999.seg") << std::string(1000, 'V') << "VSP1garbage"; }
  spool.reset();
  spool = OpenSpool(dir.path());
  EXPECT_TRUE(Drain(*spool).empty());
  EXPECT_GE(spool->Stats().corrupted, 1u);
}

TEST(DiskSpool, OneProcessPerDirectory) {
  ScratchDir dir;
  auto spool = OpenSpool(dir.path());
  std::string error;
  EXPECT_EQ(DiskSpool::Open({.dir = dir.path()}, &error), nullptr);
  EXPECT_NE(error.find("already open"), std::string::npos) << error;
  EXPECT_TRUE(DiskSpool::OpenInThisProcess(dir.path()));
  const pid_t child = fork();
  if (child == 0) {
    std::string e;
    // Another spelling of the same directory: only the lock can tell (the in-process
    // registry was copied by fork).
    auto other = DiskSpool::Open({.dir = dir.path() + "/."}, &e);
    _exit(other == nullptr && e.find("in use by another process") != std::string::npos ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(SpoolRecord, RoundTripsTheFieldsSinksUse) {
  Alert a = testing::SampleAlert();
  a.uuid.fill('a');
  std::string payload, text;
  EncodeSpoolRecord(a, "the text", &payload);
  Alert b;
  ASSERT_TRUE(DecodeSpoolRecord(payload, &b, &text));
  EXPECT_EQ(text, "the text");
  EXPECT_EQ(b.rule, a.rule);
  EXPECT_EQ(b.hostname, a.hostname);
  EXPECT_EQ(b.priority, a.priority);
  EXPECT_EQ(b.ts_ns, a.ts_ns);
  EXPECT_EQ(b.uuid, a.uuid);
  EXPECT_FALSE(DecodeSpoolRecord(payload.substr(0, payload.size() - 1), &b, &text));
}

// Fails the first `failures` writes, then records what it is given.
class FlakySink final : public Sink {
 public:
  explicit FlakySink(int failures) : failures_(failures) {}
  std::string_view kind() const noexcept override { return "flaky"; }
  std::size_t Write(std::span<const FormattedAlert> records) noexcept override {
    std::lock_guard lock(mu_);
    if (failures_ > 0) {
      --failures_;
      return 0;
    }
    for (const auto& r : records) {
      texts_.push_back(r.text);
      uuids_.emplace_back(r.alert->uuid.data(), r.alert->uuid.size());
    }
    return records.size();
  }
  std::vector<std::string> texts() {
    std::lock_guard lock(mu_);
    return texts_;
  }
  std::vector<std::string> uuids() {
    std::lock_guard lock(mu_);
    return uuids_;
  }

 private:
  std::mutex mu_;
  int failures_;
  std::vector<std::string> texts_, uuids_;
};

TEST(QueuedSinkSpool, RetriesAFailingSinkAndKeepsOrderAndUuid) {
  ScratchDir dir;
  OutputManager manager({});
  auto sink = std::make_unique<FlakySink>(3);
  FlakySink* flaky = sink.get();
  SinkOptions options{.name = "flaky", .format = OutputFormat::kText};
  options.retry_backoff = std::chrono::milliseconds(10);
  options.max_retry_backoff = std::chrono::milliseconds(40);
  manager.AddSink(options, std::move(sink), OpenSpool(dir.path()));
  for (int i = 0; i < 100; ++i) manager.Submit(testing::SampleAlert("n=" + std::to_string(i)));
  ASSERT_TRUE(manager.Flush(std::chrono::seconds(10)));
  const auto texts = flaky->texts();
  ASSERT_EQ(texts.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_NE(texts[i].find(" n=" + std::to_string(i)), std::string::npos) << texts[i];
  const auto uuids = flaky->uuids();
  EXPECT_EQ(std::set<std::string>(uuids.begin(), uuids.end()).size(), 100u);
  EXPECT_EQ(uuids[0][14], '4');  // version 4
  const SinkStats stats = manager.Stats()[0];
  EXPECT_TRUE(stats.spool_enabled);
  EXPECT_EQ(stats.sent, 100u);
  EXPECT_GT(stats.failed, 0u);
  EXPECT_GT(stats.replayed, 0u);
  EXPECT_EQ(stats.spool.records, 0u);
  EXPECT_EQ(stats.dropped, 0u);
}

TEST(QueuedSinkSpool, StopKeepsUndeliveredAlertsForTheNextRun) {
  ScratchDir dir;
  {
    OutputManager manager({});
    manager.AddSink({.name = "down", .format = OutputFormat::kText}, std::make_unique<FlakySink>(1 << 30),
                    OpenSpool(dir.path()));
    for (int i = 0; i < 20; ++i) manager.Submit(testing::SampleAlert("n=" + std::to_string(i)));
    manager.Stop(std::chrono::milliseconds(200));
    EXPECT_EQ(manager.Stats()[0].dropped, 0u);
  }
  OutputManager manager({});
  auto sink = std::make_unique<FlakySink>(0);
  FlakySink* healthy = sink.get();
  manager.AddSink({.name = "up", .format = OutputFormat::kText}, std::move(sink), OpenSpool(dir.path()));
  ASSERT_TRUE(manager.Flush(std::chrono::seconds(10)));
  const auto texts = healthy->texts();
  ASSERT_EQ(texts.size(), 20u);
  EXPECT_NE(texts[19].find(" n=19"), std::string::npos);
  EXPECT_EQ(manager.Stats()[0].replayed, 20u);
}

}  // namespace
}  // namespace vigil

namespace vigil {
namespace {

// A reload builds the new outputs while the old ones still hold the spool: the new sink
// opens it once the old one closed, and delivers what the old one left, before its own.
TEST(QueuedSinkSpool, ReloadHandsTheSpoolOverToTheNewOutputs) {
  ScratchDir dir;
  OutputsConfig config;
  config.stdout_sink.enabled = false;
  config.spool.dir = dir.path();
  config.spool.retry_backoff = std::chrono::milliseconds(10);
  config.unix_socket.enabled = true;  // spools by default
  config.unix_socket.options.path = dir.path() + "/nobody.sock";
  std::vector<std::string> errors;
  auto old_outputs = OutputManager::Create(config, &errors);
  ASSERT_NE(old_outputs, nullptr) << errors[0];
  for (int i = 0; i < 5; ++i) old_outputs->Submit(testing::SampleAlert("old=" + std::to_string(i)));
  ASSERT_TRUE(WaitFor([&] { return old_outputs->Stats()[0].spool.records == 5; }));

  auto new_outputs = OutputManager::Create(config, &errors);  // spool still held: deferred
  ASSERT_NE(new_outputs, nullptr) << errors[0];
  EXPECT_TRUE(new_outputs->Stats()[0].spool_enabled);
  new_outputs->Submit(testing::SampleAlert("new=0"));
  old_outputs->Stop(std::chrono::milliseconds(50));
  old_outputs.reset();
  ASSERT_TRUE(WaitFor([&] { return new_outputs->Stats()[0].spool.records == 6; }));
  EXPECT_EQ(new_outputs->Stats()[0].dropped, 0u);
}

TEST(OutputsConfigSpool, ParsesSpoolAndFleetSinkKeys) {
  const YAML::Node node = YAML::Load(
      "spool: {dir: /tmp/x, max_bytes: 1048576, retry_backoff_ms: 50, max_retry_backoff_ms: 1000}\n"
      "http: {enabled: true, spool: false}\n"
      "nats: {enabled: true, url: 'nats://10.0.0.1:4222', subject: 'a.<hostname>', stream: S, create_stream: true,\n"
      "       creds_file: /etc/vigil/nats.creds, spool_max_bytes: 8192}\n"
      "redis: {enabled: true, host: 10.0.0.2, port: 6380, key: k, maxlen: 10, password_file: /etc/vigil/redis.pw}\n");
  OutputsConfig c;
  std::vector<std::string> errors;
  ASSERT_TRUE(ParseOutputsConfig(node, &c, &errors)) << errors[0];
  EXPECT_EQ(c.spool.dir, "/tmp/x");
  EXPECT_EQ(c.spool.max_bytes, 1048576u);
  EXPECT_EQ(c.spool.max_retry_backoff.count(), 1000);
  EXPECT_EQ(c.http.spool, false);
  EXPECT_FALSE(SpoolDefault(c, "stdout"));
  EXPECT_TRUE(SpoolDefault(c, "nats"));
  EXPECT_FALSE(SpoolDefault(c, "syslog"));  // local by default
  EXPECT_EQ(c.nats.options.subject, "a.<hostname>");
  EXPECT_TRUE(c.nats.options.create_stream);
  EXPECT_EQ(c.nats.spool_max_bytes, 8192u);
  EXPECT_EQ(c.redis.options.port, 6380);
  EXPECT_EQ(c.redis.options.maxlen, 10u);
  EXPECT_EQ(c.redis.options.password_file, "/etc/vigil/redis.pw");

  errors.clear();
  OutputsConfig bad;
  EXPECT_FALSE(ParseOutputsConfig(YAML::Load("nats: {create_stream: true}\nredis: {maxlen: -1}\nspool: {dirr: x}"),
                                  &bad, &errors));
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_NE(errors[0].find("outputs.nats.stream: create_stream needs a stream name"), std::string::npos) << errors[0];
}

TEST(NatsSubject, BuiltFromAlertFieldsAsValidTokens) {
  Alert a = testing::SampleAlert();
  a.hostname = "web-01.example.com";
  a.priority = Priority::kCritical;
  EXPECT_EQ(NatsSubject("vigil.alerts.<hostname>.<priority>", a), "vigil.alerts.web-01_example_com.critical");
  a.rule = "Read sensitive file *";
  EXPECT_EQ(NatsSubject("x.<rule>.<unknown>", a), "x.Read_sensitive_file__.<unknown>");
}

}  // namespace
}  // namespace vigil
