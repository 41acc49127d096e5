// syslog_sink.h — sends alerts to syslog: the local /dev/log datagram socket (RFC 3164
// line as glibc's syslog(3) writes it), or RFC 5424 over UDP (one message per datagram)
// or TCP (octet-counting framing, RFC 6587) to host:port. The syslog severity is the
// alert priority (Falco priorities are syslog severities); the facility is configurable.
// Delivery failures are logged with the reason (rate-limited) and counted.
// Owner: a QueuedSink worker thread. Not thread safe by itself.
#pragma once

#include <optional>
#include <string>

#include "vigil/failure_log.h"
#include "vigil/sink.h"
#include "vigil/socket_connection.h"

namespace vigil {

struct SyslogSinkOptions {
  enum class Transport : uint8_t { kLocal, kUdp, kTcp };
  Transport transport = Transport::kLocal;
  std::string local_path = "/dev/log";
  std::string host = "127.0.0.1";
  uint16_t port = 514;
  int facility = 16;              // local0
  std::string app_name = "vigil";
  std::string hostname;           // RFC 5424 HOSTNAME; empty = gethostname()
  std::chrono::milliseconds timeout{2000};
};

// "kern".."local7" (RFC 5424 names: user, daemon, auth, authpriv, syslog, local0-7...)
std::optional<int> ParseSyslogFacility(std::string_view name) noexcept;
std::optional<SyslogSinkOptions::Transport> ParseSyslogTransport(std::string_view name) noexcept;

class SyslogSink final : public Sink {
 public:
  explicit SyslogSink(SyslogSinkOptions options);
  std::string_view kind() const noexcept override { return "syslog"; }
  std::size_t Write(std::span<const FormattedAlert> records) noexcept override;
  void Reopen() noexcept override { connection_.Reset(); }
  const SocketConnection& connection() const noexcept { return connection_; }

  // The message for one alert, exactly as sent (without TCP's length prefix).
  std::string FormatMessage(const FormattedAlert& record) const;
  // "syslog tcp host:port" / "syslog udp host:port" / "syslog /dev/log".
  std::string Describe() const;

 private:
  SyslogSinkOptions options_;
  SocketConnection connection_;
  std::string procid_;
  std::string frame_;
  FailureLog log_;  // failures logged with the reason, at most once per 10 s
};

}  // namespace vigil
