#include "vigil/queued_sink.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>

namespace vigil {

QueuedSink::QueuedSink(SinkOptions options, std::unique_ptr<Sink> sink)
    : options_(std::move(options)), sink_(std::move(sink)) {
  ring_.resize(std::max<std::size_t>(1, options_.queue_capacity));
  sink_->set_abort_flag(&abort_);
  worker_ = std::thread([this] { Run(); });
}

QueuedSink::~QueuedSink() { Stop(std::chrono::seconds(1)); }

bool QueuedSink::Submit(std::shared_ptr<const Alert> alert) noexcept {
  if (alert->priority > options_.min_priority) {
    filtered_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  {
    std::lock_guard lock(mu_);
    if (stop_ || count_ == ring_.size()) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    ring_[(head_ + count_) % ring_.size()] = std::move(alert);
    ++count_;
    ++accepted_;
  }
  work_cv_.notify_one();
  return true;
}

bool QueuedSink::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  const uint64_t target = accepted_;
  return done_cv_.wait_for(lock, timeout, [&] { return completed_ >= target; });
}

void QueuedSink::Reopen() noexcept {
  reopen_requested_.store(true, std::memory_order_relaxed);
  work_cv_.notify_one();
}

void QueuedSink::Stop(std::chrono::milliseconds timeout) {
  if (!worker_.joinable()) return;
  Flush(timeout);
  abort_.store(true);
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_one();
  worker_.join();
}

SinkStats QueuedSink::Stats() const {
  SinkStats stats;
  stats.name = options_.name;
  stats.sent = sent_.load(std::memory_order_relaxed);
  stats.failed = failed_.load(std::memory_order_relaxed);
  stats.dropped = dropped_.load(std::memory_order_relaxed);
  stats.filtered = filtered_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  stats.queue_depth = count_;
  return stats;
}

void QueuedSink::Run() {
  // Writes to a closed pipe/socket must fail with EPIPE, not kill the daemon.
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
  const std::string thread_name = ("vigil-" + options_.name).substr(0, 15);
  pthread_setname_np(pthread_self(), thread_name.c_str());

  const std::size_t max_batch = std::max<std::size_t>(1, sink_->max_batch());
  std::vector<std::shared_ptr<const Alert>> batch;
  std::vector<FormattedAlert> records;
  batch.reserve(max_batch);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] {
        return count_ > 0 || stop_ || reopen_requested_.load(std::memory_order_relaxed);
      });
      if (!reopen_requested_.load(std::memory_order_relaxed)) {
        if (stop_ && (count_ == 0 || abort_.load())) {
          // Past the shutdown deadline: what is left is dropped, not delivered.
          dropped_.fetch_add(count_, std::memory_order_relaxed);
          completed_ += count_;
          for (; count_ > 0; --count_, head_ = (head_ + 1) % ring_.size()) ring_[head_].reset();
          done_cv_.notify_all();
          return;
        }
        const std::size_t n = std::min(count_, max_batch);
        for (std::size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(ring_[head_]));
          head_ = (head_ + 1) % ring_.size();
        }
        count_ -= n;
      }
    }
    if (reopen_requested_.exchange(false)) sink_->Reopen();
    if (batch.empty()) continue;

    records.resize(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      records[i].alert = batch[i].get();
      FormatAlert(*batch[i], options_.format, &records[i].text);
    }
    const std::size_t delivered = std::min(sink_->Write(records), batch.size());
    sent_.fetch_add(delivered, std::memory_order_relaxed);
    failed_.fetch_add(batch.size() - delivered, std::memory_order_relaxed);
    {
      std::lock_guard lock(mu_);
      completed_ += batch.size();
    }
    done_cv_.notify_all();
    batch.clear();
  }
}

}  // namespace vigil
