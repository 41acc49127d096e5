#include "vigil/http_sink.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

namespace vigil {
namespace {

struct CurlEasyDeleter {
  void operator()(CURL* h) const noexcept { curl_easy_cleanup(h); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};

size_t DiscardBody(char*, size_t size, size_t nmemb, void*) { return size * nmemb; }

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

struct HttpSink::CurlState {
  std::unique_ptr<CURL, CurlEasyDeleter> easy;
  std::unique_ptr<curl_slist, CurlSlistDeleter> headers;
  char error[CURL_ERROR_SIZE] = {};
};

HttpSink::HttpSink(HttpSinkOptions options, OutputFormat format)
    : options_(std::move(options)), format_(format), curl_(std::make_unique<CurlState>()) {
  options_.batch_size = std::max<std::size_t>(1, options_.batch_size);
  GlobalInitOnce();
  curl_->easy.reset(curl_easy_init());
  CURL* h = curl_->easy.get();
  if (h == nullptr) return;
  curl_slist* list = nullptr;
  list = curl_slist_append(list, IsJsonFormat(format_) ? "Content-Type: application/json"
                                                       : "Content-Type: text/plain; charset=utf-8");
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
  for (const auto& [name, value] : options_.headers) {
    list = curl_slist_append(list, (name + ": " + value).c_str());
  }
  curl_->headers.reset(list);
  curl_easy_setopt(h, CURLOPT_URL, options_.url.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "vigil");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &DiscardBody);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_->error);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  if (options_.insecure) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
}

HttpSink::~HttpSink() = default;

bool HttpSink::Post(std::string_view body) noexcept {
  CURL* h = curl_->easy.get();
  if (h == nullptr) return false;
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  std::chrono::milliseconds backoff = options_.backoff_initial;
  for (uint32_t attempt = 0;; ++attempt) {
    curl_->error[0] = '\0';
    ++requests_;
    const CURLcode rc = curl_easy_perform(h);
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK && status >= 200 && status < 300) {
      if (failing_) spdlog::info("http output {}: delivering again", options_.url);
      failing_ = false;
      return true;
    }
    if (!failing_) {
      spdlog::warn("http output {}: {}", options_.url,
                   rc != CURLE_OK ? std::string(curl_->error[0] ? curl_->error : curl_easy_strerror(rc))
                                  : "HTTP status " + std::to_string(status));
      failing_ = true;
    }
    const bool retryable = rc != CURLE_OK || status >= 500 || status == 408 || status == 429;
    if (!retryable || attempt >= options_.retries) return false;
    if (!SleepUnlessAborted(backoff)) return false;
    backoff = std::min(backoff * 2, options_.backoff_max);
  }
}

std::size_t HttpSink::Write(std::span<const FormattedAlert> records) noexcept {
  std::size_t delivered = 0;
  for (std::size_t start = 0; start < records.size(); start += options_.batch_size) {
    const auto batch = records.subspan(start, std::min(options_.batch_size, records.size() - start));
    body_.clear();
    if (options_.batch_size == 1) {
      body_ = batch[0].text;
    } else {
      const bool json = IsJsonFormat(format_);
      if (json) body_.push_back('[');
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (i > 0) body_.push_back(json ? ',' : '\n');
        body_.append(batch[i].text);
      }
      body_.push_back(json ? ']' : '\n');
    }
    if (Post(body_)) delivered += batch.size();
  }
  return delivered;
}

}  // namespace vigil
