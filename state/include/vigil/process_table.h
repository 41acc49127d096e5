// process_table.h — the live table of processes and their open fds, fed by events.
// Owner: the daemon's event thread (or replay). Apply() is called for every event before
// rule evaluation; Find*/Parent are O(1) hash lookups. Not thread safe: one writer/reader
// thread. Memory is bounded: exited processes are reaped lazily, the table has a cap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

#include "vigil/event.h"
#include "vigil/fd_info.h"
#include "vigil/process.h"

namespace vigil {

class ProcessTable {
 public:
  struct Limits {
    std::size_t max_processes = 65536;
    std::size_t max_fds_per_process = 1024;
  };
  ProcessTable() = default;
  explicit ProcessTable(Limits limits) : limits_(limits) {}

  // Updates state from an event (exec, fork, exit, open/close/dup/socket/connect/...).
  // Must be called before the event is evaluated; exit removal is deferred until the next
  // Apply so rules still see the exiting process.
  void Apply(const Event& ev);

  // Inserts or replaces a process wholesale (snapshot, replay, tests).
  Process& Upsert(Process p);
  // Sets an fd entry for a process (snapshot, replay, tests).
  void SetFd(uint32_t tgid, int64_t fd, FdInfo info);

  const Process* Find(uint32_t tgid) const noexcept;
  const Process* Parent(const Process& p) const noexcept;
  // Copies `p` and its known ancestors (up to 64) into `out`: the state a rule reads about a
  // process (proc.p*, proc.a*) kept for evaluating later, after the process may be gone.
  void CopyLineage(const Process& p, ProcessTable* out) const;
  // Thread id -> thread group id (falls back to tid when unknown).
  uint32_t TgidOf(uint32_t tid) const noexcept;
  const FdInfo* FindFd(uint32_t tgid, int64_t fd) const noexcept;

  std::size_t size() const noexcept { return procs_.size(); }
  // Calls f for every process (cold path: start-up, tests).
  template <typename F>
  void ForEachProcess(F&& f) const {
    for (const auto& [tgid, e] : procs_) f(e.proc);
  }
  std::size_t fd_count() const noexcept;
  std::size_t evictions() const noexcept { return evictions_; }

  // Called for a tgid the table does not know (e.g. a process older than vigil):
  // lets the owner fill it from /proc. Returns nullopt when it cannot.
  using Resolver = std::function<std::optional<Process>(uint32_t tgid)>;
  void SetResolver(Resolver r) { resolver_ = std::move(r); }
  // Finds, or resolves and inserts, the process for tgid.
  const Process* FindOrResolve(uint32_t tgid);

 private:
  struct Entry {
    Process proc;
    std::unordered_map<int64_t, FdInfo> fds;
  };
  Entry* Get(uint32_t tgid) noexcept;
  // The entry for tgid; a new one is filled by the resolver (/proc): for events of a
  // process the table has not seen start.
  Entry& GetOrCreate(uint32_t tgid);
  // The entry for tgid; a new one is left empty, for a caller that fills it whole (a fork
  // child copied from its parent, an Upsert): no /proc read that would be thrown away.
  Entry& GetOrCreateEmpty(uint32_t tgid);
  void ReapPending();
  void EnforceCap();

  Limits limits_;
  std::unordered_map<uint32_t, Entry> procs_;
  std::unordered_map<uint32_t, uint32_t> threads_;  // tid -> tgid (non-leader threads)
  std::vector<uint32_t> pending_exit_;
  std::size_t evictions_ = 0;
  Resolver resolver_;
};

}  // namespace vigil
