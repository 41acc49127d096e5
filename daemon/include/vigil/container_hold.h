// container_hold.h — events of a brand-new container wait (bounded) for its metadata.
// The first events of a container (its init's exec, a shell, `cat /etc/shadow`) arrive
// before any runtime can be asked who it is. Rules read container.* in their conditions
// (Launch Privileged Container: container.privileged=true) and outputs, so holding finished
// alerts is not enough: the event itself is held and evaluated later, against a copy of the
// process state it saw (process, ancestors, the fds it names), when the metadata arrives or
// `hold_ms` passes, whichever is first. Per container, held events keep their order.
// Owned and used by the daemon's event thread only (not thread safe); holding allocates
// (copies), which only happens in a container's first moments and is bounded by
// max_held_events (past it, events are evaluated at once and counted).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "vigil/container_store.h"
#include "vigil/event.h"
#include "vigil/process_table.h"

namespace vigil {

class ContainerHold {
 public:
  using Clock = std::chrono::steady_clock;
  using Evaluate = std::function<void(const Event& ev, const ProcessTable& table)>;
  struct Released {
    uint64_t with_metadata = 0, expired = 0, wait_ns = 0;
  };

  ContainerHold(std::chrono::milliseconds hold, std::size_t max_held);
  ~ContainerHold();
  ContainerHold(const ContainerHold&) = delete;
  ContainerHold& operator=(const ContainerHold&) = delete;

  // Whether `ev` (of process `p`, already applied to `table`) must wait: its container's
  // metadata is pending, or earlier events of that container are still held.
  bool ShouldHold(const Process& p, const ContainerStore& store) const;
  // Copies the event and the state it needs. False when the hold is full (evaluate now).
  bool Hold(const Event& ev, const Process& p, const ProcessTable& table, Clock::time_point now);
  // Evaluates (in order) every held event whose container is no longer pending or whose
  // deadline passed. Cheap when nothing is held.
  Released Release(const ContainerStore& store, Clock::time_point now, const Evaluate& eval);
  // Evaluates everything still held (shutdown).
  Released Flush(const Evaluate& eval);

  bool empty() const noexcept { return held_.empty(); }
  std::size_t size() const noexcept { return held_.size(); }

 private:
  struct Held;
  Released ReleaseIf(const std::function<bool(const Held&)>& due, const ContainerStore* store,
                     Clock::time_point now, const Evaluate& eval);

  std::chrono::milliseconds hold_;
  std::size_t max_held_;
  std::deque<std::unique_ptr<Held>> held_;
  std::unordered_map<std::string, uint32_t> per_container_;  // held events per container id
};

}  // namespace vigil
