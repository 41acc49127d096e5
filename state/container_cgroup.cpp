// container_cgroup.cpp — cgroup path -> container (see container_cgroup.h).
#include "vigil/container_cgroup.h"

#include <cctype>

namespace vigil {
namespace {

bool IsHex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

// A container name as ctr accepts it: [A-Za-z0-9][A-Za-z0-9_.-]*, at most 76 chars.
bool IsCtrName(std::string_view s) {
  if (s.empty() || s.size() > 76 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  return true;
}

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

// "<prefix><64hex>[.scope]" -> the id, if the component has that shape.
bool PrefixedId(std::string_view comp, std::string_view prefix, std::string_view* id) {
  if (!StartsWith(comp, prefix)) return false;
  std::string_view rest = comp.substr(prefix.size());
  if (EndsWith(rest, ".scope")) rest.remove_suffix(6);
  if (!IsHex64(rest)) return false;
  *id = rest;
  return true;
}

// Pod uid from "pod<uid>" (cgroupfs) or "kubepods-[<qos>-]pod<uid_with_underscores>.slice".
bool PodUid(std::string_view comp, std::string* uid) {
  std::string_view u;
  if (StartsWith(comp, "pod")) {
    u = comp.substr(3);
  } else if (StartsWith(comp, "kubepods-") && EndsWith(comp, ".slice")) {
    std::size_t p = comp.rfind("pod");
    if (p == std::string_view::npos || p < 9 || comp[p - 1] != '-') return false;
    u = comp.substr(p + 3, comp.size() - p - 3 - 6);
  } else {
    return false;
  }
  if (u.size() < 32 || u.size() > 36) return false;
  for (char c : u)
    if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  uid->assign(u);
  for (char& c : *uid)
    if (c == '_') c = '-';
  return true;
}

}  // namespace

std::string_view ContainerRuntimeName(ContainerRuntime r) noexcept {
  switch (r) {
    case ContainerRuntime::kNone: return "host";
    case ContainerRuntime::kDocker: return "docker";
    case ContainerRuntime::kPodman: return "podman";
    case ContainerRuntime::kCri: return "containerd";
    case ContainerRuntime::kCrio: return "cri-o";
    case ContainerRuntime::kContainerd: return "containerd";
    case ContainerRuntime::kUnknown: return "unknown";
  }
  return "unknown";
}

const std::vector<std::string>& DefaultCtrNamespaces() {
  static const std::vector<std::string> kNs{"default"};
  return kNs;
}

bool ParseContainerCgroup(std::string_view cgroup_path, CgroupContainer* out,
                          const std::vector<std::string>& ctr_namespaces) {
  *out = CgroupContainer{};
  const auto parts = Split(cgroup_path);
  bool kube = false;
  for (auto p : parts) kube = kube || StartsWith(p, "kubepods");
  // Innermost container wins: scan from the leaf up.
  for (std::size_t k = parts.size(); k-- > 0;) {
    std::string_view c = parts[k];
    std::string_view id;
    ContainerRuntime rt = ContainerRuntime::kNone;
    if (StartsWith(c, "libpod-conmon-") || StartsWith(c, "crio-conmon-")) {
      return false;  // the runtime's monitor process, not the container
    } else if (PrefixedId(c, "docker-", &id)) {
      rt = ContainerRuntime::kDocker;
    } else if (PrefixedId(c, "libpod-", &id)) {
      rt = ContainerRuntime::kPodman;
    } else if (PrefixedId(c, "cri-containerd-", &id)) {
      rt = ContainerRuntime::kCri;
    } else if (PrefixedId(c, "crio-", &id)) {
      rt = ContainerRuntime::kCrio;
    } else if (IsHex64(c)) {
      id = c;
      std::string_view parent = k > 0 ? parts[k - 1] : std::string_view();
      if (parent == "docker") rt = ContainerRuntime::kDocker;
      else if (kube) rt = ContainerRuntime::kCri;
      else if (parent == "libpod_parent") continue;  // a podman pod's own cgroup, not a container
      else rt = ContainerRuntime::kUnknown;
    } else {
      continue;
    }
    out->runtime = rt;
    out->id.assign(id);
    if (kube)
      for (std::size_t j = 0; j < k; ++j)
        if (PodUid(parts[j], &out->pod_uid)) break;
    return true;
  }
  // Plain containerd (ctr run): /<namespace>/<id>.
  if (parts.size() == 2 && IsCtrName(parts[1])) {
    for (const auto& ns : ctr_namespaces) {
      if (parts[0] == ns) {
        out->runtime = ContainerRuntime::kContainerd;
        out->id.assign(parts[1]);
        out->ctr_namespace.assign(parts[0]);
        return true;
      }
    }
  }
  return false;
}

std::string ContainerIdFromCgroup(const std::string& cgroup_path) {
  CgroupContainer c;
  if (!ParseContainerCgroup(cgroup_path, &c)) return "host";
  return c.short_id();
}

}  // namespace vigil
