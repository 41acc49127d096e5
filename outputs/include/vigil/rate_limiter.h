// rate_limiter.h — per-rule dedup / throttling of alerts.
// Alerts with the same rule and the same key (the values of the configured output fields,
// or the whole output string when none are configured) are counted in fixed windows of
// `window`: the first `max_per_window` pass, later ones are suppressed and counted; the
// count is handed to the next alert of that key that passes (Alert::suppressed).
// Time is the alert's own ts_ns (so replays behave like live runs).
// Owner: OutputManager. Not thread safe (the manager serialises calls). Runs on the event
// thread: one hash lookup and a key string per alert.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "vigil/alert.h"

namespace vigil {

struct RateLimitConfig {
  std::chrono::nanoseconds window{0};  // 0 = rate limiting off
  uint32_t max_per_window = 1;          // 0 is read as 1
  std::vector<std::string> key_fields;  // output field names; empty = the output string
  std::size_t max_keys = 100000;        // memory cap: expired keys are swept past this;
                                        // new keys beyond it pass unthrottled
};

class AlertRateLimiter {
 public:
  explicit AlertRateLimiter(RateLimitConfig config);
  bool enabled() const noexcept { return config_.window.count() > 0; }
  // True if `alert` should be emitted; then *folded is the number of alerts of the same
  // key suppressed since the previous emitted one. False: suppressed (and counted).
  bool Admit(const Alert& alert, uint64_t* folded);
  uint64_t suppressed_total() const noexcept { return suppressed_total_; }
  std::size_t tracked_keys() const noexcept { return keys_.size(); }

 private:
  struct KeyState {
    uint64_t window_start_ns = 0;
    uint32_t emitted_in_window = 0;
    uint64_t pending_suppressed = 0;
  };
  void BuildKey(const Alert& alert);
  void SweepExpired(uint64_t now_ns);

  RateLimitConfig config_;
  std::unordered_map<std::string, KeyState> keys_;
  std::string key_;  // reused buffer
  uint64_t suppressed_total_ = 0;
  uint64_t last_sweep_ns_ = 0;
};

}  // namespace vigil
