// self_protection.h — built-in rules that watch for tampering with the running daemon:
// ptrace of vigil, signals sent to it, writes/renames/deletes of its configuration, rules
// and binary, other processes grabbing BPF programs/links by id (vigil's own: critical),
// reading or writing its memory (process_vm_*, /proc/<pid>/mem) or taking its fds
// (pidfd_getfd).
// Generated at start-up (and on reload) with the daemon's pid and paths, loaded after the
// user's rules. Cold path; pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vigil {

struct SelfProtectionTargets {
  uint32_t pid = 0;                     // the daemon's tgid
  std::string binary;                   // /proc/self/exe target
  std::vector<std::string> files;       // config file and rules files
  std::vector<std::string> directories; // rules directories (anything inside is protected)
};

// YAML text of the rules (Falco rule language). Rule names start with "vigil tampering:".
std::string SelfProtectionRules(const SelfProtectionTargets& targets);

// The document name used in diagnostics for the generated rules.
inline constexpr const char* kSelfProtectionDocName = "<vigil self-protection>";
// How many rules SelfProtectionRules() generates.
inline constexpr std::size_t kSelfProtectionRuleCount = 6;

}  // namespace vigil
