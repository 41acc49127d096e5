#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "test_alerts.h"
#include "vigil/failure_log.h"
#include "vigil/queued_sink.h"
#include "vigil/syslog_sink.h"
#include "vigil/unix_socket_sink.h"
#include "vigil/unique_fd.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::SampleAlert;

std::shared_ptr<const Alert> Critical(std::string output) {
  Alert a = SampleAlert(std::move(output));
  a.priority = Priority::kCritical;
  return std::make_shared<const Alert>(std::move(a));
}

// Binds a loopback socket of `type` on a random port; returns the fd and sets *port.
UniqueFd BindLoopback(int type, uint16_t* port) {
  UniqueFd fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}

UniqueFd BindUnix(const std::string& path, int type) {
  UniqueFd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

// Reads whatever arrives within `timeout` (one datagram, or a chunk of a stream).
std::string ReadSome(int fd, std::chrono::milliseconds timeout = 5s) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return {};
  char buf[65536];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

UniqueFd AcceptOne(int listen_fd) {
  pollfd p{listen_fd, POLLIN, 0};
  if (::poll(&p, 1, 5000) <= 0) return UniqueFd();
  return UniqueFd(::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
}

const std::regex kRfc5424(
    R"(^<130>1 2026-11-24T15:37:51\.123456Z test-host vigil \d+ alert - (\{.*\})$)");

TEST(SyslogSink, SendsRfc5424OverUdpOneMessagePerDatagram) {
  uint16_t port = 0;
  UniqueFd receiver = BindLoopback(SOCK_DGRAM, &port);
  SyslogSinkOptions options;
  options.transport = SyslogSinkOptions::Transport::kUdp;
  options.port = port;
  options.facility = *ParseSyslogFacility("local0");
  options.hostname = "test-host";
  QueuedSink sink({.name = "syslog"}, std::make_unique<SyslogSink>(options));
  sink.Submit(Critical("first"));
  sink.Submit(Critical("second\nline"));
  ASSERT_TRUE(sink.Flush(5s));
  EXPECT_EQ(sink.Stats().sent, 2u);
  for (const char* expected : {"first", "second\nline"}) {
    const std::string datagram = ReadSome(receiver.get());
    std::smatch m;
    ASSERT_TRUE(std::regex_match(datagram, m, kRfc5424)) << datagram;
    EXPECT_EQ(datagram.find('\n'), std::string::npos);
    EXPECT_EQ(nlohmann::json::parse(m[1].str())["output"],
              std::string("15:37:51.123456789: Critical ") + expected);
  }
}

TEST(SyslogSink, FramesRfc5424OverTcpWithOctetCounting) {
  uint16_t port = 0;
  UniqueFd listener = BindLoopback(SOCK_STREAM, &port);
  ASSERT_EQ(::listen(listener.get(), 4), 0);
  SyslogSinkOptions options;
  options.transport = SyslogSinkOptions::Transport::kTcp;
  options.port = port;
  options.hostname = "test-host";
  QueuedSink sink({.name = "syslog", .format = OutputFormat::kJson},
                  std::make_unique<SyslogSink>(options));
  sink.Submit(Critical("one"));
  sink.Submit(Critical("two"));
  ASSERT_TRUE(sink.Flush(5s));
  EXPECT_EQ(sink.Stats().sent, 2u);
  UniqueFd conn = AcceptOne(listener.get());
  ASSERT_TRUE(conn.valid());
  std::string stream;
  std::vector<std::string> messages;
  while (messages.size() < 2) {
    const std::string chunk = ReadSome(conn.get());
    ASSERT_FALSE(chunk.empty()) << "stream so far: " << stream;
    stream += chunk;
    // MSG-LEN SP SYSLOG-MSG, repeated.
    for (;;) {
      const std::size_t space = stream.find(' ');
      if (space == std::string::npos) break;
      const std::size_t len = std::stoul(stream.substr(0, space));
      if (stream.size() < space + 1 + len) break;
      messages.push_back(stream.substr(space + 1, len));
      stream.erase(0, space + 1 + len);
    }
  }
  EXPECT_TRUE(stream.empty());
  for (std::size_t i = 0; i < 2; ++i) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(messages[i], m, kRfc5424)) << messages[i];
    EXPECT_EQ(nlohmann::json::parse(m[1].str())["output"],
              std::string("15:37:51.123456789: Critical ") + (i == 0 ? "one" : "two"));
  }
}

TEST(SyslogSink, WritesGlibcStyleLinesToTheLocalDatagramSocket) {
  testing::ScratchDir dir;
  const std::string path = dir.File("log.sock");
  UniqueFd receiver = BindUnix(path, SOCK_DGRAM);
  SyslogSinkOptions options;
  options.transport = SyslogSinkOptions::Transport::kLocal;
  options.local_path = path;
  options.facility = *ParseSyslogFacility("daemon");
  QueuedSink sink({.name = "syslog", .format = OutputFormat::kText},
                  std::make_unique<SyslogSink>(options));
  sink.Submit(Critical("local\tmessage"));
  ASSERT_TRUE(sink.Flush(5s));
  EXPECT_EQ(sink.Stats().sent, 1u);
  // daemon (3) * 8 + critical (2) = 26
  EXPECT_EQ(ReadSome(receiver.get()), "<26>Nov 24 15:37:51 vigil[" + std::to_string(getpid()) +
                                          "]: 15:37:51.123456789: Critical local\\tmessage");
}

