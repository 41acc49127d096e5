// nats_sink.h — publishes alerts to NATS JetStream (libnats) with acknowledgements: a
// record counts as delivered only when the stream acknowledged it. The subject is built
// per alert from a template (`vigil.alerts.<hostname>.<priority>`; placeholders
// <hostname> <priority> <rule> <source>, each value made a valid subject token). The
// alert's uuid is sent as the JetStream message id (Nats-Msg-Id), so the server drops
// duplicates of a retried publish within the stream's duplicate window. Optionally creates
// the stream at connect. Credentials and TLS material come from files named in the config.
// A batch is published asynchronously and then waited for as a whole (one round trip per
// batch); the delivered count is the acknowledged prefix.
// Owner: a QueuedSink worker thread. Not thread safe by itself (acknowledgements arrive on
// a libnats thread and are matched under a mutex).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "vigil/alert.h"
#include "vigil/failure_log.h"
#include "vigil/sink.h"

namespace vigil {

struct NatsSinkOptions {
  std::string url = "nats://127.0.0.1:4222";
  std::string subject = "vigil.alerts.<hostname>.<priority>";
  std::string stream;                     // stream to create when create_stream
  bool create_stream = false;
  std::vector<std::string> stream_subjects = {"vigil.alerts.>"};
  std::chrono::milliseconds timeout{2000};   // connect and per-publish acknowledgement
  std::string creds_file;                 // NATS .creds (JWT + nkey seed)
  std::string user;
  std::string password_file;              // with user
  std::string token_file;
  bool tls = false;                       // require TLS (also implied by tls:// URLs)
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};

// The subject for `alert` from `subject_template` (see above).
std::string NatsSubject(const std::string& subject_template, const Alert& alert);

class NatsSink final : public Sink {
 public:
  explicit NatsSink(NatsSinkOptions options);
  ~NatsSink() override;
  std::string_view kind() const noexcept override { return "nats"; }
  std::size_t Write(std::span<const FormattedAlert> records) noexcept override;
  void Reopen() noexcept override;
  std::size_t max_batch() const noexcept override { return 64; }
  // Connects (and creates the stream) now; "" on success, else why not. Write connects
  // lazily too; the daemon calls this at start to log the state.
  std::string Connect() noexcept;

  struct State;  // libnats handles and the batch's acknowledgement table

 private:
  std::size_t WriteSync(std::span<const FormattedAlert> records) noexcept;
  void Disconnect() noexcept;

  NatsSinkOptions options_;
  std::unique_ptr<State> state_;
  FailureLog log_;
};

}  // namespace vigil
