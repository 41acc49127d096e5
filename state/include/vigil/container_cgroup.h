// container_cgroup.h — which container (runtime, id, Kubernetes pod) a cgroup path belongs to.
// Owned by the state stage: ProcessTable derives Process::container_id/container_full_id with it
// at exec and at the /proc snapshot; the containers stage re-parses a path to pick the runtime
// to ask for metadata. Pure functions, thread safe, cold-ish path (once per exec).
//
// Forms recognised (cgroup v1, v2 and hybrid hosts alike: the path is the one in the process's
// v1 cpuset hierarchy or its v2 unified hierarchy, which carry the same names):
//   cgroupfs driver                       systemd driver
//   /docker/<id>                          /system.slice/docker-<id>.scope
//   /libpod_parent/libpod-<id>            /machine.slice/libpod-<id>.scope[/container]
//   /libpod_parent/<pod>/libpod-<id>      /machine.slice/machine-libpod_pod_<pod>.slice/libpod-<id>.scope
//   /kubepods/<qos>/pod<uid>/<id>         /kubepods.slice/kubepods-<qos>.slice/
//   /kubepods/pod<uid>/<id>                 kubepods-<qos>-pod<uid_>.slice/cri-containerd-<id>.scope
//   /kubepods/<qos>/pod<uid>/crio-<id>      ... /crio-<id>.scope
//   /<namespace>/<id> (plain ctr, namespace in the configured list)
// <id> is 64 hex digits except for plain ctr (any name). Conmon scopes (libpod-conmon-*,
// crio-conmon-*) are the runtime's monitor, not the container. Nested containers (docker in
// docker) resolve to the innermost.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

enum class ContainerRuntime : uint8_t {
  kNone,        // not in a container
  kDocker,      // docker (containerd underneath, but the Engine API knows the metadata)
  kPodman,      // podman (libpod)
  kCri,         // Kubernetes pod through containerd's CRI plugin (cri-containerd-*, kubepods bare id)
  kCrio,        // CRI-O
  kContainerd,  // plain containerd (ctr, nerdctl): /<namespace>/<id>
  kUnknown,     // a 64-hex id in a cgroup no runtime above claims
};

// Falco's container.type spelling: docker, podman, containerd, cri-o, host, ... ("cri" and
// plain containerd both read "containerd", as Falco's CRI engine reports them).
std::string_view ContainerRuntimeName(ContainerRuntime r) noexcept;

struct CgroupContainer {
  ContainerRuntime runtime = ContainerRuntime::kNone;
  std::string id;         // full id (64 hex, or the ctr name)
  std::string pod_uid;    // Kubernetes pod uid with dashes (kubepods paths), else empty
  std::string ctr_namespace;  // plain containerd: the namespace
  std::string short_id() const { return id.substr(0, 12); }
};

// Containerd namespaces whose "/<ns>/<id>" cgroups are containers (ctr's default namespace).
const std::vector<std::string>& DefaultCtrNamespaces();

// Parses a cgroup path. Returns false (out->runtime = kNone) when the path is no container's.
bool ParseContainerCgroup(std::string_view cgroup_path, CgroupContainer* out,
                          const std::vector<std::string>& ctr_namespaces = DefaultCtrNamespaces());

// Derives a Falco-style short container id (12 chars) from a cgroup path, or "host".
std::string ContainerIdFromCgroup(const std::string& cgroup_path);

}  // namespace vigil
