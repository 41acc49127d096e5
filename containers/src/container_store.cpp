// container_store.cpp — metadata cache and fetch workers (container_store.h).
#include "vigil/container_store.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <algorithm>

namespace vigil {

ContainerStore::ContainerStore(ContainersConfig config, Fetcher fetcher)
    : config_(std::move(config)), fetcher_(std::move(fetcher)) {
  if (!fetcher_) {
    fetcher_ = [cfg = config_](const CgroupContainer& c) { return FetchContainer(c, cfg); };
  }
}

ContainerStore::~ContainerStore() { Stop(); }

void ContainerStore::Start() {
  std::lock_guard<std::mutex> lk(q_mu_);
  if (!workers_.empty()) return;
  stopping_ = false;
  next_evict_ = Clock::now() + std::chrono::milliseconds(config_.evict_interval_ms);
  for (int i = 0; i < std::max(1, config_.workers); ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

void ContainerStore::Stop() {
  {
    std::lock_guard<std::mutex> lk(q_mu_);
    stopping_ = true;
  }
  q_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

bool ContainerStore::Request(std::string_view full_id, std::string_view cgroup_path) {
  {
    std::shared_lock<std::shared_mutex> lk(map_mu_);
    if (map_.find(full_id) != map_.end()) return false;
  }
  Job job;
  if (!ParseContainerCgroup(cgroup_path, &job.container) || job.container.id != full_id) {
    // The path is the source of truth for the runtime; an id without one is looked up anywhere.
    job.container = CgroupContainer{};
    job.container.runtime = ContainerRuntime::kUnknown;
    job.container.id.assign(full_id);
  }
  job.cgroup.assign(cgroup_path);
  {
    std::unique_lock<std::shared_mutex> lk(map_mu_);
    auto [it, inserted] = map_.try_emplace(std::string(full_id));
    if (!inserted) return false;
    it->second.status = Status::kPending;
    it->second.cgroup = job.cgroup;
    it->second.added = Clock::now();
    while (map_.size() > config_.max_containers) {
      auto oldest = map_.end();
      for (auto i = map_.begin(); i != map_.end(); ++i)
        if (i->second.status != Status::kPending && (oldest == map_.end() || i->second.added < oldest->second.added))
          oldest = i;
      if (oldest == map_.end()) break;
      memory_.fetch_sub(oldest->second.bytes, std::memory_order_relaxed);
      map_.erase(oldest);
      evictions_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  pending_.fetch_add(1, std::memory_order_acq_rel);
  {
    std::lock_guard<std::mutex> lk(q_mu_);
    queue_.push_back(std::move(job));
  }
  q_cv_.notify_one();
  return true;
}

std::shared_ptr<const ContainerInfo> ContainerStore::Find(std::string_view full_id) const {
  std::shared_lock<std::shared_mutex> lk(map_mu_);
  auto it = map_.find(full_id);
  return it == map_.end() ? nullptr : it->second.info;
}

ContainerStore::Status ContainerStore::StatusOf(std::string_view full_id) const {
  std::shared_lock<std::shared_mutex> lk(map_mu_);
  auto it = map_.find(full_id);
  return it == map_.end() ? Status::kUnknown : it->second.status;
}

void ContainerStore::TakeReady(std::vector<std::string>* out) {
  out->clear();
  std::unique_lock<std::shared_mutex> lk(map_mu_);
  out->swap(ready_);
}

void ContainerStore::Put(ContainerInfo info) {
  const std::size_t bytes = info.MemoryBytes();
  std::string id = info.id;
  std::unique_lock<std::shared_mutex> lk(map_mu_);
  Entry& e = map_[id];
  if (e.status == Status::kPending) pending_.fetch_sub(1, std::memory_order_acq_rel);
  memory_.fetch_sub(e.bytes, std::memory_order_relaxed);
  e.status = Status::kReady;
  e.info = std::make_shared<const ContainerInfo>(std::move(info));
  e.added = Clock::now();
  e.bytes = bytes + id.capacity() + sizeof(Entry);
  memory_.fetch_add(e.bytes, std::memory_order_relaxed);
}

void ContainerStore::LogFailure(const std::string& what) {
  std::lock_guard<std::mutex> lk(log_mu_);
  auto now = Clock::now();
  if (now < next_log_) {
    ++suppressed_logs_;
    return;
  }
  if (suppressed_logs_)
    spdlog::warn("containers: {} (and {} similar since the last message)", what, suppressed_logs_);
  else
    spdlog::warn("containers: {}", what);
  suppressed_logs_ = 0;
  next_log_ = now + std::chrono::seconds(10);
}

void ContainerStore::Finish(const Job& job, FetchResult r) {
  using S = FetchResult::Status;
  if (r.status == S::kTimeout) timeouts_.fetch_add(1, std::memory_order_relaxed);
  if (r.status == S::kNotFound && job.attempt + 1 < config_.retries) {
    // The runtime may not have written its state yet: try again shortly.
    Job again = job;
    ++again.attempt;
    again.not_before = Clock::now() + std::chrono::milliseconds(config_.retry_delay_ms);
    {
      std::lock_guard<std::mutex> lk(q_mu_);
      queue_.push_back(std::move(again));
    }
    q_cv_.notify_one();
    return;
  }
  const bool ok = r.status == S::kOk;
  if (ok) {
    fetched_.fetch_add(1, std::memory_order_relaxed);
    if (!r.error.empty()) {  // metadata, but part of it missing (e.g. CRI pod labels)
      (r.partial_timeout ? timeouts_ : failures_).fetch_add(1, std::memory_order_relaxed);
      LogFailure("partial metadata for container " + job.container.id.substr(0, 12) + ": " + r.error);
    }
  } else {
    failures_.fetch_add(1, std::memory_order_relaxed);
    LogFailure("no metadata for container " + job.container.id.substr(0, 12) + " (" +
               std::string(ContainerRuntimeName(job.container.runtime)) + "): " +
               (r.error.empty() ? "no runtime knows it" : r.error));
  }
  std::shared_ptr<const ContainerInfo> info;
  std::size_t bytes = 0;
  if (ok) {
    bytes = r.info.MemoryBytes();
    info = std::make_shared<const ContainerInfo>(std::move(r.info));
  }
  std::unique_lock<std::shared_mutex> lk(map_mu_);
  auto it = map_.find(job.container.id);
  if (it == map_.end() || it->second.status != Status::kPending) return;
  it->second.status = ok ? Status::kReady : Status::kFailed;
  it->second.info = std::move(info);
  it->second.bytes = bytes + it->first.capacity() + it->second.cgroup.capacity() + sizeof(Entry);
  memory_.fetch_add(it->second.bytes, std::memory_order_relaxed);
  ready_.push_back(it->first);
  pending_.fetch_sub(1, std::memory_order_acq_rel);
}

bool ContainerStore::CgroupGone(const std::string& path) const {
  if (path.empty()) return false;
  struct stat st {};
  bool any_root = false;
  for (const char* sub : {"/cpuset", "", "/unified", "/systemd", "/memory", "/pids"}) {
    std::string root = config_.cgroup_root + sub;
    if (::stat(root.c_str(), &st) != 0) continue;
    any_root = true;
    if (::stat((root + path).c_str(), &st) == 0) return false;
  }
  return any_root;
}

void ContainerStore::EvictGone() {
  std::vector<std::pair<std::string, std::string>> check;
  {
    std::shared_lock<std::shared_mutex> lk(map_mu_);
    for (const auto& [id, e] : map_)
      if (e.status != Status::kPending) check.emplace_back(id, e.cgroup);
  }
  std::vector<std::string> gone;
  for (const auto& [id, cg] : check)
    if (CgroupGone(cg)) gone.push_back(id);
  if (gone.empty()) return;
  std::unique_lock<std::shared_mutex> lk(map_mu_);
  for (const auto& id : gone) {
    auto it = map_.find(id);
    if (it == map_.end() || it->second.status == Status::kPending) continue;
    memory_.fetch_sub(it->second.bytes, std::memory_order_relaxed);
    map_.erase(it);
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
}

void ContainerStore::WorkerLoop() {
  std::unique_lock<std::mutex> lk(q_mu_);
  while (!stopping_) {
    auto now = Clock::now();
    if (now >= next_evict_) {
      next_evict_ = now + std::chrono::milliseconds(config_.evict_interval_ms);
      lk.unlock();
      EvictGone();
      lk.lock();
      continue;
    }
    // The first job due now; otherwise sleep until one is due, a new one comes, or eviction.
    auto wake = next_evict_;
    auto due = queue_.end();
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (it->not_before <= now) {
        due = it;
        break;
      }
      wake = std::min(wake, it->not_before);
    }
    if (due == queue_.end()) {
      q_cv_.wait_until(lk, wake);
      continue;
    }
    Job job = std::move(*due);
    queue_.erase(due);
    lk.unlock();
    fetches_.fetch_add(1, std::memory_order_relaxed);
    FetchResult r = fetcher_(job.container);
    Finish(job, std::move(r));
    lk.lock();
  }
}

ContainerStoreStats ContainerStore::Stats() const {
  ContainerStoreStats s;
  {
    std::shared_lock<std::shared_mutex> lk(map_mu_);
    s.cached = map_.size();
  }
  s.pending = pending_.load();
  s.fetches = fetches_.load();
  s.fetched = fetched_.load();
  s.failures = failures_.load();
  s.timeouts = timeouts_.load();
  s.evictions = evictions_.load();
  s.memory_bytes = memory_.load();
  return s;
}

}  // namespace vigil
