// runtime_json.h — turns what container runtimes say about a container into ContainerInfo.
// Pure functions over JSON text (no I/O), so each runtime's shape is unit-tested on fixtures:
//  - Docker Engine API GET /containers/<id>/json (podman's compatible API serves the same),
//  - an OCI runtime bundle config.json (containerd task bundles, CRI annotations, CRI-O,
//    podman's userdata/config.json),
//  - podman's containers.json entry (storage metadata: name, image name, image id).
// Owned by the containers stage; thread safe (no state). Cold path (once per container).
#pragma once

#include <string>
#include <string_view>

#include "vigil/container_info.h"

namespace vigil {

// Docker Engine API container inspect. Returns false with *error on malformed JSON.
bool ParseDockerInspect(std::string_view json, ContainerInfo* out, std::string* error);

// OCI runtime spec (config.json): mounts, namespaces (host_*), privileged (see docs),
// annotations (CRI: io.kubernetes.cri.*, CRI-O: io.kubernetes.*). Fills only what it finds.
bool ParseOciConfig(std::string_view json, ContainerInfo* out, std::string* error);

// Podman's overlay-containers/containers.json: finds the entry for out->id and fills name,
// image, image id, created time. Returns false when the id is not listed.
bool ParsePodmanContainersJson(std::string_view json, ContainerInfo* out, std::string* error);

}  // namespace vigil
