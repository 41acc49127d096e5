// user_db.h — uid/gid -> name, home, shell from the host's /etc/passwd and /etc/group.
// Owned by the engine (a Ruleset holds one). Thread safe: readers take an immutable
// snapshot (shared_ptr) and a refresh swaps in a new one when a file's mtime changed.
// Lookups are on the hot path (user.name) and never allocate; MaybeRefresh() stats the
// files at most once per refresh interval (cheap atomic check otherwise).
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vigil {

class UserDb {
 public:
  struct User {
    std::string name, home, shell;
  };
  struct Snapshot {
    std::unordered_map<uint32_t, User> users;
    std::unordered_map<uint32_t, std::string> groups;
    std::unordered_map<std::string, uint32_t> uid_by_name;
    const User* FindUser(uint32_t uid) const noexcept {
      auto it = users.find(uid);
      return it == users.end() ? nullptr : &it->second;
    }
    const std::string* FindGroup(uint32_t gid) const noexcept {
      auto it = groups.find(gid);
      return it == groups.end() ? nullptr : &it->second;
    }
  };

  explicit UserDb(std::string passwd_path = "/etc/passwd", std::string group_path = "/etc/group",
                  int64_t refresh_interval_ns = 1'000'000'000);

  // The current snapshot (never null). Hold the pointer for the duration of one event.
  std::shared_ptr<const Snapshot> snapshot() const;
  // Re-reads the files if the interval elapsed (monotonic clock) and an mtime changed.
  void MaybeRefresh();
  // Re-reads unconditionally when an mtime changed (tests).
  void RefreshNow();
  std::size_t reloads() const noexcept { return reloads_.load(std::memory_order_relaxed); }

 private:
  void Reload(const struct timespec& pw_mtime, const struct timespec& gr_mtime);

  std::string passwd_path_, group_path_;
  int64_t refresh_interval_ns_;
  std::atomic<int64_t> next_check_ns_{0};
  mutable std::mutex mu_;  // guards snap_ and the mtimes
  std::shared_ptr<const Snapshot> snap_;
  struct timespec pw_mtime_ {}, gr_mtime_{};
  std::atomic<std::size_t> reloads_{0};
};

}  // namespace vigil
