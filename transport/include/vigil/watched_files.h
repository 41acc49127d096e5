// watched_files.h — files the rules name exactly, known by identity (device, inode), so that
// an open of the same file by another name (a hard link, a bind mount) is reported as the
// file the rule names. The sensor owns one (Sensor::SetOpenPrefilter fills it from
// OpenPrefilter::watched_files and copies the identities into the probes' watched_files
// map); its poll thread calls Apply on each decoded event. Not thread safe: set and used on
// the sensor's thread. Apply is on the hot path: one hash probe per successful open while
// any file is watched, no allocation.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "vigil/event.h"

namespace vigil {

class WatchedFiles {
 public:
  struct Identity {
    uint64_t dev = 0;  // st_dev as user space encodes it (the decoder's fd.dev)
    uint64_t ino = 0;
    bool operator==(const Identity& o) const noexcept { return dev == o.dev && ino == o.ino; }
  };

  // Resolves each path (stat, following symlinks; regular files only). Paths that do not
  // exist or are not regular files are skipped and listed in *skipped (they may appear
  // later: the identity is taken again at the next reload).
  void Set(const std::vector<std::string>& paths, std::vector<std::string>* skipped);
  void Clear() { by_id_.clear(); }
  bool empty() const noexcept { return by_id_.empty(); }
  std::size_t size() const noexcept { return by_id_.size(); }
  // The identities, for the probes' map.
  std::vector<Identity> Identities() const;

  // For a successful open whose file is watched but was reached by another path: the name
  // argument becomes the watched path and ev->alias_path the path the kernel opened it by.
  // Returns true when it rewrote the event.
  bool Apply(Event* ev) const noexcept;

 private:
  struct IdHash {
    std::size_t operator()(const Identity& i) const noexcept { return std::hash<uint64_t>{}(i.ino * 31 + i.dev); }
  };
  std::unordered_map<Identity, std::string, IdHash> by_id_;
};

}  // namespace vigil
