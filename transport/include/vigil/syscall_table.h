// syscall_table.h — which syscalls vigil traces, what the probes capture for each, and how
// their raw arguments become Falco-named Event arguments. Also the EventType <-> syscall
// number translation behind the interest bitmap.
// Owner: sensor (transport). Immutable data built once; thread safe; lookups are hot-path
// safe (array index, no allocation).
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <vector>

#include "vigil/event.h"
#include "vigil/event_types.h"
#include "wire.h"

namespace vigil {

// Where one Falco argument of an event comes from.
struct ParamSource {
  enum Kind : uint8_t {
    kNone,     // unused slot
    kRaw,      // raw register value args[index] as int64
    kRawInt,   // args[index] truncated to int32 and sign-extended (fds, pids, dirfds)
    kResult,   // the syscall result (fd returned by open/accept/dup2...)
    kString,   // string slot `index` (0 or 1), joined with its dir when relative
    kExtraString,  // the extra string in the dir1 slot (mount's source)
    kFdPath,   // string slot 0 holding the kernel-resolved path of the returned fd
  };
  ArgId id = ArgId::kCount;
  Kind kind = kNone;
  uint8_t index = 0;
};

inline constexpr std::size_t kMaxParams = 8;

struct SyscallSpec {
  int nr = -1;
  EventType type = EventType::kUnknown;
  vigil_sc_desc desc{};                       // what the probe captures
  std::array<ParamSource, kMaxParams> params{};  // Falco arguments in order
};

class SyscallTable {
 public:
  // The table for the architecture vigil was built for.
  static const SyscallTable& Get();

  // Spec for a syscall number; nullptr when vigil does not trace it.
  const SyscallSpec* Find(uint32_t nr) const noexcept {
    return nr < by_nr_.size() ? by_nr_[nr] : nullptr;
  }
  // All syscall numbers that produce events of `type` (empty for procexit/drop).
  const std::vector<int>& NumbersFor(EventType type) const noexcept {
    return by_type_[static_cast<std::size_t>(type)];
  }
  // The probe-side description table, indexed by syscall number.
  void FillDescriptors(vigil_sc_desc (&out)[VIGIL_NR_MAX]) const noexcept;
  // Interest bytes per syscall number for a set of wanted event types.
  void InterestBytes(const std::bitset<kEventTypeCount>& types,
                     uint8_t (&out)[VIGIL_NR_MAX]) const noexcept;
  // Syscall numbers of the clone family / exec family (fork/exec hooks).
  int nr_execve = -1, nr_execveat = -1, nr_clone = -1, nr_clone3 = -1, nr_fork = -1,
      nr_vfork = -1;
  // Calls the probe filters by argument (fcntl: F_DUPFD*; mmap/mprotect: PROT_EXEC).
  int nr_fcntl = -1, nr_mmap = -1, nr_mprotect = -1;
  // Calls whose target the probe resolves (bpf object ids, pidfd_getfd's process).
  int nr_bpf = -1, nr_pidfd_getfd = -1;

  const std::vector<SyscallSpec>& specs() const noexcept { return specs_; }

 private:
  SyscallTable();
  std::vector<SyscallSpec> specs_;
  std::array<const SyscallSpec*, VIGIL_NR_MAX> by_nr_{};
  std::array<std::vector<int>, kEventTypeCount> by_type_{};
};

}  // namespace vigil
