// process.h — what vigil knows about one process (thread group): identity, image, parent.
// Owned by ProcessTable; read by the engine's proc.*/user.*/container.* extractors.
// Plain data; not thread safe on its own (the table's owner serialises access).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/container_cgroup.h"

namespace vigil {

struct Process {
  uint32_t pid = 0;        // host tgid
  uint32_t ppid = 0;       // host parent tgid
  uint32_t sid = 0, pgid = 0;
  uint32_t vpid = 0, vpgid = 0;  // ids in the process's own pid namespace
  uint32_t uid = 0, gid = 0, euid = 0, egid = 0;
  uint32_t loginuid = UINT32_MAX;  // UINT32_MAX = unset (Falco shows -1)
  uint32_t tty = 0;

  std::string comm;        // proc.name (task comm, <= 15 chars)
  std::string exe;         // proc.exe: argv[0] as given
  std::string exepath;     // proc.exepath: absolute path of the executable
  std::vector<std::string> args;  // argv[1..]
  std::string cmdline;     // proc.cmdline: "comm arg1 arg2 ..." (cached at exec)
  std::string cwd;
  std::vector<std::string> env;
  std::string cgroup;      // cgroup path
  std::string container_id;  // 12-char short id, "host" when not in a container
  std::string container_full_id;  // full id (64 hex, or a ctr name); empty when not in a container

  uint64_t exe_ino = 0, exe_ctime_ns = 0, exe_mtime_ns = 0;
  uint64_t cap_permitted = 0, cap_effective = 0, cap_inheritable = 0;
  uint64_t start_ts_ns = 0;  // process start (wall clock)
  uint64_t exec_ts_ns = 0;   // last exec (wall clock)
  bool exe_writable = false;
  bool exe_from_memfd = false;
  bool exe_upper_layer = false;
  bool args_truncated = false;  // argv longer than the sensor keeps (proc.args_truncated)
  bool env_truncated = false;   // envp longer than the sensor keeps (proc.env_truncated)
  bool from_snapshot = false;  // learned from the start-up snapshot, not seen exec'ing
  bool exited = false;
};

// Builds Process::cmdline from comm and args ("bash -c id").
std::string BuildCmdline(const std::string& comm, const std::vector<std::string>& args);

// Splits a NUL-separated list (argv/envp as the kernel stores them) into strings.
std::vector<std::string> SplitNul(std::string_view s);

// Sets p->container_id / container_full_id from p->cgroup (container_cgroup.h).
void AssignContainer(Process* p);


}  // namespace vigil
