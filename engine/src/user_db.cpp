// user_db.cpp — parses /etc/passwd and /etc/group (see user_db.h).
#include "vigil/user_db.h"

#include <sys/stat.h>

#include <charconv>
#include <fstream>
#include <vector>

namespace vigil {
namespace {

int64_t MonotonicNs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

struct timespec MtimeOf(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return {};
  return st.st_mtim;
}

bool SameTime(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

std::vector<std::string_view> SplitColon(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    std::size_t e = line.find(':', start);
    if (e == std::string_view::npos) {
      out.push_back(line.substr(start));
      return out;
    }
    out.push_back(line.substr(start, e - start));
    start = e + 1;
  }
}

bool ParseU32(std::string_view s, uint32_t* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

UserDb::UserDb(std::string passwd_path, std::string group_path, int64_t refresh_interval_ns)
    : passwd_path_(std::move(passwd_path)),
      group_path_(std::move(group_path)),
      refresh_interval_ns_(refresh_interval_ns) {
  Reload(MtimeOf(passwd_path_), MtimeOf(group_path_));
  next_check_ns_.store(MonotonicNs() + refresh_interval_ns_, std::memory_order_relaxed);
}

std::shared_ptr<const UserDb::Snapshot> UserDb::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snap_;
}

void UserDb::Reload(const struct timespec& pw_mtime, const struct timespec& gr_mtime) {
  auto snap = std::make_shared<Snapshot>();
  std::ifstream pw(passwd_path_);
  std::string line;
  while (std::getline(pw, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = SplitColon(line);
    uint32_t uid = 0;
    if (f.size() < 7 || !ParseU32(f[2], &uid)) continue;
    if (snap->users.count(uid)) continue;  // first entry wins, as getpwuid
    snap->users.emplace(uid, User{std::string(f[0]), std::string(f[5]), std::string(f[6])});
    snap->uid_by_name.emplace(std::string(f[0]), uid);
  }
  std::ifstream gr(group_path_);
  while (std::getline(gr, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto f = SplitColon(line);
    uint32_t gid = 0;
    if (f.size() < 3 || !ParseU32(f[2], &gid)) continue;
    snap->groups.emplace(gid, std::string(f[0]));
  }
  std::lock_guard<std::mutex> lock(mu_);
  snap_ = std::move(snap);
  pw_mtime_ = pw_mtime;
  gr_mtime_ = gr_mtime;
  reloads_.fetch_add(1, std::memory_order_relaxed);
}

void UserDb::RefreshNow() {
  struct timespec pw = MtimeOf(passwd_path_), gr = MtimeOf(group_path_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (SameTime(pw, pw_mtime_) && SameTime(gr, gr_mtime_)) return;
  }
  Reload(pw, gr);
}

void UserDb::MaybeRefresh() {
  int64_t now = MonotonicNs();
  int64_t next = next_check_ns_.load(std::memory_order_relaxed);
  if (now < next) return;
  if (!next_check_ns_.compare_exchange_strong(next, now + refresh_interval_ns_)) return;
  RefreshNow();
}

}  // namespace vigil
