#include "capabilities.h"

#include <fstream>
#include <string>

namespace vigil::cli {
namespace {
constexpr int kCapDacReadSearch = 2;
constexpr int kCapKill = 5;
constexpr int kCapSysPtrace = 19;
constexpr int kCapSysAdmin = 21;
constexpr int kCapSysNice = 23;
constexpr int kCapSysResource = 24;
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;
}  // namespace

const std::vector<CapabilityInfo>& RelevantCapabilities() {
  static const std::vector<CapabilityInfo> caps = {
      {kCapBpf, "CAP_BPF", "loading the probes and their maps"},
      {kCapPerfmon, "CAP_PERFMON", "attaching tracing probes, reading kernel memory in them"},
      {kCapSysAdmin, "CAP_SYS_ADMIN", "probes on kernels < 5.8 (covers CAP_BPF/CAP_PERFMON)"},
      {kCapSysPtrace, "CAP_SYS_PTRACE", "reading /proc/<pid>/exe, cwd, environ of every process"},
      {kCapDacReadSearch, "CAP_DAC_READ_SEARCH", "reading /proc files of other users' processes"},
      {kCapSysNice, "CAP_SYS_NICE", "raising the event thread's priority (sensor.event_thread_nice)"},
      {kCapSysResource, "CAP_SYS_RESOURCE", "raising RLIMIT_MEMLOCK (not needed on kernels >= 5.11)"},
      {kCapKill, "CAP_KILL", "not needed (listed because the unit file does not grant it)"},
  };
  return caps;
}

uint64_t EffectiveCapabilities() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CapEff:", 0) == 0) {
      try {
        return std::stoull(line.substr(7), nullptr, 16);
      } catch (...) {
        return 0;
      }
    }
  }
  return 0;
}

std::string MissingProbeCapabilities(uint64_t mask) {
  if (Has(mask, kCapSysAdmin)) return "";
  std::string missing;
  if (!Has(mask, kCapBpf)) missing = "CAP_BPF";
  if (!Has(mask, kCapPerfmon)) missing += std::string(missing.empty() ? "" : " and ") + "CAP_PERFMON";
  return missing;
}

}  // namespace vigil::cli
