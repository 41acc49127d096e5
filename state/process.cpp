#include "vigil/process.h"


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

void AssignContainer(Process* p) {
  CgroupContainer c;
  if (ParseContainerCgroup(p->cgroup, &c)) {
    p->container_id = c.short_id();
    p->container_full_id = std::move(c.id);
  } else {
    p->container_id = "host";
    p->container_full_id.clear();
  }
}

}  // namespace vigil
