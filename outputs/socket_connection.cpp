#include "vigil/socket_connection.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace vigil {
namespace {

bool IsStream(SocketEndpoint::Kind kind) {
  return kind == SocketEndpoint::Kind::kTcp || kind == SocketEndpoint::Kind::kUnixStream;
}

// Non-blocking connect bounded by `timeout`, then back to blocking with send timeouts.
bool ConnectWithTimeout(int fd, const sockaddr* addr, socklen_t len,
                        std::chrono::milliseconds timeout, std::string* error) {
  const int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  if (::connect(fd, addr, len) != 0) {
    if (errno != EINPROGRESS) {
      *error = std::string("connect: ") + std::strerror(errno);
      return false;
    }
    pollfd p{fd, POLLOUT, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready <= 0) {
      *error = ready == 0 ? "connect: timed out" : std::string("poll: ") + std::strerror(errno);
      return false;
    }
    int so_error = 0;
    socklen_t so_len = sizeof so_error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &so_len);
    if (so_error != 0) {
      *error = std::string("connect: ") + std::strerror(so_error);
      return false;
    }
  }
  fcntl(fd, F_SETFL, flags);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return true;
}

}  // namespace

SocketConnection::SocketConnection(SocketEndpoint endpoint, Options options)
    : endpoint_(std::move(endpoint)), options_(options) {}

void SocketConnection::Reset() noexcept { fd_.reset(); }

bool SocketConnection::Connect() noexcept {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) {
    last_error_ = "reconnect backoff: " + last_error_.substr(0, 200);
    return false;
  }
  std::string error;
  bool ok = false;
  if (endpoint_.kind == SocketEndpoint::Kind::kUnixStream ||
      endpoint_.kind == SocketEndpoint::Kind::kUnixDatagram) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (endpoint_.path.size() >= sizeof addr.sun_path) {
      error = "socket path too long: " + endpoint_.path;
    } else {
      std::memcpy(addr.sun_path, endpoint_.path.c_str(), endpoint_.path.size() + 1);
      const int type = endpoint_.kind == SocketEndpoint::Kind::kUnixStream ? SOCK_STREAM : SOCK_DGRAM;
      UniqueFd fd(::socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
      if (fd.valid() && ConnectWithTimeout(fd.get(), reinterpret_cast<const sockaddr*>(&addr),
                                           sizeof addr, options_.timeout, &error)) {
        fd_ = std::move(fd);
        ok = true;
      } else if (!fd.valid()) {
        error = std::string("socket: ") + std::strerror(errno);
      }
      if (!ok) error = endpoint_.path + ": " + error;
    }
  } else {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = IsStream(endpoint_.kind) ? SOCK_STREAM : SOCK_DGRAM;
    addrinfo* result = nullptr;
    const std::string port = std::to_string(endpoint_.port);
    const int rc = ::getaddrinfo(endpoint_.host.c_str(), port.c_str(), &hints, &result);
    if (rc != 0) {
      error = endpoint_.host + ": " + gai_strerror(rc);
    } else {
      for (addrinfo* ai = result; ai != nullptr && !ok; ai = ai->ai_next) {
        UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
        if (!fd.valid()) {
          error = std::string("socket: ") + std::strerror(errno);
          continue;
        }
        if (ConnectWithTimeout(fd.get(), ai->ai_addr, ai->ai_addrlen, options_.timeout, &error)) {
          fd_ = std::move(fd);
          ok = true;
        }
      }
      ::freeaddrinfo(result);
      if (!ok) error = endpoint_.host + ":" + port + ": " + error;
    }
  }
  if (ok) {
    ++connects_;
    backoff_ = std::chrono::milliseconds(0);
    next_attempt_ = {};
    return true;
  }
  last_error_ = error;
  backoff_ = backoff_.count() == 0 ? options_.backoff_initial
                                   : std::min(backoff_ * 2, options_.backoff_max);
  next_attempt_ = now + backoff_;
  return false;
}

bool SocketConnection::PeerClosed() noexcept {
  if (!fd_.valid() || !IsStream(endpoint_.kind)) return false;
  char byte;
  const ssize_t n = ::recv(fd_.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

bool SocketConnection::Send(std::string_view data) noexcept {
  // A receiver that closed (restart, shutdown) would still take one write into the void
  // before the RST: notice the FIN first and reconnect, so no record is lost that way.
  if (PeerClosed()) fd_.reset();
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!fd_.valid() && !Connect()) return false;
    if (WriteAll(fd_.get(), data, /*is_socket=*/true)) return true;
    last_error_ = std::string("send: ") + std::strerror(errno);
    fd_.reset();  // broken (peer closed, receiver restarted): reconnect and resend once
  }
  return false;
}

}  // namespace vigil
