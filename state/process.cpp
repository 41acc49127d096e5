#include "vigil/process.h"

#include <cctype>

namespace vigil {

std::vector<std::string> SplitNul(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t end = s.find('\0', start);
    if (end == std::string_view::npos) end = s.size();
    out.emplace_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string BuildCmdline(const std::string& comm, const std::vector<std::string>& args) {
  std::string out = comm;
  for (const auto& a : args) {
    out.push_back(' ');
    out += a;
  }
  return out;
}

namespace {
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
}  // namespace

std::string ContainerIdFromCgroup(const std::string& cgroup_path) {
  // Container runtimes put a 64-hex id in the cgroup path: /docker/<id>,
  // /system.slice/docker-<id>.scope, /kubepods/.../cri-containerd-<id>.scope, libpod-<id>...
  const std::size_t n = cgroup_path.size();
  std::size_t run = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (IsHex(cgroup_path[i])) {
      ++run;
      if (run == 64 && (i + 1 == n || !IsHex(cgroup_path[i + 1]))) {
        std::size_t start = i + 1 - 64;
        if (start == 0 || !IsHex(cgroup_path[start - 1])) {
          return cgroup_path.substr(start, 12);
        }
      }
    } else {
      run = 0;
    }
  }
  return "host";
}

}  // namespace vigil
