// test_sinks.h — Sink implementations used only by tests: one that records what it got
// and can be held (blocked) to fill its queue. Test-only.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "vigil/sink.h"

namespace vigil::testing {

class RecordingSink final : public Sink {
 public:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    bool held = false;
    std::vector<std::string> records;
  };
  explicit RecordingSink(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}
  std::string_view kind() const noexcept override { return "recording"; }
  std::size_t Write(std::span<const FormattedAlert> records) noexcept override {
    std::unique_lock lock(shared_->mu);
    shared_->cv.wait(lock, [&] { return !shared_->held; });
    for (const FormattedAlert& r : records) shared_->records.push_back(r.text);
    return records.size();
  }

 private:
  std::shared_ptr<Shared> shared_;
};

// Takes `delay` per Write unless shutdown aborts the wait; counts what it delivered.
class SlowSink final : public Sink {
 public:
  SlowSink(std::chrono::milliseconds delay, std::shared_ptr<std::atomic<int>> delivered)
      : delay_(delay), delivered_(std::move(delivered)) {}
  std::string_view kind() const noexcept override { return "slow"; }
  std::size_t max_batch() const noexcept override { return 1; }
  std::size_t Write(std::span<const FormattedAlert> records) noexcept override {
    if (!SleepUnlessAborted(delay_)) return 0;
    *delivered_ += static_cast<int>(records.size());
    return records.size();
  }

 private:
  std::chrono::milliseconds delay_;
  std::shared_ptr<std::atomic<int>> delivered_;
};

}  // namespace vigil::testing
