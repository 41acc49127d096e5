// runtime_sources.cpp — per-runtime metadata fetch (runtime_sources.h).
#include "vigil/runtime_sources.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "vigil/cri_client.h"
#include "vigil/runtime_json.h"

namespace vigil {
namespace {

bool Exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

bool ReadWhole(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

size_t Collect(char* ptr, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() > (8u << 20)) return 0;  // an inspect is a few KiB; refuse a flood
  body->append(ptr, size * n);
  return size * n;
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

// Docker Engine API inspect on one socket. kNotFound when the socket is absent or says 404.
FetchResult FromDockerApi(const std::string& socket, const std::string& id, int timeout_ms,
                          ContainerRuntime rt, const char* source) {
  FetchResult r;
  if (!Exists(socket)) return r;
  std::string body, error;
  bool timed_out = false;
  long code = DockerApiGet(socket, "/containers/" + id + "/json", timeout_ms, &body, &timed_out, &error);
  if (code == 200) {
    r.info.id = id;
    r.info.runtime = rt;
    if (!ParseDockerInspect(body, &r.info, &r.error)) {
      r.status = FetchResult::Status::kError;
      r.error = socket + ": " + r.error;
      return r;
    }
    r.info.source = source;
    r.status = FetchResult::Status::kOk;
  } else if (code == 404) {
    r.status = FetchResult::Status::kNotFound;
  } else {
    r.status = timed_out ? FetchResult::Status::kTimeout : FetchResult::Status::kError;
    r.error = socket + ": " + (code ? "HTTP " + std::to_string(code) : error);
  }
  return r;
}

// An OCI bundle's config.json (containerd task, CRI-O / podman userdata).
FetchResult FromOciConfig(const std::string& path, const std::string& id, ContainerRuntime rt,
                          const char* source) {
  FetchResult r;
  std::string text;
  if (!ReadWhole(path, &text)) return r;
  r.info.id = id;
  r.info.runtime = rt;
  if (!ParseOciConfig(text, &r.info, &r.error)) {
    r.status = FetchResult::Status::kError;
    r.error = path + ": " + r.error;
    return r;
  }
  r.info.source = source;
  r.status = FetchResult::Status::kOk;
  return r;
}

std::string ContainerdBundle(const ContainersConfig& cfg, const std::string& ns, const std::string& id) {
  return cfg.containerd_state + "/io.containerd.runtime.v2.task/" + ns + "/" + id + "/config.json";
}

FetchResult FromPodmanDisk(const ContainersConfig& cfg, const std::string& id) {
  const std::string dir = cfg.podman_storage + "/overlay-containers/";
  FetchResult r = FromOciConfig(dir + id + "/userdata/config.json", id, ContainerRuntime::kPodman,
                                "podman-disk");
  if (r.status == FetchResult::Status::kError) return r;
  std::string text;
  if (!ReadWhole(dir + "containers.json", &text)) return r;
  if (r.status != FetchResult::Status::kOk) {
    r.info = ContainerInfo{};
    r.info.id = id;
    r.info.runtime = ContainerRuntime::kPodman;
    r.info.source = "podman-disk";
  }
  std::string err;
  if (ParsePodmanContainersJson(text, &r.info, &err)) r.status = FetchResult::Status::kOk;
  return r;
}

// containerd keeps a pod's labels in its own store, not in the bundle: ask its CRI API.
// A failure leaves the labels empty and says why in r->error (logged, counted; the rest of
// the metadata stands).
void AddCriPodLabels(const ContainersConfig& cfg, FetchResult* r) {
  if (r->info.sandbox_id.empty() || !r->info.pod_labels.empty()) return;
  for (const auto& socket : cfg.cri_sockets) {
    std::string error;
    switch (CriPodLabels(socket, r->info.sandbox_id, cfg.api_timeout_ms, &r->info.pod_labels, &error)) {
      case CriStatus::kOk:
        return;
      case CriStatus::kNoSocket:
      case CriStatus::kNotFound:
        continue;
      case CriStatus::kTimeout:
        r->partial_timeout = true;
        [[fallthrough]];
      case CriStatus::kError:
        r->error = "pod labels: " + error;
        return;
    }
  }
}

// The first result that is not "not found".
bool Done(const FetchResult& r) { return r.status != FetchResult::Status::kNotFound; }

}  // namespace

long DockerApiGet(const std::string& socket, const std::string& path, int timeout_ms,
                  std::string* body, bool* timed_out, std::string* error) {
  static CurlGlobal global;
  *timed_out = false;
  CURL* h = curl_easy_init();
  if (!h) {
    *error = "curl_easy_init failed";
    return 0;
  }
  const std::string url = "http://localhost" + path;
  curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
  CURLcode rc = curl_easy_perform(h);
  long code = 0;
  if (rc == CURLE_OK) {
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  } else {
    *timed_out = rc == CURLE_OPERATION_TIMEDOUT;
    *error = curl_easy_strerror(rc);
  }
  curl_easy_cleanup(h);
  return code;
}

FetchResult FetchContainer(const CgroupContainer& c, const ContainersConfig& cfg) {
  FetchResult r;
  const std::string& id = c.id;
  auto docker = [&]() {
    for (const auto& s : cfg.docker_sockets) {
      FetchResult d = FromDockerApi(s, id, cfg.api_timeout_ms, ContainerRuntime::kDocker, "docker-api");
      if (Done(d)) return d;
    }
    return FetchResult{};
  };
  switch (c.runtime) {
    case ContainerRuntime::kDocker:
      r = docker();
      if (!Done(r)) {
        // No Engine API: docker's containerd bundle still has mounts and privileges.
        r = FromOciConfig(ContainerdBundle(cfg, "moby", id), id, ContainerRuntime::kDocker, "containerd-bundle");
      }
      break;
    case ContainerRuntime::kPodman:
      r = FromDockerApi(cfg.podman_socket, id, cfg.api_timeout_ms, ContainerRuntime::kPodman, "podman-api");
      if (!Done(r) || r.status == FetchResult::Status::kTimeout) {
        FetchResult disk = FromPodmanDisk(cfg, id);
        if (Done(disk)) r = std::move(disk);
      }
      break;
    case ContainerRuntime::kCri:
      r = FromOciConfig(ContainerdBundle(cfg, "k8s.io", id), id, ContainerRuntime::kCri, "containerd-bundle");
      if (r.status == FetchResult::Status::kOk) AddCriPodLabels(cfg, &r);
      if (!Done(r)) r = docker();  // cri-dockerd
      break;
    case ContainerRuntime::kCrio:
      r = FromOciConfig(cfg.crio_state + "/overlay-containers/" + id + "/userdata/config.json", id,
                        ContainerRuntime::kCrio, "crio-disk");
      break;
    case ContainerRuntime::kContainerd:
      r = FromOciConfig(ContainerdBundle(cfg, c.ctr_namespace, id), id, ContainerRuntime::kContainerd,
                        "containerd-bundle");
      break;
    case ContainerRuntime::kUnknown:
      r = docker();
      if (!Done(r)) r = FromPodmanDisk(cfg, id);
      break;
    case ContainerRuntime::kNone:
      break;
  }
  if (r.status == FetchResult::Status::kOk) {
    if (r.info.pod_uid.empty()) r.info.pod_uid = c.pod_uid;
    r.info.id = id;
  }
  return r;
}

}  // namespace vigil
