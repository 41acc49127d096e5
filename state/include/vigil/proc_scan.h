// proc_scan.h — reads running processes from /proc into vigil::Process: the start-up
// snapshot (so processes older than the sensor have parents, exe, cwd, container...) and a
// ProcessTable::Resolver for tgids the table has not seen.
// Owner: sensor. Cold path (file reads, allocation). Functions are thread safe; the
// Resolver it returns is safe to call from the table's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vigil/process.h"
#include "vigil/process_table.h"

namespace vigil {

struct ProcScanOptions {
  std::string proc_root = "/proc";
  bool read_env = true;      // /proc/<pid>/environ (can be large)
  int64_t boot_wall_ns = 0;  // wall-clock time of boot; 0 = compute from the clocks
};

// One process from <proc_root>/<pid>/{stat,status,cmdline,exe,cwd,cgroup,loginuid,environ}.
// nullopt when the process is gone or is not a thread-group leader's directory.
std::optional<Process> ReadProcProcess(uint32_t pid, const ProcScanOptions& options = {});

// Every process listed in <proc_root> (kernel threads included, as Falco does).
std::vector<Process> ScanProc(const ProcScanOptions& options = {});

// Upserts every running process into the table; returns how many.
std::size_t SnapshotProcesses(ProcessTable& table, const ProcScanOptions& options = {});

// A ProcessTable::Resolver that reads one process from /proc on demand.
ProcessTable::Resolver ProcResolver(ProcScanOptions options = {});

}  // namespace vigil
