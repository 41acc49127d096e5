// runtime_sources.h — fetches one container's metadata from the runtime that owns it:
// Docker Engine API (docker.sock, podman.sock) over a unix socket with libcurl, podman's
// on-disk state, containerd task bundles (CRI and plain ctr) plus the CRI API for pod labels,
// CRI-O's on-disk state.
// Runs on the containers stage's worker threads only (blocking I/O with timeouts), never on
// the event thread. Thread safe (no shared state; one curl handle per call).
#pragma once

#include <string>

#include "vigil/container_cgroup.h"
#include "vigil/container_info.h"
#include "vigil/containers_config.h"

namespace vigil {

struct FetchResult {
  enum class Status : uint8_t { kOk, kNotFound, kTimeout, kError };
  Status status = Status::kNotFound;
  ContainerInfo info;
  std::string error;  // what failed (for the rate-limited log); with kOk: a part that failed
  bool partial_timeout = false;  // kOk, but a secondary source (CRI pod labels) timed out
};

FetchResult FetchContainer(const CgroupContainer& c, const ContainersConfig& cfg);

// One Docker Engine API GET on a unix socket. Returns the HTTP status (0 on transport
// failure, with *timed_out set when it was a timeout) and the body.
long DockerApiGet(const std::string& socket, const std::string& path, int timeout_ms,
                  std::string* body, bool* timed_out, std::string* error);

}  // namespace vigil
