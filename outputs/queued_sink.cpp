#include "vigil/queued_sink.h"

#include <pthread.h>
#include <signal.h>

#include <spdlog/spdlog.h>

#include <algorithm>

#include "vigil/spool_record.h"

namespace vigil {

namespace {

uint64_t WallNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Both worker loops: writes to a closed pipe/socket must fail with EPIPE, not kill the
// daemon; the thread is named after its sink (vigil-<name>) for ps/top.
void PrepareWorkerThread(const std::string& sink_name) {
  sigset_t pipe_only;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
  const std::string thread_name = ("vigil-" + sink_name).substr(0, 15);
  pthread_setname_np(pthread_self(), thread_name.c_str());
}

}  // namespace

QueuedSink::QueuedSink(SinkOptions options, std::unique_ptr<Sink> sink, std::unique_ptr<DiskSpool> spool)
    : options_(std::move(options)), sink_(std::move(sink)), spool_(std::move(spool)), spooled_(spool_ != nullptr) {
  ring_.resize(std::max<std::size_t>(1, options_.queue_capacity));
  sink_->set_abort_flag(&abort_);
  if (spool_ != nullptr) {
    spool_pending_ = spool_->pending();
    replaying_ = spool_pending_ > 0;
    spool_view_.store(spool_.get());
  }
  worker_ = std::thread([this] { spooled_ ? RunSpooled() : Run(); });
}

QueuedSink::QueuedSink(SinkOptions options, std::unique_ptr<Sink> sink, DiskSpoolOptions deferred_spool)
    : options_(std::move(options)), sink_(std::move(sink)), spooled_(true), deferred_spool_(std::move(deferred_spool)) {
  ring_.resize(std::max<std::size_t>(1, options_.queue_capacity));
  sink_->set_abort_flag(&abort_);
  worker_ = std::thread([this] { RunSpooled(); });
}

bool QueuedSink::OpenDeferredSpool() {
  const auto started = std::chrono::steady_clock::now();
  bool warned = false;
  for (;;) {
    std::string error;
    if (!DiskSpool::OpenInThisProcess(deferred_spool_->dir)) {
      auto spool = DiskSpool::Open(*deferred_spool_, &error);
      if (spool != nullptr) {
        std::lock_guard lock(mu_);
        spool_ = std::move(spool);
        spool_pending_ = spool_->pending();
        replaying_ = spool_pending_ > 0;
        spool_view_.store(spool_.get());
        return true;
      }
    }
    if (!warned && std::chrono::steady_clock::now() - started > std::chrono::seconds(10)) {
      spdlog::warn("output {}: waiting for spool {} ({})", options_.name, deferred_spool_->dir,
                   error.empty() ? "still open by the previous outputs" : error);
      warned = true;
    }
    std::unique_lock lock(mu_);
    if (abort_.load()) return false;
    work_cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return abort_.load(); });
  }
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
  if (spooled_) {
    // Everything queued and everything on disk delivered (replays of a previous run too).
    return done_cv_.wait_for(lock, timeout,
                             [&] { return exited_ || (count_ == 0 && in_hand_ == 0 && spool_pending_ == 0); });
  }
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
  stats.replayed = replayed_.load(std::memory_order_relaxed);
  if (spooled_) {
    stats.spool_enabled = true;
    if (const DiskSpool* spool = spool_view_.load()) stats.spool = spool->Stats();
  }
  std::lock_guard lock(mu_);
  stats.queue_depth = count_;
  return stats;
}

