#include "vigil/proc_scan.h"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vigil {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string ReadLink(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof(buf));
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

int64_t BootWallNs() {
  timespec real{}, boot{};
  clock_gettime(CLOCK_REALTIME, &real);
  clock_gettime(CLOCK_BOOTTIME, &boot);
  return (static_cast<int64_t>(real.tv_sec) - boot.tv_sec) * 1000000000LL +
         (real.tv_nsec - boot.tv_nsec);
}

// "Uid:\t0\t0\t0\t0" -> the n-th number after the key.
bool StatusField(const std::string& status, const char* key, int index, uint64_t* out,
                 int base = 10) {
  std::string k = std::string(key) + ":";
  std::size_t pos = status.find("\n" + k);
  if (pos == std::string::npos) {
    if (status.compare(0, k.size(), k) != 0) return false;
    pos = 0;
  } else {
    pos += 1;
  }
  std::size_t eol = status.find('\n', pos);
  std::istringstream line(status.substr(pos + k.size(), eol - pos - k.size()));
  std::string tok;
  for (int i = 0; line >> tok; ++i) {
    if (i == index || (index < 0 && line.peek() == EOF)) {
      *out = std::strtoull(tok.c_str(), nullptr, base);
      return true;
    }
  }
  if (index < 0 && !tok.empty()) {
    *out = std::strtoull(tok.c_str(), nullptr, base);
    return true;
  }
  return false;
}

uint32_t U32(uint64_t v) { return static_cast<uint32_t>(v); }

}  // namespace

