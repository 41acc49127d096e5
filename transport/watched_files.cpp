// watched_files.cpp — files the rules name, by identity (watched_files.h).
#include "vigil/watched_files.h"

#include <sys/stat.h>

namespace vigil {

void WatchedFiles::Set(const std::vector<std::string>& paths, std::vector<std::string>* skipped) {
  by_id_.clear();
  for (const auto& p : paths) {
    struct stat st {};
    if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      if (skipped) skipped->push_back(p);
      continue;
    }
    // The first rule path wins when two name the same file (a hard link pair both in rules).
    by_id_.try_emplace(Identity{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino)}, p);
  }
}

std::vector<WatchedFiles::Identity> WatchedFiles::Identities() const {
  std::vector<Identity> out;
  out.reserve(by_id_.size());
  for (const auto& [id, path] : by_id_) out.push_back(id);
  return out;
}

bool WatchedFiles::Apply(Event* ev) const noexcept {
  if (by_id_.empty() || !ev->file_resolved || ev->res < 0) return false;
  const Arg* dev = ev->Find(ArgId::kDev);
  const Arg* ino = ev->Find(ArgId::kIno);
  if (!dev || !ino) return false;
  auto it = by_id_.find(Identity{static_cast<uint64_t>(dev->num), static_cast<uint64_t>(ino->num)});
  if (it == by_id_.end()) return false;
  const std::string& watched = it->second;
  bool rewrote = false;
  for (uint8_t i = 0; i < ev->nargs; ++i) {
    Arg& a = ev->args[i];
    if (a.id != ArgId::kName || !a.is_str || a.str == watched) continue;
    ev->alias_path = a.str;
    a.str = watched;
    rewrote = true;
  }
  return rewrote;
}

}  // namespace vigil