void QueuedSink::Run() {
  PrepareWorkerThread(options_.name);

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

bool QueuedSink::DeliverFromSpool(std::vector<std::string>* peeked, std::vector<Alert>* decoded,
                                  std::vector<FormattedAlert>* records) {
  const std::size_t max_batch = std::max<std::size_t>(1, sink_->max_batch());
  const std::size_t n = spool_->Peek(max_batch, peeked);
  if (n == 0) return true;
  decoded->resize(n);
  records->clear();
  std::vector<bool> valid(n);
  for (std::size_t i = 0; i < n; ++i) {
    FormattedAlert record;
    valid[i] = DecodeSpoolRecord((*peeked)[i], &(*decoded)[i], &record.text);
    if (!valid[i]) continue;
    record.alert = &(*decoded)[i];
    records->push_back(std::move(record));
  }
  const std::size_t delivered = records->empty() ? 0 : std::min(sink_->Write(*records), records->size());
  // Acknowledge the longest prefix whose valid records were all delivered (undecodable
  // records in it are skipped: they can never be delivered).
  std::size_t ack = 0;
  for (std::size_t seen = 0; ack < n; ++ack) {
    if (valid[ack]) {
      if (seen == delivered) break;
      ++seen;
    }
  }
  spool_->Ack(ack);
  sent_.fetch_add(delivered, std::memory_order_relaxed);
  if (replaying_) replayed_.fetch_add(delivered, std::memory_order_relaxed);
  failed_.fetch_add(records->size() - delivered, std::memory_order_relaxed);
  return delivered == records->size();
}

void QueuedSink::RunSpooled() {
  PrepareWorkerThread(options_.name);

  std::vector<std::shared_ptr<const Alert>> batch;
  std::vector<std::string> peeked;
  std::vector<Alert> decoded;
  std::vector<FormattedAlert> records;
  std::string text, payload, error;
  std::chrono::milliseconds backoff{0};
  std::chrono::steady_clock::time_point retry_at{};
  constexpr std::size_t kTakeMax = 1024;
  if (spool_ == nullptr && !OpenDeferredSpool()) {
    // Shut down before the spool could be opened: what is queued is lost, and counted.
    std::lock_guard lock(mu_);
    dropped_.fetch_add(count_, std::memory_order_relaxed);
    for (; count_ > 0; --count_, head_ = (head_ + 1) % ring_.size()) ring_[head_].reset();
    exited_ = true;
    done_cv_.notify_all();
    return;
  }
  for (;;) {
    bool aborting = false;
    {
      std::unique_lock lock(mu_);
      auto ready = [&] {
        return count_ > 0 || stop_ || reopen_requested_.load(std::memory_order_relaxed) ||
               (spool_pending_ > 0 && std::chrono::steady_clock::now() >= retry_at);
      };
      if (spool_pending_ > 0) {
        work_cv_.wait_until(lock, retry_at, ready);
      } else {
        work_cv_.wait(lock, ready);
      }
      aborting = abort_.load();
      if (stop_ && count_ == 0 && (spool_pending_ == 0 || aborting)) {  // the rest stays on disk
        exited_ = true;
        done_cv_.notify_all();
        return;
      }
      const std::size_t n = std::min(count_, kTakeMax);
      for (std::size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(ring_[head_]));
        head_ = (head_ + 1) % ring_.size();
      }
      count_ -= n;
      in_hand_ = n;
    }
    if (reopen_requested_.exchange(false)) sink_->Reopen();

    // 1. Everything taken from the queue goes to disk first.
    const uint64_t now_ns = WallNs();
    uint64_t refused = 0;
    for (const auto& alert : batch) {
      FormatAlert(*alert, options_.format, &text);
      EncodeSpoolRecord(*alert, text, &payload);
      if (!spool_->Append(payload, now_ns, &error)) {
        ++refused;
        if (now_ns - spool_failed_logged_ns_ > 10'000'000'000ull) {
          spdlog::error("output {}: cannot spool an alert ({}); it is dropped (metric "
                        "vigil_sink_spool_write_failed_total)",
                        options_.name, error);
          spool_failed_logged_ns_ = now_ns;
        }
      }
    }
    dropped_.fetch_add(refused, std::memory_order_relaxed);
    {
      std::lock_guard lock(mu_);
      completed_ += batch.size();
      in_hand_ = 0;
      spool_pending_ = spool_->pending();
    }
    batch.clear();
    done_cv_.notify_all();
    if (aborting) continue;  // shutdown past its deadline: spool the queue, deliver nothing

    // 2. Deliver from the spool, oldest first, unless waiting out a backoff.
    if (spool_pending_ > 0 && std::chrono::steady_clock::now() >= retry_at) {
      if (DeliverFromSpool(&peeked, &decoded, &records)) {
        backoff = std::chrono::milliseconds(0);
        retry_at = {};
      } else {
        backoff = backoff.count() == 0 ? options_.retry_backoff : std::min(backoff * 2, options_.max_retry_backoff);
        retry_at = std::chrono::steady_clock::now() + backoff;
        replaying_ = true;
      }
      std::lock_guard lock(mu_);
      spool_pending_ = spool_->pending();
      if (spool_pending_ == 0) replaying_ = false;
    }
    done_cv_.notify_all();
  }
}

}  // namespace vigil
