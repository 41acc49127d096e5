#include "vigil/rate_limiter.h"

#include <algorithm>

namespace vigil {
namespace {

uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

AlertRateLimiter::AlertRateLimiter(RateLimitConfig config) : config_(std::move(config)) {
  config_.max_per_window = std::max<uint32_t>(1, config_.max_per_window);
}

void AlertRateLimiter::BuildKey(const Alert& alert) {
  key_.assign(alert.rule);
  key_.push_back('\0');
  if (config_.key_fields.empty()) {
    key_.append(alert.output);
    return;
  }
  for (const std::string& name : config_.key_fields) {
    auto it = std::find_if(alert.output_fields.begin(), alert.output_fields.end(),
                           [&](const AlertField& f) { return f.name == name; });
    if (it == alert.output_fields.end()) {
      key_.append("<absent>");
    } else {
      key_.append(AlertFieldText(*it));
    }
    key_.push_back('\0');
  }
}

void AlertRateLimiter::SweepExpired(uint64_t now_ns) {
  const auto window = static_cast<uint64_t>(config_.window.count());
  std::erase_if(keys_, [&](const auto& entry) {
    return now_ns >= entry.second.window_start_ns + window;
  });
}

bool AlertRateLimiter::Admit(const Alert& alert, uint64_t* folded) {
  *folded = 0;
  if (!enabled()) return true;
  const uint64_t now = alert.ts_ns != 0 ? alert.ts_ns : NowNs();
  const auto window = static_cast<uint64_t>(config_.window.count());
  BuildKey(alert);
  auto it = keys_.find(key_);
  if (it == keys_.end()) {
    if (keys_.size() >= config_.max_keys) {
      // Sweep at most once per second of alert time: a sweep walks the whole table.
      if (now >= last_sweep_ns_ + 1'000'000'000ULL) {
        SweepExpired(now);
        last_sweep_ns_ = now;
      }
      // Still full of live keys: fail open (emit untracked) rather than grow without bound.
      if (keys_.size() >= config_.max_keys) return true;
    }
    it = keys_.emplace(key_, KeyState{now, 0, 0}).first;
  } else if (now >= it->second.window_start_ns + window) {
    it->second.window_start_ns = now;
    it->second.emitted_in_window = 0;
  }
  KeyState& state = it->second;
  if (state.emitted_in_window < config_.max_per_window) {
    ++state.emitted_in_window;
    *folded = std::exchange(state.pending_suppressed, 0);
    return true;
  }
  ++state.pending_suppressed;
  ++suppressed_total_;
  return false;
}

}  // namespace vigil
