// capabilities.h — which Linux capabilities this process holds (effective set, from
// /proc/self/status) and which of them vigil's parts need: the probes (CAP_BPF +
// CAP_PERFMON, or CAP_SYS_ADMIN before Linux 5.8) and the /proc snapshot (CAP_SYS_PTRACE,
// CAP_DAC_READ_SEARCH). Used by `vigil run` (its refusal names what is missing) and
// `vigil doctor`. Cold path; thread safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace vigil::cli {

struct CapabilityInfo {
  int number;
  const char* name;     // "CAP_BPF"
  const char* needed_for;
};

// The capabilities vigil cares about, in the order doctor prints them.
const std::vector<CapabilityInfo>& RelevantCapabilities();

// The effective capability mask (bit n = capability n); 0 when it cannot be read.
uint64_t EffectiveCapabilities();

inline bool Has(uint64_t mask, int cap) { return cap < 64 && (mask >> cap) & 1; }

// The capabilities missing for loading the probes ("" when they can load): CAP_BPF and
// CAP_PERFMON, unless CAP_SYS_ADMIN is held (which covers both).
std::string MissingProbeCapabilities(uint64_t mask);

}  // namespace vigil::cli
