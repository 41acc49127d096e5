// containers_config.h — where the containers stage finds runtimes, and its limits.
// The daemon fills it from vigil.yaml's `containers:` section (docs/containers.md). Plain data.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace vigil {

struct ContainersConfig {
  bool enabled = true;
  // Docker Engine API sockets, tried in order (docker, then podman's compatible service).
  std::vector<std::string> docker_sockets{"/var/run/docker.sock"};
  std::string podman_socket = "/run/podman/podman.sock";
  std::string podman_storage = "/var/lib/containers/storage";  // containers.json, userdata
  std::string containerd_state = "/run/containerd";            // io.containerd.runtime.v2.task/<ns>/<id>
  // CRI API sockets asked for a containerd pod's labels (PodSandboxStatus), tried in order.
  std::vector<std::string> cri_sockets{"/run/containerd/containerd.sock"};
  std::string crio_state = "/run/containers/storage";          // overlay-containers/<id>/userdata
  std::string cgroup_root = "/sys/fs/cgroup";                  // eviction: the container's cgroup is gone
  int api_timeout_ms = 1000;      // per runtime API request (connect + response)
  int hold_ms = 500;              // how long an event of a container with pending metadata waits
  int workers = 2;                // metadata fetch threads
  int evict_interval_ms = 5000;   // how often gone containers are evicted
  int retries = 3;                // fetch attempts when no runtime knows the id yet
  int retry_delay_ms = 100;
  std::size_t max_containers = 8192;  // cache bound (oldest evicted first)
  std::size_t max_held_events = 4096; // events waiting for metadata; past it they go out without
};

}  // namespace vigil
