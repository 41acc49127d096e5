// container_info.h — what vigil knows about one container: the runtime's metadata, named as
// Falco's container.* and k8s.* fields. Produced by the containers stage's metadata worker
// (runtime_sources.h), published immutable through shared_ptr<const ContainerInfo>; read by
// the engine's container.*/k8s.* extractors on the event thread. Plain data; immutable once
// published, so any thread may read it. Not on the hot path to build (once per container).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/container_cgroup.h"

namespace vigil {

struct ContainerMount {
  std::string source;       // host path (container.mount.source)
  std::string dest;         // path inside the container (container.mount.dest)
  std::string mode;         // runtime's mode string ("z", "ro", ...; may be empty)
  bool rdwr = true;         // container.mount.rdwr
  std::string propagation;  // rprivate, rshared, ... (may be empty)
};

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct ContainerInfo {
  std::string id;                // full id
  ContainerRuntime runtime = ContainerRuntime::kUnknown;
  std::string name;              // container.name (without docker's leading '/')
  std::string image;             // container.image: as the user wrote it
  std::string image_repository;  // container.image.repository
  std::string image_tag;         // container.image.tag
  std::string image_digest;      // container.image.digest (sha256:...)
  std::string image_id;          // container.image.id (64 hex, without "sha256:")
  bool privileged = false;
  bool host_network = false, host_pid = false, host_ipc = false;
  std::vector<ContainerMount> mounts;
  uint64_t start_ts_ns = 0;      // container.start_ts (0 = unknown)
  KeyValues labels;              // container.label[key]
  std::string ip;                // container.ip (first address; empty = unknown)
  // Kubernetes, from CRI annotations / io.kubernetes.* labels (no API server needed).
  std::string pod_name, pod_uid, pod_namespace, sandbox_id;
  KeyValues pod_labels;          // k8s.pod.label[key]
  std::string source;            // where the metadata came from ("docker-api", "podman-disk", ...)

  std::string_view Label(std::string_view key) const;     // "" when absent
  std::string_view PodLabel(std::string_view key) const;  // "" when absent
  // Approximate heap footprint (metrics: container cache bytes).
  std::size_t MemoryBytes() const;
};

// Splits an image reference as Falco does: "docker.io/library/nginx:1.25.3@sha256:..." ->
// repository "docker.io/library/nginx", tag "1.25.3", digest "sha256:...". A registry port
// ("host:5000/img") is not a tag.
void SplitImageRef(std::string_view ref, std::string* repository, std::string* tag,
                   std::string* digest);

// Parses an RFC 3339 time ("2026-12-01T20:06:08.123456789Z", offsets allowed) into ns since
// the epoch; 0 when it does not parse (or is Go's zero time).
uint64_t ParseRfc3339Ns(std::string_view s);

}  // namespace vigil
