#include "vigil/sink.h"

#include <algorithm>
#include <thread>

namespace vigil {

bool Sink::SleepUnlessAborted(std::chrono::milliseconds duration) const noexcept {
  constexpr std::chrono::milliseconds kSlice{10};
  const auto deadline = std::chrono::steady_clock::now() + duration;
  while (!aborted()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(kSlice, deadline - now));
  }
  return false;
}

}  // namespace vigil
