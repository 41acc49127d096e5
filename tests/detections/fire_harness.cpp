#include "fire_harness.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "vigil/event_types.h"

namespace vigil::fire {

namespace {

// The hierarchy whose path the probes report (task->cgroups->subsys[0]): cpuset on a
// cgroup v1/v2 hybrid like the project's machines, the unified tree on a pure v2 host.
std::string CgroupRoot() {
  if (access("/sys/fs/cgroup/cpuset/cpuset.cpus", F_OK) == 0) return "/sys/fs/cgroup/cpuset";
  return "/sys/fs/cgroup";
}

std::bitset<kEventTypeCount> HarnessInterest(const Ruleset& rs) {
  std::bitset<kEventTypeCount> want = rs.InterestingEventTypes();
  for (EventType t :
       {EventType::kExecve, EventType::kExecveat, EventType::kClone, EventType::kClone3,
        EventType::kFork, EventType::kVfork, EventType::kProcExit, EventType::kSocket,
        EventType::kConnect, EventType::kAccept, EventType::kAccept4, EventType::kBind,
        EventType::kListen, EventType::kDup, EventType::kDup2, EventType::kDup3,
        EventType::kOpen, EventType::kOpenat, EventType::kOpenat2, EventType::kCreat,
        EventType::kClose, EventType::kMemfdCreate}) {
    want.set(static_cast<std::size_t>(t));
  }
  return want;
}

bool WriteText(const std::string& path, const std::string& text) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  return ok;
}

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string FiredAlert::Field(const std::string& name) const {
  for (const auto& [k, v] : fields)
    if (k == name) return v;
  return "<absent>";
}

std::unique_ptr<Harness> Harness::Start(const std::vector<std::string>& enabled_rules,
                                        std::string* error) {
  const char* shared = std::getenv("VIGIL_SHARED_DIR");
  if (shared == nullptr) {
    *error = "VIGIL_SHARED_DIR is not set";
    return nullptr;
  }
  const std::string rules = std::string(shared) + "/falco-rules/falco_rules.yaml";
  if (access(rules.c_str(), R_OK) != 0) {
    *error = rules + ": " + std::strerror(errno);
    return nullptr;
  }
  LoadOptions opts;
  opts.enabled_rules = enabled_rules;
  return StartWith({rules}, opts, error);
}

std::unique_ptr<Harness> Harness::StartWith(const std::vector<std::string>& rule_paths,
                                            const LoadOptions& opts, std::string* error) {
  std::unique_ptr<Harness> h(new Harness());
  LoadResult loaded = LoadRuleFiles(rule_paths, opts);
  h->ruleset_ = loaded.ruleset;
  h->load_errors_ = loaded.errors();
  for (const auto& d : loaded.diagnostics) {
    if (!d.warning) std::fprintf(stderr, "rule load: %s\n", d.ToString().c_str());
  }
  SensorOptions so;
  so.self_tgid = 0;  // the test process forks the behaviours: keep its fork events
  so.ring_bytes = 16 << 20;
  so.interest = HarnessInterest(*h->ruleset_);
  so.capture_env = h->ruleset_->ReadsProcessEnv();  // as the daemon does
  h->sensor_ = Sensor::Open(so, error);
  if (!h->sensor_) return nullptr;
  // The kernel open prefilter these rules allow, as the daemon installs it: a rule that
  // fires here also fires with the opens it does not need left in the kernel.
  const OpenPrefilter filter = h->ruleset_->DeriveOpenPrefilter();
  if (!h->sensor_->SetOpenPrefilter(filter, error)) return nullptr;
  if (!h->sensor_->SetWatchedFiles(filter.watched_files, nullptr, error)) return nullptr;
  h->poller_ = std::thread([raw = h.get()] { raw->PollLoop(); });
  return h;
}

Harness::~Harness() {
  stop_ = true;
  if (poller_.joinable()) poller_.join();
}

void Harness::PollLoop() {
  std::vector<FiredAlert> batch;
  std::vector<uint32_t> exits;
  std::vector<ExecSeen> execs;
  const std::function<void(const Event&)> on_event = [&](const Event& ev) {
    table_.Apply(ev);
    if (ev.type == EventType::kProcExit && ev.tid == ev.tgid) exits.push_back(ev.tgid);
    if ((ev.type == EventType::kExecve || ev.type == EventType::kExecveat) && ev.res == 0) {
      ExecSeen e;
      const Process* p = table_.Find(table_.TgidOf(ev.tgid));
      if (p) e.exepath = p->exepath;
      for (int depth = 0; p != nullptr && depth < 32; ++depth) {
        e.lineage.push_back(p->pid);
        p = table_.Parent(*p);
      }
      execs.push_back(std::move(e));
    }
    ruleset_->Evaluate(ev, table_, [&](const Alert& a) {
      FiredAlert f;
      f.rule = a.rule;
      f.output = a.output;
      f.tgid = table_.TgidOf(ev.tgid);
      const Process* p = table_.Find(f.tgid);
      f.container_id = p ? p->container_id : "<unknown process>";
      f.lineage.push_back(f.tgid);
      for (int depth = 0; p != nullptr && depth < 32; ++depth) {
        p = table_.Parent(*p);
        if (p) f.lineage.push_back(p->pid);
      }
      for (const auto& field : a.output_fields) f.fields.emplace_back(field.name, AlertFieldText(field));
      batch.push_back(std::move(f));
    });
  };
  while (!stop_) {
    int n = sensor_->Poll(50, on_event);
    if (n < 0 && n != -EINTR) {
      std::fprintf(stderr, "fire harness: Poll failed: %d\n", n);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& f : batch) alerts_.push_back(std::move(f));
    exited_.insert(exits.begin(), exits.end());
    for (auto& e : execs) execs_.push_back(std::move(e));
    batch.clear();
    exits.clear();
    execs.clear();
    stats_ = sensor_->Stats();
  }
}

std::vector<FiredAlert> Harness::AlertsOfTree(uint32_t root) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FiredAlert> out;
  for (const auto& a : alerts_) {
    for (uint32_t pid : a.lineage) {
      if (pid == root) {
        out.push_back(a);
        break;
      }
    }
  }
  return out;
}

