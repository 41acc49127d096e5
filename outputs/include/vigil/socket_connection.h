// socket_connection.h — a client socket (TCP, UDP, unix stream/datagram) that connects
// lazily, reconnects after failures with exponential backoff, and bounds every blocking
// step with a timeout. Used by the syslog and unix-socket sinks.
// Owner: one sink, on its worker thread. Not thread safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "vigil/unique_fd.h"

namespace vigil {

struct SocketEndpoint {
  enum class Kind : uint8_t { kTcp, kUdp, kUnixStream, kUnixDatagram };
  Kind kind = Kind::kTcp;
  std::string host;     // kTcp/kUdp: name or address
  uint16_t port = 0;    // kTcp/kUdp
  std::string path;     // kUnix*: socket path
};

class SocketConnection {
 public:
  struct Options {
    std::chrono::milliseconds timeout{2000};         // connect and per-send limit
    std::chrono::milliseconds backoff_initial{100};  // first wait after a failed connect
    std::chrono::milliseconds backoff_max{10000};
  };
  SocketConnection(SocketEndpoint endpoint, Options options);

  // Sends `data` (one datagram for datagram sockets). Connects first if needed; on failure
  // reconnects once and resends. While in backoff after a failed connect it fails at once
  // (never blocks the sink). Returns false on failure; last_error() says why.
  bool Send(std::string_view data) noexcept;
  // Drops the connection; the next Send reconnects (no backoff).
  void Reset() noexcept;
  bool connected() const noexcept { return fd_.valid(); }
  uint64_t connects() const noexcept { return connects_; }
  const std::string& last_error() const noexcept { return last_error_; }

 private:
  bool Connect() noexcept;
  // Stream sockets: the peer closed its end (or the socket has an error).
  bool PeerClosed() noexcept;

  SocketEndpoint endpoint_;
  Options options_;
  UniqueFd fd_;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  uint64_t connects_ = 0;
  std::string last_error_;
};

}  // namespace vigil
