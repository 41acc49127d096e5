// unix_socket_sink.h — streams alerts, one record per line, to a listening unix stream
// socket (e.g. a local collector). Connects lazily, reconnects with backoff when the peer
// goes away; records written while disconnected are counted as failed and the failure is
// logged with its reason (rate-limited).
// Owner: a QueuedSink worker thread. Not thread safe by itself.
#pragma once

#include <string>

#include "vigil/failure_log.h"
#include "vigil/sink.h"
#include "vigil/socket_connection.h"

namespace vigil {

struct UnixSocketSinkOptions {
  std::string path = "/run/vigil/alerts.sock";
  std::chrono::milliseconds timeout{2000};
  std::chrono::milliseconds reconnect_backoff{100};  // doubles up to 10 s
};

class UnixSocketSink final : public Sink {
 public:
  explicit UnixSocketSink(UnixSocketSinkOptions options);
  std::string_view kind() const noexcept override { return "unix_socket"; }
  std::size_t Write(std::span<const FormattedAlert> records) noexcept override;
  void Reopen() noexcept override { connection_.Reset(); }
  const SocketConnection& connection() const noexcept { return connection_; }

 private:
  SocketConnection connection_;
  std::string buffer_;
  FailureLog log_;  // failures logged with the reason, at most once per 10 s
};

}  // namespace vigil
