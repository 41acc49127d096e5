#include "vigil/syslog_sink.h"

#include <unistd.h>

#include <array>

#include "vigil/alert_time.h"

namespace vigil {
namespace {

constexpr std::array<std::string_view, 24> kFacilities = {
    "kern",   "user",   "mail",   "daemon", "auth",   "syslog", "lpr",    "news",
    "uucp",   "cron",   "authpriv", "ftp",  "ntp",    "audit",  "alert",  "clock",
    "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"};

SocketEndpoint EndpointFor(const SyslogSinkOptions& o) {
  SocketEndpoint e;
  switch (o.transport) {
    case SyslogSinkOptions::Transport::kLocal:
      e.kind = SocketEndpoint::Kind::kUnixDatagram;
      e.path = o.local_path;
      break;
    case SyslogSinkOptions::Transport::kUdp:
      e.kind = SocketEndpoint::Kind::kUdp;
      break;
    case SyslogSinkOptions::Transport::kTcp:
      e.kind = SocketEndpoint::Kind::kTcp;
      break;
  }
  e.host = o.host;
  e.port = o.port;
  return e;
}

// RFC 5424 header fields are PRINTUSASCII without spaces; "-" when empty.
std::string HeaderField(std::string_view s, std::size_t max_len) {
  std::string out;
  for (char c : s.substr(0, max_len)) out.push_back(c > 32 && c < 127 ? c : '_');
  return out.empty() ? "-" : out;
}

}  // namespace

std::optional<int> ParseSyslogFacility(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kFacilities.size(); ++i) {
    if (kFacilities[i] == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<SyslogSinkOptions::Transport> ParseSyslogTransport(std::string_view name) noexcept {
  if (name == "local") return SyslogSinkOptions::Transport::kLocal;
  if (name == "udp") return SyslogSinkOptions::Transport::kUdp;
  if (name == "tcp") return SyslogSinkOptions::Transport::kTcp;
  return std::nullopt;
}

SyslogSink::SyslogSink(SyslogSinkOptions options)
    : options_(std::move(options)),
      connection_(EndpointFor(options_), {.timeout = options_.timeout}),
      procid_(std::to_string(::getpid())),
      log_(Describe()) {
  if (options_.hostname.empty()) {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0) options_.hostname = name;
  }
  options_.hostname = HeaderField(options_.hostname, 255);
  options_.app_name = HeaderField(options_.app_name, 48);
}

std::string SyslogSink::Describe() const {
  switch (options_.transport) {
    case SyslogSinkOptions::Transport::kLocal: return "syslog " + options_.local_path;
    case SyslogSinkOptions::Transport::kUdp: return "syslog udp " + options_.host + ":" + std::to_string(options_.port);
    case SyslogSinkOptions::Transport::kTcp: break;
  }
  return "syslog tcp " + options_.host + ":" + std::to_string(options_.port);
}

std::string SyslogSink::FormatMessage(const FormattedAlert& record) const {
  const int pri = options_.facility * 8 + static_cast<int>(record.alert->priority);
  std::string msg = "<" + std::to_string(pri) + ">";
  if (options_.transport == SyslogSinkOptions::Transport::kLocal) {
    // What glibc's syslog(3) sends to /dev/log: "<PRI>Mmm dd hh:mm:ss TAG[PID]: MSG".
    msg += FormatRfc3164Time(record.alert->ts_ns) + " " + options_.app_name + "[" + procid_ + "]: ";
  } else {
    // RFC 5424: "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG".
    msg += "1 " + FormatIso8601Micros(record.alert->ts_ns) + " " + options_.hostname + " " +
           options_.app_name + " " + procid_ + " alert - ";
  }
  msg += record.text;
  return msg;
}

std::size_t SyslogSink::Write(std::span<const FormattedAlert> records) noexcept {
  std::size_t delivered = 0;
  for (const FormattedAlert& record : records) {
    std::string msg = FormatMessage(record);
    bool sent = false;
    if (options_.transport == SyslogSinkOptions::Transport::kTcp) {
      frame_ = std::to_string(msg.size()) + " " + msg;  // RFC 6587 octet counting
      sent = connection_.Send(frame_);
    } else {
      sent = connection_.Send(msg);
    }
    if (!sent) {
      // Stop at the first failure: the caller (and the spool) count a delivered prefix.
      log_.Failed(connection_.last_error());
      return delivered;
    }
    ++delivered;
  }
  log_.Succeeded();
  return delivered;
}

}  // namespace vigil
