#include "vigil/unix_socket_sink.h"

namespace vigil {

UnixSocketSink::UnixSocketSink(UnixSocketSinkOptions options)
    : connection_({.kind = SocketEndpoint::Kind::kUnixStream, .path = options.path},
                  {.timeout = options.timeout, .backoff_initial = options.reconnect_backoff}),
      log_("unix_socket " + options.path) {}

std::size_t UnixSocketSink::Write(std::span<const FormattedAlert> records) noexcept {
  buffer_.clear();
  for (const FormattedAlert& r : records) {
    buffer_.append(r.text);
    buffer_.push_back('\n');
  }
  if (!connection_.Send(buffer_)) {
    log_.Failed(connection_.last_error());
    return 0;
  }
  log_.Succeeded();
  return records.size();
}

}  // namespace vigil
