// http_sink.h — POSTs alerts to an HTTP(S) endpoint (Falcosidekick, a SIEM collector...)
// with libcurl. One easy handle is reused, so the connection is kept alive. By default
// one alert per request (Falcosidekick's contract); with batch_size > 1 up to that many
// alerts already queued go in one request, as a JSON array (json/ecs) or newline-separated
// lines (text). Failed requests (transport error, timeout, non-2xx) are retried with
// exponential backoff; 4xx other than 408/429 are not retried.
// Owner: a QueuedSink worker thread. Not thread safe by itself.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vigil/output_format.h"
#include "vigil/sink.h"

namespace vigil {

struct HttpSinkOptions {
  std::string url = "http://127.0.0.1:2801/";
  std::chrono::milliseconds timeout{2000};          // whole request
  std::chrono::milliseconds connect_timeout{1000};
  uint32_t retries = 3;                              // extra attempts after the first
  std::chrono::milliseconds backoff_initial{200};   // doubles per retry
  std::chrono::milliseconds backoff_max{5000};
  std::size_t batch_size = 1;
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  bool insecure = false;                             // skip TLS peer/host verification
  std::string ca_file;                               // PEM bundle; empty = system default
};

class HttpSink final : public Sink {
 public:
  HttpSink(HttpSinkOptions options, OutputFormat format);
  ~HttpSink() override;
  std::string_view kind() const noexcept override { return "http"; }
  std::size_t Write(std::span<const FormattedAlert> records) noexcept override;
  std::size_t max_batch() const noexcept override { return options_.batch_size; }
  // Requests made, including retries. Read only while no worker drives the sink.
  uint64_t requests() const noexcept { return requests_; }

 private:
  struct CurlState;
  bool Post(std::string_view body) noexcept;

  HttpSinkOptions options_;
  OutputFormat format_;
  std::unique_ptr<CurlState> curl_;
  std::string body_;
  uint64_t requests_ = 0;
  bool failing_ = false;
};

}  // namespace vigil
