// cri_client.h — the one CRI call vigil makes: runtime.v1.RuntimeService/PodSandboxStatus on
// containerd's (or CRI-O's) CRI socket, for the pod's labels, which containerd keeps in its
// own store rather than in the container's bundle. gRPC over HTTP/2 cleartext on the unix
// socket with libcurl (nghttp2); the two messages are decoded by hand (protobuf wire format).
// Runs on a containers-stage fetch worker (blocking, bounded by the timeout); never on the
// event path. Thread safe (no shared state).
#pragma once

#include <string>
#include <string_view>

#include "vigil/container_info.h"

namespace vigil {

enum class CriStatus { kOk, kNoSocket, kNotFound, kTimeout, kError };

// Fills *labels with the labels of pod sandbox `sandbox_id`. kNoSocket when `socket` does not
// exist; kNotFound when the runtime does not know the sandbox (gRPC NOT_FOUND); *error says why
// on kTimeout/kError.
CriStatus CriPodLabels(const std::string& socket, const std::string& sandbox_id, int timeout_ms,
                       KeyValues* labels, std::string* error);

// Decodes a PodSandboxStatusResponse message (no gRPC frame) into the sandbox's labels.
// False on malformed input. Exposed for tests.
bool DecodePodSandboxLabels(std::string_view message, KeyValues* labels);

}  // namespace vigil
