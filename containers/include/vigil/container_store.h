// container_store.h — the container metadata cache and its fetch workers.
// Owned by the daemon (one per run). The event thread calls Request() at each exec in a
// container (a lock-protected map probe; the fetch itself is queued) and the engine's
// container.*/k8s.* extractors call Find(); worker threads fetch (runtime_sources.h) with
// timeouts and publish immutable ContainerInfo. Evicts containers whose cgroup is gone.
// Thread safe: a shared_mutex guards the map (readers never wait on a fetch), a mutex the
// queue. A hung or absent runtime costs a timeout on a worker and a counter, never the
// event thread; failures are logged at most once per 10 s.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "vigil/container_cgroup.h"
#include "vigil/container_info.h"
#include "vigil/containers_config.h"
#include "vigil/runtime_sources.h"

namespace vigil {

struct ContainerStoreStats {
  uint64_t cached = 0;        // containers in the cache (any state)
  uint64_t pending = 0;       // fetch queued or running
  uint64_t fetches = 0;       // fetch attempts
  uint64_t fetched = 0;       // successful fetches
  uint64_t failures = 0;      // fetches that gave up (no runtime knows the id, errors)
  uint64_t timeouts = 0;      // runtime API timeouts
  uint64_t evictions = 0;     // containers dropped (cgroup gone, or cache full)
  uint64_t memory_bytes = 0;  // approximate heap held by cached metadata
};

class ContainerStore {
 public:
  enum class Status : uint8_t { kUnknown, kPending, kReady, kFailed };
  using Clock = std::chrono::steady_clock;
  using Fetcher = std::function<FetchResult(const CgroupContainer&)>;

  // `fetcher` defaults to FetchContainer(c, config) (tests inject their own).
  explicit ContainerStore(ContainersConfig config, Fetcher fetcher = nullptr);
  ~ContainerStore();
  ContainerStore(const ContainerStore&) = delete;
  ContainerStore& operator=(const ContainerStore&) = delete;

  void Start();  // starts the workers (idempotent)
  void Stop();   // joins them (a fetch in flight finishes within its timeout)

  // Event thread: queues a fetch for a container not yet known (returns true then). Cheap
  // when known (returns false).
  bool Request(std::string_view full_id, std::string_view cgroup_path);
  // Any thread: the metadata when fetched (nullptr while pending, failed or unknown).
  std::shared_ptr<const ContainerInfo> Find(std::string_view full_id) const;
  Status StatusOf(std::string_view full_id) const;
  // True while some fetch is pending (lets the event thread skip per-event checks).
  bool AnyPending() const noexcept { return pending_.load(std::memory_order_acquire) > 0; }
  // Ids whose metadata became ready since the last call (event thread: container events).
  void TakeReady(std::vector<std::string>* out);
  // Evicts containers whose cgroup directory vanished (workers call it periodically).
  void EvictGone();
  // Inserts metadata directly (tests, benchmarks).
  void Put(ContainerInfo info);

  ContainerStoreStats Stats() const;
  const ContainersConfig& config() const noexcept { return config_; }

 private:
  struct Entry {
    Status status = Status::kUnknown;
    std::shared_ptr<const ContainerInfo> info;
    std::string cgroup;
    Clock::time_point added;
    std::size_t bytes = 0;
  };
  struct Job {
    CgroupContainer container;
    std::string cgroup;
    int attempt = 0;
    Clock::time_point not_before;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  void WorkerLoop();
  void Finish(const Job& job, FetchResult r);
  bool CgroupGone(const std::string& path) const;
  void LogFailure(const std::string& what);

  ContainersConfig config_;
  Fetcher fetcher_;
  mutable std::shared_mutex map_mu_;
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> map_;
  std::vector<std::string> ready_;  // guarded by map_mu_

  std::mutex q_mu_;
  std::condition_variable q_cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  Clock::time_point next_evict_;

  std::atomic<uint64_t> pending_{0}, fetches_{0}, fetched_{0}, failures_{0}, timeouts_{0},
      evictions_{0}, memory_{0};
  std::mutex log_mu_;
  Clock::time_point next_log_{};
  uint64_t suppressed_logs_ = 0;
};

}  // namespace vigil
