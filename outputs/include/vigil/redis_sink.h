// redis_sink.h — appends alerts to a Redis stream (hiredis): one pipelined
// `XADD <key> MAXLEN ~ <maxlen> * uuid <uuid> priority <p> rule <r> hostname <h> alert <record>`
// per record; a record counts as delivered when its XADD was answered with an entry id.
// Consumers read with XREAD / XREADGROUP and drop duplicates by `uuid` (at-least-once).
// Password (AUTH, optionally with an ACL user) from a file. TLS: Debian 12's hiredis 0.14
// has no TLS; reach a remote Redis through a local TLS tunnel (stunnel, spiped).
// Owner: a QueuedSink worker thread. Not thread safe by itself.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "vigil/failure_log.h"
#include "vigil/sink.h"

namespace vigil {

struct RedisSinkOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  std::string path;                 // unix socket; overrides host/port when set
  std::string key = "vigil:alerts";
  uint64_t maxlen = 1'000'000;      // approximate trim (MAXLEN ~); 0 = no trimming
  std::chrono::milliseconds timeout{2000};
  std::string username;             // Redis 6 ACL user (with password_file)
  std::string password_file;
  uint32_t db = 0;
};

class RedisSink final : public Sink {
 public:
  explicit RedisSink(RedisSinkOptions options);
  ~RedisSink() override;
  std::string_view kind() const noexcept override { return "redis"; }
  std::size_t Write(std::span<const FormattedAlert> records) noexcept override;
  void Reopen() noexcept override;
  std::size_t max_batch() const noexcept override { return 256; }
  // Connects (AUTH, SELECT) now; "" on success, else why not.
  std::string Connect() noexcept;
  std::string Destination() const;

 private:
  struct State;
  void Disconnect() noexcept;

  RedisSinkOptions options_;
  std::unique_ptr<State> state_;
  FailureLog log_;
};

}  // namespace vigil
