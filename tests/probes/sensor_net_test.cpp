// Kernel tests: socket, bind, listen, connect, accept (IPv4, IPv6, unix) and sendto with
// decoded tuples. Listeners are created by the test on loopback with kernel-chosen ports.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "sensor_harness.h"

namespace vigil {
namespace {

using testing::OwnedEvent;
using testing::WaitFor;

uint32_t Me() { return static_cast<uint32_t>(getpid()); }

// Events of this test only: fd numbers are reused across tests.
uint64_t g_test_start_ns = 0;

class SensorNet : public ::testing::Test {
 protected:
  void SetUp() override { g_test_start_ns = testing::WallNowNs(); }
};

std::vector<OwnedEvent> MineWithFd(Sensor& s, EventType type, int64_t fd, std::size_t want = 1) {
  return WaitFor(s, [&](const Event& ev) {
    if (ev.tgid != Me() || ev.type != type || ev.ts_ns < g_test_start_ns) return false;
    const Arg* a = ev.Find(ArgId::kFd);
    return a && a->num == fd;
  }, want);
}

TEST_F(SensorNet, Ipv4ConnectAndAcceptCarryTuples) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(lfd, 8), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const uint16_t port = ntohs(addr.sin_port);
  int cfd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(cfd, 0);
  ASSERT_EQ(connect(cfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  sockaddr_in local{};
  len = sizeof(local);
  ASSERT_EQ(getsockname(cfd, reinterpret_cast<sockaddr*>(&local), &len), 0);
  const uint16_t cport = ntohs(local.sin_port);
  int afd = accept(lfd, nullptr, nullptr);
  ASSERT_GE(afd, 0);

  auto sock = WaitFor(*sensor, [&](const Event& ev) {
    return ev.tgid == Me() && ev.type == EventType::kSocket && ev.res == lfd;
  });
  ASSERT_EQ(sock.size(), 1u);
  EXPECT_EQ(sock[0].Num(ArgId::kDomain), AF_INET);
  EXPECT_EQ(sock[0].Num(ArgId::kType), SOCK_STREAM);
  EXPECT_EQ(sock[0].Num(ArgId::kFd), lfd);

  auto bind_ev = MineWithFd(*sensor, EventType::kBind, lfd);
  ASSERT_EQ(bind_ev.size(), 1u);
  EXPECT_EQ(bind_ev[0].tuple.dport, port);
  auto listen_ev = MineWithFd(*sensor, EventType::kListen, lfd);
  ASSERT_EQ(listen_ev.size(), 1u);
  EXPECT_EQ(listen_ev[0].Num(ArgId::kBacklog), 8);

  auto conn = MineWithFd(*sensor, EventType::kConnect, cfd);
  ASSERT_EQ(conn.size(), 1u);
  const OwnedEvent& c = conn[0];
  EXPECT_EQ(c.res, 0);
  ASSERT_TRUE(c.has_tuple);
  EXPECT_EQ(c.tuple.family, AF_INET);
  EXPECT_EQ(c.tuple.l4proto, IPPROTO_TCP);
  EXPECT_EQ(c.tuple.dport, port);
  EXPECT_EQ(c.tuple.sport, cport);
  const uint8_t lo[4] = {127, 0, 0, 1};
  EXPECT_EQ(std::memcmp(c.tuple.dip.data(), lo, 4), 0);
  EXPECT_EQ(std::memcmp(c.tuple.sip.data(), lo, 4), 0);

  auto acc = WaitFor(*sensor, [&](const Event& ev) {
    return ev.tgid == Me() && (ev.type == EventType::kAccept || ev.type == EventType::kAccept4) &&
           ev.res == afd;
  });
  ASSERT_EQ(acc.size(), 1u);
  ASSERT_TRUE(acc[0].has_tuple);
  EXPECT_EQ(acc[0].Num(ArgId::kFd), afd);
  // client -> server, like Falco
  EXPECT_EQ(acc[0].tuple.sport, cport);
  EXPECT_EQ(acc[0].tuple.dport, port);
  close(afd);
  close(cfd);
  close(lfd);
}

TEST_F(SensorNet, Ipv6ConnectCarriesAddresses) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  int lfd = socket(AF_INET6, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(lfd, 4), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int cfd = socket(AF_INET6, SOCK_STREAM, 0);
  ASSERT_EQ(connect(cfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  auto conn = MineWithFd(*sensor, EventType::kConnect, cfd);
  ASSERT_EQ(conn.size(), 1u);
  EXPECT_EQ(conn[0].tuple.family, AF_INET6);
  EXPECT_EQ(conn[0].tuple.dport, ntohs(addr.sin6_port));
  EXPECT_EQ(std::memcmp(conn[0].tuple.dip.data(), &in6addr_loopback, 16), 0);
  close(cfd);
  close(lfd);
}

TEST_F(SensorNet, UnixConnectCarriesPath) {
  Sensor* sensor = testing::SharedSensor();
  ASSERT_NE(sensor, nullptr);
  const std::string path = "/tmp/vigil-unix-" + std::to_string(getpid());
  unlink(path.c_str());
  int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(lfd, 4), 0);
  int cfd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(connect(cfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  auto conn = MineWithFd(*sensor, EventType::kConnect, cfd);
  ASSERT_EQ(conn.size(), 1u);
  EXPECT_EQ(conn[0].tuple.family, AF_UNIX);
  EXPECT_EQ(conn[0].unix_path, path);
  close(cfd);
  close(lfd);
  unlink(path.c_str());
}

TEST_F(SensorNet, SendtoOnlyWhenAskedFor) {
  ASSERT_NE(testing::SharedSensor(), nullptr);  // open before the action
  SensorOptions o = testing::TestOptions();
  o.capture_send_recv = true;
  std::string error;
  auto sensor = Sensor::Open(o, &error);
  ASSERT_NE(sensor, nullptr) << error;
  int rfd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(rfd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(rfd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  int sfd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_EQ(sendto(sfd, "hi!", 3, 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 3);
  auto ev = MineWithFd(*sensor, EventType::kSendto, sfd);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0].res, 3);
  EXPECT_EQ(ev[0].Num(ArgId::kSize), 3);
  EXPECT_EQ(ev[0].tuple.l4proto, IPPROTO_UDP);
  EXPECT_EQ(ev[0].tuple.dport, ntohs(addr.sin_port));
  // The shared sensor (capture_send_recv = false) must not have reported it.
  Sensor* shared = testing::SharedSensor();
  ASSERT_NE(shared, nullptr);
  EXPECT_TRUE(WaitFor(*shared, [&](const Event& e) {
                return e.tgid == Me() && e.type == EventType::kSendto;
              }, 1, 300).empty());
  close(sfd);
  close(rfd);
}

}  // namespace
}  // namespace vigil
