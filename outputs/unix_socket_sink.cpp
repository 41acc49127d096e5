#include "vigil/unix_socket_sink.h"

namespace vigil {

UnixSocketSink::UnixSocketSink(UnixSocketSinkOptions options)
    : connection_({.kind = SocketEndpoint::Kind::kUnixStream, .path = options.path},
                  {.timeout = options.timeout, .backoff_initial = options.reconnect_backoff}) {}

std::size_t UnixSocketSink::Write(std::span<const FormattedAlert> records) noexcept {
  buffer_.clear();
  for (const FormattedAlert& r : records) {
    buffer_.append(r.text);
    buffer_.push_back('\n');
  }
  return connection_.Send(buffer_) ? records.size() : 0;
}

}  // namespace vigil
