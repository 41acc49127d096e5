// failure_log.h — rate-limited logging of a sink's delivery failures: the first failure
// is logged with its reason at once, later ones at most once per interval (default 10 s)
// with the count of failures not logged; the first success after failures logs
// "delivering again". Counters stay the sinks' own job (metrics).
// Owner: one sink, on its worker thread. Not thread safe. Not on the event path.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

class FailureLog {
 public:
  // `label` names the sink and its destination, e.g. "syslog tcp 10.0.0.5:514".
  explicit FailureLog(std::string label, std::chrono::milliseconds interval = std::chrono::seconds(10))
      : label_(std::move(label)), interval_(interval) {}
  void Failed(std::string_view reason) noexcept;
  void Succeeded() noexcept;
  uint64_t logged() const noexcept { return logged_; }

 private:
  std::string label_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point last_{};
  bool failing_ = false;
  uint64_t suppressed_ = 0;
  uint64_t logged_ = 0;
};

}  // namespace vigil
