// reserved_port.h — a loopback TCP port that stays one test's for the object's life, so a
// receiver can stop and start again on it while other tests run in parallel. It is taken
// below the kernel's ephemeral range (no bind(0) or outgoing connect anywhere on the host
// is handed it) and locked with flock(2) on /tmp/vigil-test-ports/<port> against the other
// test processes that reserve ports the same way. Test-only.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>

namespace vigil::testing {

class ReservedPort {
 public:
  ReservedPort() {
    const auto [low, high] = Range();
    ::mkdir(kLockDir, 01777);
    std::random_device seed;
    const uint32_t span = high - low;
    const uint32_t start = seed() % span;
    for (uint32_t i = 0; i < span; ++i) {
      const auto port = static_cast<uint16_t>(low + (start + i) % span);
      const std::string lock_path = std::string(kLockDir) + "/" + std::to_string(port);
      const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
      if (fd < 0) continue;
      if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && Bindable(port)) {
        lock_fd_ = fd;
        port_ = port;
        return;
      }
      ::close(fd);
    }
    throw std::runtime_error("no free loopback port below the ephemeral range");
  }
  ~ReservedPort() {
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }
  ReservedPort(const ReservedPort&) = delete;
  ReservedPort& operator=(const ReservedPort&) = delete;

  uint16_t port() const { return port_; }

 private:
  static constexpr const char* kLockDir = "/tmp/vigil-test-ports";

  // A window of ports outside /proc/sys/net/ipv4/ip_local_port_range: just below it, or
  // just above it when it starts too low.
  static std::pair<uint32_t, uint32_t> Range() {
    uint32_t first = 32768, last = 60999;
    std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> first >> last;
    if (first >= 10024) return {first - 9000, first};
    if (last <= 55535) return {last + 1, last + 9001};
    throw std::runtime_error("the ephemeral port range leaves no room for test ports");
  }

  static bool Bindable(uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  }

  int lock_fd_ = -1;
  uint16_t port_ = 0;
};

}  // namespace vigil::testing