std::optional<Process> ReadProcProcess(uint32_t pid, const ProcScanOptions& options) {
  const std::string dir = options.proc_root + "/" + std::to_string(pid);
  std::string stat_text;
  if (!ReadFile(dir + "/stat", &stat_text) || stat_text.empty()) return std::nullopt;
  Process p;
  p.pid = pid;
  p.from_snapshot = true;
  // comm is in parentheses and may itself contain ") ": the last ')' ends it.
  std::size_t open = stat_text.find('(');
  std::size_t close = stat_text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  p.comm = stat_text.substr(open + 1, close - open - 1);
  std::istringstream rest(stat_text.substr(close + 1));
  std::vector<std::string> f;  // f[0] = state (field 3)
  std::string tok;
  while (rest >> tok) f.push_back(tok);
  if (f.size() < 20) return std::nullopt;
  p.ppid = U32(std::strtoull(f[1].c_str(), nullptr, 10));
  p.pgid = U32(std::strtoull(f[2].c_str(), nullptr, 10));
  p.sid = U32(std::strtoull(f[3].c_str(), nullptr, 10));
  p.tty = U32(std::strtoull(f[4].c_str(), nullptr, 10));
  const uint64_t start_ticks = std::strtoull(f[19].c_str(), nullptr, 10);
  const long hz = sysconf(_SC_CLK_TCK);
  const int64_t boot = options.boot_wall_ns ? options.boot_wall_ns : BootWallNs();
  if (hz > 0) {
    p.start_ts_ns = static_cast<uint64_t>(boot) + start_ticks * (1000000000ULL / static_cast<uint64_t>(hz));
  }
  p.exec_ts_ns = p.start_ts_ns;

  std::string status;
  if (ReadFile(dir + "/status", &status)) {
    uint64_t v = 0;
    if (StatusField(status, "Uid", 0, &v)) p.uid = U32(v);
    if (StatusField(status, "Uid", 1, &v)) p.euid = U32(v);
    if (StatusField(status, "Gid", 0, &v)) p.gid = U32(v);
    if (StatusField(status, "Gid", 1, &v)) p.egid = U32(v);
    if (StatusField(status, "NSpid", -1, &v)) p.vpid = U32(v);
    if (StatusField(status, "NSpgid", -1, &v)) p.vpgid = U32(v);
    if (StatusField(status, "CapInh", 0, &v, 16)) p.cap_inheritable = v;
    if (StatusField(status, "CapPrm", 0, &v, 16)) p.cap_permitted = v;
    if (StatusField(status, "CapEff", 0, &v, 16)) p.cap_effective = v;
    uint64_t tgid = 0;
    if (StatusField(status, "Tgid", 0, &tgid) && tgid != pid) return std::nullopt;
  }
  std::string cmdline;
  if (ReadFile(dir + "/cmdline", &cmdline)) {
    auto argv = SplitNul(cmdline);
    if (!argv.empty()) {
      p.exe = argv.front();
      p.args.assign(argv.begin() + 1, argv.end());
    }
  }
  std::string exe = ReadLink(dir + "/exe");
  const std::string deleted = " (deleted)";
  if (exe.size() > deleted.size() &&
      exe.compare(exe.size() - deleted.size(), deleted.size(), deleted) == 0) {
    if (exe.rfind("/memfd:", 0) == 0) p.exe_from_memfd = true;
    exe.resize(exe.size() - deleted.size());
  }
  p.exepath = exe;
  if (p.exe.empty()) p.exe = p.comm;  // kernel threads have no cmdline
  struct stat st {};
  if (!exe.empty() && ::stat((dir + "/exe").c_str(), &st) == 0) {
    p.exe_ino = st.st_ino;
    p.exe_ctime_ns = static_cast<uint64_t>(st.st_ctim.tv_sec) * 1000000000ULL + st.st_ctim.tv_nsec;
    p.exe_mtime_ns = static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000ULL + st.st_mtim.tv_nsec;
    // Same rule as the exec probe: writable by the process's user.
    p.exe_writable = (st.st_mode & S_IWOTH) || (p.euid == st.st_uid && (st.st_mode & S_IWUSR)) ||
                     (p.egid == st.st_gid && (st.st_mode & S_IWGRP)) ||
                     ((p.cap_effective & (1ULL << 1)) && (st.st_mode & 0222));
  }
  p.cwd = ReadLink(dir + "/cwd");
  std::string cgroup;
  if (ReadFile(dir + "/cgroup", &cgroup)) {
    // Prefer the cpuset hierarchy (what the probe reads: subsys[0]), else the v2 "0::" line.
    std::istringstream lines(cgroup);
    std::string line, v2;
    while (std::getline(lines, line)) {
      std::size_t a = line.find(':');
      std::size_t b = a == std::string::npos ? a : line.find(':', a + 1);
      if (b == std::string::npos) continue;
      std::string controllers = line.substr(a + 1, b - a - 1);
      std::string path = line.substr(b + 1);
      std::istringstream cs(controllers);
      std::string c;
      bool cpuset = false;
      while (std::getline(cs, c, ',')) cpuset = cpuset || c == "cpuset";
      if (cpuset) {
        p.cgroup = path;
        break;
      }
      if (line.compare(0, 3, "0::") == 0) v2 = path;
    }
    if (p.cgroup.empty()) p.cgroup = v2;
  }
  AssignContainer(&p);
  std::string loginuid;
  if (ReadFile(dir + "/loginuid", &loginuid) && !loginuid.empty()) {
    p.loginuid = U32(std::strtoull(loginuid.c_str(), nullptr, 10));
  }
  if (options.read_env) {
    std::string env;
    if (ReadFile(dir + "/environ", &env)) p.env = SplitNul(env);
  }
  p.cmdline = BuildCmdline(p.comm, p.args);
  return p;
}

std::vector<Process> ScanProc(const ProcScanOptions& options) {
  std::vector<Process> out;
  DIR* d = opendir(options.proc_root.c_str());
  if (d == nullptr) return out;
  ProcScanOptions o = options;
  if (o.boot_wall_ns == 0) o.boot_wall_ns = BootWallNs();
  while (dirent* e = readdir(d)) {
    char* end = nullptr;
    unsigned long pid = std::strtoul(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || pid == 0) continue;
    if (auto p = ReadProcProcess(static_cast<uint32_t>(pid), o)) out.push_back(std::move(*p));
  }
  closedir(d);
  return out;
}

std::size_t SnapshotProcesses(ProcessTable& table, const ProcScanOptions& options) {
  auto procs = ScanProc(options);
  for (auto& p : procs) table.Upsert(std::move(p));
  return procs.size();
}

ProcessTable::Resolver ProcResolver(ProcScanOptions options) {
  return [options](uint32_t tgid) { return ReadProcProcess(tgid, options); };
}

}  // namespace vigil