std::vector<std::string> Harness::ExecsOfTree(uint32_t root) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& e : execs_) {
    for (uint32_t pid : e.lineage) {
      if (pid == root) {
        out.push_back(e.exepath);
        break;
      }
    }
  }
  return out;
}

std::vector<FiredAlert> Harness::AlertsOfRule(const std::string& rule) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FiredAlert> out;
  for (const auto& a : alerts_) {
    if (a.rule == rule) out.push_back(a);
  }
  return out;
}

bool Harness::WaitForRules(uint32_t root, const std::set<std::string>& rules,
                           std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool exited;
    {
      std::lock_guard<std::mutex> lock(mu_);
      exited = exited_.count(root) != 0;
    }
    std::set<std::string> seen;
    for (const auto& a : AlertsOfTree(root)) seen.insert(a.rule);
    bool all = true;
    for (const auto& r : rules) all = all && seen.count(r) != 0;
    if (all && exited) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

SensorStats Harness::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

ScratchDir::ScratchDir(const std::string& parent) {
  std::string tmpl = parent + "/vigil-fire-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) != nullptr) path_ = buf.data();
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ScratchDir::Write(const std::string& name, const std::string& text,
                              mode_t mode) const {
  std::string p = path_ + "/" + name;
  {
    std::ofstream out(p, std::ios::trunc);
    out << text;
  }
  chmod(p.c_str(), mode);
  return p;
}

std::string InstallHelper(const std::string& dir, const std::string& name) {
  const char* helper = std::getenv("VIGIL_FIRE_HELPER");
  if (helper == nullptr) return "";
  std::string dst = dir + "/" + name;
  std::error_code ec;
  std::filesystem::copy_file(helper, dst, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) return "";
  chmod(dst.c_str(), 0755);
  return dst;
}

std::string RandomHex(std::size_t n) {
  static const char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd() ^
                      static_cast<uint64_t>(getpid()));
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s.push_back(kHex[gen() & 15]);
  return s;
}

Sandbox::Sandbox() : id_(RandomHex(64)) {
  const std::string root = CgroupRoot();
  dir_ = root + "/" + id_;
  if (mkdir(dir_.c_str(), 0755) != 0) return;
  if (access((root + "/cgroup.controllers").c_str(), F_OK) == 0) {  // cgroup v2
    ok_ = true;
    return;
  }
  // cpuset v1: a new cpuset is unusable until cpus and mems are set.
  ok_ = WriteText(dir_ + "/cpuset.cpus", ReadText(root + "/cpuset.cpus")) &&
        WriteText(dir_ + "/cpuset.mems", ReadText(root + "/cpuset.mems"));
}

Sandbox::~Sandbox() {
  // Members leave when they exit; rmdir fails (EBUSY) until then.
  for (int i = 0; i < 100; ++i) {
    if (rmdir(dir_.c_str()) == 0 || errno == ENOENT) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr, "sandbox: could not remove %s: %s\n", dir_.c_str(), std::strerror(errno));
}

int Sandbox::EnterAndRun(const std::function<int()>& body) const {
  if (!WriteText(dir_ + "/cgroup.procs", std::to_string(getpid()))) return 101;
  if (unshare(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID) != 0) return 102;
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return 103;
  const std::string host = "vigil-fire-" + id_.substr(0, 8);
  if (sethostname(host.data(), host.size()) != 0) return 104;
  pid_t init = fork();  // pid 1 of the new pid namespace
  if (init < 0) return 105;
  if (init == 0) _exit(body());
  int status = 0;
  if (waitpid(init, &status, 0) < 0) return 106;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 107;
}

pid_t RunTree(const std::function<int()>& body, int* exit_code) {
  std::fflush(nullptr);
  pid_t child = fork();
  if (child == 0) _exit(body());
  *exit_code = -1;
  if (child < 0) return child;
  int status = 0;
  if (waitpid(child, &status, 0) == child && WIFEXITED(status)) *exit_code = WEXITSTATUS(status);
  return child;
}

int Exec(const std::string& path, const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(path.c_str(), args.data());
  std::fprintf(stderr, "execv %s: %s\n", path.c_str(), std::strerror(errno));
  return 127;
}

int RunAndWait(const std::string& path, const std::vector<std::string>& argv) {
  pid_t child = fork();
  if (child < 0) return 126;
  if (child == 0) _exit(Exec(path, argv));
  int status = 0;
  if (waitpid(child, &status, 0) != child) return 125;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 124;
}

}  // namespace vigil::fire
