#include "vigil/failure_log.h"

#include <spdlog/spdlog.h>

namespace vigil {

void FailureLog::Failed(std::string_view reason) noexcept {
  const auto now = std::chrono::steady_clock::now();
  if (failing_ && now - last_ < interval_) {
    ++suppressed_;
    return;
  }
  try {
    if (suppressed_ > 0) {
      spdlog::warn("{} output: delivery failed: {} ({} more failure(s) in the last {} s not logged)", label_,
                   reason, suppressed_, std::chrono::duration_cast<std::chrono::seconds>(now - last_).count());
    } else {
      spdlog::warn("{} output: delivery failed: {}", label_, reason);
    }
  } catch (...) {
  }
  ++logged_;
  failing_ = true;
  last_ = now;
  suppressed_ = 0;
}

void FailureLog::Succeeded() noexcept {
  if (!failing_) return;
  try {
    spdlog::info("{} output: delivering again", label_);
  } catch (...) {
  }
  failing_ = false;
  suppressed_ = 0;
}

}  // namespace vigil
