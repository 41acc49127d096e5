// test_alerts.h — shared fixtures for the outputs tests: a sample alert and small helpers
// (temp dirs, file reading, polling). Test-only.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "vigil/alert.h"

namespace vigil::testing {

// 2026-11-24T15:37:51.123456789Z
inline constexpr uint64_t kSampleTs = 1795534671123456789ULL;

inline AlertField StrField(std::string name, std::string value) {
  AlertField f;
  f.name = std::move(name);
  f.kind = AlertField::Kind::kString;
  f.str = std::move(value);
  return f;
}
inline AlertField IntField(std::string name, int64_t value) {
  AlertField f;
  f.name = std::move(name);
  f.kind = AlertField::Kind::kInt;
  f.i = value;
  return f;
}
inline AlertField NullField(std::string name) {
  AlertField f;
  f.name = std::move(name);
  return f;
}

inline Alert SampleAlert(std::string output = "Shell spawned (user=root proc=bash)") {
  Alert a;
  a.ts_ns = kSampleTs;
  a.rule = "Terminal shell in container";
  a.priority = Priority::kWarning;
  a.source = "syscall";
  a.hostname = "host-1";
  a.output = std::move(output);
  a.output_fields = {StrField("proc.name", "bash"), IntField("proc.pid", 4242),
                     StrField("user.name", "root"), NullField("container.name")};
  a.tags = {"container", "shell", "mitre_execution"};
  return a;
}

// A fresh directory under /tmp, removed with its contents on destruction.
class ScratchDir {
 public:
  ScratchDir() {
    std::string tmpl = "/tmp/vigil-outputs-test-XXXXXX";
    path_ = mkdtemp(tmpl.data());
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Polls `done` every 5 ms until it is true or `timeout` passes.
inline bool WaitFor(const std::function<bool()>& done,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace vigil::testing