TEST(SyslogSink, CountsFailuresWhenNobodyListens) {
  testing::ScratchDir dir;
  SyslogSinkOptions options;
  options.transport = SyslogSinkOptions::Transport::kLocal;
  options.local_path = dir.File("nobody.sock");
  QueuedSink sink({.name = "syslog"}, std::make_unique<SyslogSink>(options));
  sink.Submit(Critical("lost"));
  ASSERT_TRUE(sink.Flush(5s));
  EXPECT_EQ(sink.Stats().failed, 1u);
  EXPECT_EQ(sink.Stats().sent, 0u);
}

// Captures spdlog's default logger's lines for the duration of a test.
class LogCapture {
 public:
  LogCapture() : ring_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64)), previous_(spdlog::default_logger()) {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", ring_));
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::vector<std::string> lines() { return ring_->last_formatted(); }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> ring_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(SyslogSink, LogsFailuresWithTheReasonRateLimited) {
  LogCapture capture;
  testing::ScratchDir dir;
  SyslogSinkOptions options;
  options.transport = SyslogSinkOptions::Transport::kLocal;
  options.local_path = dir.File("nobody.sock");
  {
    QueuedSink sink({.name = "syslog"}, std::make_unique<SyslogSink>(options));
    for (int i = 0; i < 5; ++i) sink.Submit(Critical("lost"));
    ASSERT_TRUE(sink.Flush(5s));
    EXPECT_EQ(sink.Stats().failed, 5u);
  }
  const auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 1u);  // five failures, one line within 10 s
  EXPECT_NE(lines[0].find("syslog " + options.local_path + " output: delivery failed: "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("No such file or directory"), std::string::npos) << lines[0];
}

TEST(FailureLog, CountsWhatItDidNotLogAndSaysWhenDeliveryResumes) {
  LogCapture capture;
  FailureLog log("unix_socket /run/x.sock", 50ms);
  log.Failed("connect: refused");
  log.Failed("connect: refused");
  log.Failed("connect: refused");
  std::this_thread::sleep_for(60ms);
  log.Failed("connect: refused");
  log.Succeeded();
  log.Succeeded();
  const auto lines = capture.lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("unix_socket /run/x.sock output: delivery failed: connect: refused"), std::string::npos);
  EXPECT_NE(lines[1].find("(2 more failure(s) in the last"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("delivering again"), std::string::npos) << lines[2];
}

TEST(SyslogSink, ParsesFacilitiesAndTransports) {
  EXPECT_EQ(ParseSyslogFacility("local7"), 23);
  EXPECT_EQ(ParseSyslogFacility("auth"), 4);
  EXPECT_FALSE(ParseSyslogFacility("local8").has_value());
  EXPECT_EQ(ParseSyslogTransport("tcp"), SyslogSinkOptions::Transport::kTcp);
  EXPECT_FALSE(ParseSyslogTransport("tls").has_value());
}

TEST(UnixSocketSink, StreamsLinesAndReconnectsAfterThePeerCloses) {
  testing::ScratchDir dir;
  const std::string path = dir.File("alerts.sock");
  UniqueFd listener = BindUnix(path, SOCK_STREAM);
  ASSERT_EQ(::listen(listener.get(), 4), 0);
  QueuedSink sink({.name = "unix_socket"},
                  std::make_unique<UnixSocketSink>(UnixSocketSinkOptions{.path = path}));
  sink.Submit(std::make_shared<const Alert>(SampleAlert("first")));
  ASSERT_TRUE(sink.Flush(5s));
  {
    UniqueFd conn = AcceptOne(listener.get());
    ASSERT_TRUE(conn.valid());
    const std::string line = ReadSome(conn.get());
    ASSERT_FALSE(line.empty());
    EXPECT_EQ(line.back(), '\n');
    EXPECT_EQ(nlohmann::json::parse(line)["output"], "15:37:51.123456789: Warning first");
  }  // the collector drops the connection
  sink.Submit(std::make_shared<const Alert>(SampleAlert("second")));
  ASSERT_TRUE(sink.Flush(5s));
  UniqueFd conn = AcceptOne(listener.get());
  ASSERT_TRUE(conn.valid());
  const std::string line = ReadSome(conn.get());
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(nlohmann::json::parse(line)["output"], "15:37:51.123456789: Warning second");
  EXPECT_EQ(sink.Stats().sent, 2u);
  EXPECT_EQ(sink.Stats().failed, 0u);
}

TEST(UnixSocketSink, CountsFailuresWhileTheListenerIsAbsent) {
  testing::ScratchDir dir;
  QueuedSink sink({.name = "unix_socket"}, std::make_unique<UnixSocketSink>(
                                               UnixSocketSinkOptions{.path = dir.File("absent.sock")}));
  for (int i = 0; i < 3; ++i) sink.Submit(std::make_shared<const Alert>(SampleAlert()));
  ASSERT_TRUE(sink.Flush(5s));
  EXPECT_EQ(sink.Stats().failed, 3u);
}

}  // namespace
}  // namespace vigil
