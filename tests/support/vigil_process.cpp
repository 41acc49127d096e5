#include "vigil_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace vigil::testing {

TempDir::TempDir() {
  char tmpl[] = "/tmp/vigil-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
  chmod(path_.c_str(), 0700);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::Write(const std::string& name, const std::string& text) const {
  std::string p = path_ + "/" + name;
  {
    std::ofstream out(p, std::ios::trunc);
    out << text;
  }
  chmod(p.c_str(), 0600);
  return p;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<nlohmann::json> ReadJsonLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::istringstream in(ReadFile(path));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(j);
  }
  return out;
}

const nlohmann::json* FindAlert(const std::vector<nlohmann::json>& alerts, const std::string& rule,
                                pid_t pid) {
  for (const auto& a : alerts) {
    if (a.value("rule", "") != rule) continue;
    const auto& f = a["output_fields"];
    if (f.contains("proc.pid") && f["proc.pid"].is_number() && f["proc.pid"].get<int64_t>() == pid)
      return &a;
  }
  return nullptr;
}

VigilProcess::VigilProcess(std::vector<std::string> args, std::string log_path)
    : log_path_(std::move(log_path)) {
  const char* bin = std::getenv("VIGIL_BINARY");
  std::string binary = bin ? bin : "build/vigil";
  // The log is emptied here, before the fork: a test that reuses a log path would otherwise
  // find the previous daemon's "probes attached" in WaitForLog before the child truncated it,
  // and act before this daemon's probes are attached.
  int created = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (created >= 0) close(created);
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log_path_.c_str(), O_WRONLY | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 2);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      close(fd);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
}

VigilProcess::~VigilProcess() {
  if (Running()) Stop();
}

bool VigilProcess::Running() const {
  if (reaped_ || pid_ <= 0) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = st;
    return false;
  }
  return true;
}

std::string VigilProcess::Log() const { return ReadFile(log_path_); }

bool VigilProcess::WaitForLog(const std::string& needle, std::chrono::milliseconds timeout) const {
  WaitUntil([&] { return Log().find(needle) != std::string::npos || !Running(); }, timeout);
  // The child may be reaped a moment before its last log line is visible to us.
  return WaitUntil([&] { return Log().find(needle) != std::string::npos; },
                   std::chrono::milliseconds(2000));
}

void VigilProcess::Signal(int sig) const {
  if (Running()) kill(pid_, sig);
}

int VigilProcess::Stop(std::chrono::milliseconds timeout) {
  if (Running()) kill(pid_, SIGTERM);
  if (!WaitUntil([&] { return !Running(); }, timeout)) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    reaped_ = true;
    return -1;
  }
  return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

pid_t RunChild(const std::vector<std::string>& argv, int* status) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> a;
    for (auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  waitpid(pid, status, 0);
  return pid;
}

std::string UniqueMarker(const std::string& prefix) {
  std::random_device rd;
  std::ostringstream os;
  os << prefix << "-" << getpid() << "-" << std::hex << rd() << rd();
  return os.str();
}

}  // namespace vigil::testing
