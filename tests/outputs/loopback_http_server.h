// loopback_http_server.h — a tiny HTTP/1.1 server on 127.0.0.1:<random port> for tests:
// records every request (method, target, headers, body), answers with a settable status,
// keeps connections alive, counts connections. Plain sockets; test-only.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace vigil::testing {

class LoopbackHttpServer {
 public:
  struct Request {
    std::string request_line;
    std::string headers;  // raw header block, lower-cased
    std::string body;
  };

  // `port` 0 picks a free one; a given port lets a test restart the receiver where the
  // sink expects it (SO_REUSEADDR).
  explicit LoopbackHttpServer(int status = 200, uint16_t port = 0) : status_(status) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, 16);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~LoopbackHttpServer() {
    stop_ = true;
    acceptor_.join();
    for (auto& t : connections_) t.join();
    ::close(listen_fd_);
  }

  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  void set_status(int status) { status_ = status; }
  int connections() const { return connection_count_; }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::size_t request_count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }

 private:
  void AcceptLoop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      ++connection_count_;
      connections_.emplace_back([this, fd] { Serve(fd); });
    }
  }

  // Reads more bytes into *buf; false on EOF/error/stop.
  bool ReadMore(int fd, std::string* buf) {
    while (!stop_) {
      pollfd p{fd, POLLIN, 0};
      const int r = ::poll(&p, 1, 20);
      if (r == 0) continue;
      if (r < 0) return false;
      char chunk[65536];
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) return false;
      buf->append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    return false;
  }

  void Serve(int fd) {
    std::string buf;
    for (;;) {
      std::size_t header_end;
      while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!ReadMore(fd, &buf)) return ::close(fd), void();
      }
      Request req;
      std::string head = buf.substr(0, header_end);
      req.request_line = head.substr(0, head.find("\r\n"));
      for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers = head;
      std::size_t content_length = 0;
      if (auto pos = head.find("content-length:"); pos != std::string::npos) {
        content_length = std::stoul(head.substr(pos + 15));
      }
      buf.erase(0, header_end + 4);
      while (buf.size() < content_length) {
        if (!ReadMore(fd, &buf)) return ::close(fd), void();
      }
      req.body = buf.substr(0, content_length);
      buf.erase(0, content_length);
      {
        std::lock_guard lock(mu_);
        requests_.push_back(std::move(req));
      }
      const std::string response = "HTTP/1.1 " + std::to_string(status_.load()) +
                                   " Test\r\nContent-Length: 2\r\n\r\nok";
      if (::write(fd, response.data(), response.size()) < 0) return ::close(fd), void();
    }
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<int> status_;
  std::atomic<bool> stop_{false};
  std::atomic<int> connection_count_{0};
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  std::thread acceptor_;
  std::vector<std::thread> connections_;  // touched by the acceptor thread, then joined
};

// A TCP port on 127.0.0.1 with nothing listening (bound, then closed).
inline uint16_t RefusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace vigil::testing
