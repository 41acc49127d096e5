// open_prefilter.h — which file opens the kernel probes must report: a filter on the opened
// path (prefixes and suffixes) and the open mode, derived from the loaded rules by the engine
// (Ruleset::OpenPrefilter) and installed in the probes by the sensor (Sensor::SetOpenPrefilter).
// Plain data, cold path. The filter only ever drops opens that no loaded rule can match:
// relative paths, paths with "." segments, ".." anywhere or "//", paths of 255 bytes or more
// and failed path reads are always reported.
#pragma once

#include <string>
#include <vector>

namespace vigil {

struct OpenPrefilter {
  // false: every open, openat, openat2 and creat is reported (no rule-derived filter).
  bool enabled = false;
  // Every open for writing (O_WRONLY / O_RDWR, and creat) is reported.
  bool all_writes = false;
  std::string all_writes_reason;  // the rule that can match a write of any path
  // Every open whose caller string contains ".." is reported too (a rule tests
  // fd.nameraw for "../"; the probe otherwise judges the kernel's path of an opened file).
  bool raw_dotdot = false;

  struct Pattern {
    std::string text;
    bool writes_only = false;  // only opens for writing can match this pattern
  };
  std::vector<Pattern> prefixes;  // the absolute path starts with one of these
  std::vector<Pattern> suffixes;  // ... or ends with one of these

  // Why the filter is off ("" when enabled): the rule that needs every open.
  std::string disabled_reason;

  // Files the rules name exactly (`fd.name = /etc/shadow`, `fd.name in (...)`), on or off.
  // The sensor resolves them to (device, inode) at install: an open of the same file by
  // another name (a hard link, a bind mount) is always reported and reads as this path in
  // fd.name (its own kernel path in fd.alias). docs/rules.md, "Same file, another name".
  std::vector<std::string> watched_files;
};

}  // namespace vigil
