// runtime_json.cpp — runtime JSON -> ContainerInfo (runtime_json.h).
#include "vigil/runtime_json.h"

#include <nlohmann/json.hpp>

namespace vigil {
namespace {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
bool Bool(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}
const json& Obj(const json& j, const char* key) {
  static const json kEmpty = json::object();
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}
const json& Arr(const json& j, const char* key) {
  static const json kEmpty = json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

bool Parse(std::string_view text, json* out, std::string* error) {
  *out = json::parse(text.begin(), text.end(), nullptr, false);
  if (out->is_discarded() || !out->is_object()) {
    *error = "not a JSON object";
    return false;
  }
  return true;
}

void SetImage(ContainerInfo* out, const std::string& image) {
  if (image.empty()) return;
  out->image = image;
  std::string digest;
  SplitImageRef(image, &out->image_repository, &out->image_tag, &digest);
  if (!digest.empty()) out->image_digest = digest;
}

std::string StripSha(std::string id) {
  if (id.rfind("sha256:", 0) == 0) id.erase(0, 7);
  return id;
}

// Kubernetes identity from io.kubernetes.* labels (dockershim / cri-dockerd, CRI-O).
void KubeFromLabels(ContainerInfo* out, const KeyValues& kv) {
  for (const auto& [k, v] : kv) {
    if (k == "io.kubernetes.pod.name" && out->pod_name.empty()) out->pod_name = v;
    else if (k == "io.kubernetes.pod.namespace" && out->pod_namespace.empty()) out->pod_namespace = v;
    else if (k == "io.kubernetes.pod.uid" && out->pod_uid.empty()) out->pod_uid = v;
    else if (k == "io.kubernetes.sandbox.id" && out->sandbox_id.empty()) out->sandbox_id = v;
  }
}

KeyValues StringMap(const json& j) {
  KeyValues kv;
  if (!j.is_object()) return kv;
  for (auto it = j.begin(); it != j.end(); ++it)
    if (it.value().is_string()) kv.emplace_back(it.key(), it.value().get<std::string>());
  return kv;
}

}  // namespace

bool ParseDockerInspect(std::string_view text, ContainerInfo* out, std::string* error) {
  json j;
  if (!Parse(text, &j, error)) return false;
  if (out->id.empty()) out->id = Str(j, "Id");
  std::string name = Str(j, "Name");
  if (!name.empty() && name[0] == '/') name.erase(0, 1);
  out->name = name;
  const json& config = Obj(j, "Config");
  SetImage(out, Str(config, "Image"));
  out->image_id = StripSha(Str(j, "Image"));
  if (out->image_digest.empty()) {
    // podman's compatible API adds ImageDigest; Docker has it only in the image's RepoDigests.
    std::string d = Str(j, "ImageDigest");
    if (!d.empty()) out->image_digest = d;
  }
  out->labels = StringMap(config.value("Labels", json::object()));
  const json& host = Obj(j, "HostConfig");
  out->privileged = Bool(host, "Privileged");
  out->host_network = Str(host, "NetworkMode") == "host";
  out->host_pid = Str(host, "PidMode") == "host";
  out->host_ipc = Str(host, "IpcMode") == "host";
  out->mounts.clear();
  for (const json& m : Arr(j, "Mounts")) {
    if (!m.is_object()) continue;
    ContainerMount cm;
    cm.source = Str(m, "Source");
    cm.dest = Str(m, "Destination");
    cm.mode = Str(m, "Mode");
    cm.rdwr = m.contains("RW") ? Bool(m, "RW") : true;
    cm.propagation = Str(m, "Propagation");
    out->mounts.push_back(std::move(cm));
  }
  const json& state = Obj(j, "State");
  out->start_ts_ns = ParseRfc3339Ns(Str(state, "StartedAt"));
  if (out->start_ts_ns == 0) out->start_ts_ns = ParseRfc3339Ns(Str(j, "Created"));
  const json& net = Obj(j, "NetworkSettings");
  out->ip = Str(net, "IPAddress");
  if (out->ip.empty()) {
    const json& nets = Obj(net, "Networks");
    for (auto it = nets.begin(); it != nets.end() && out->ip.empty(); ++it)
      if (it.value().is_object()) out->ip = Str(it.value(), "IPAddress");
  }
  KubeFromLabels(out, out->labels);
  return true;
}

bool ParseOciConfig(std::string_view text, ContainerInfo* out, std::string* error) {
  json j;
  if (!Parse(text, &j, error)) return false;
  // Mounts: bind mounts only (proc, sysfs, tmpfs /dev... are the runtime's own).
  out->mounts.clear();
  for (const json& m : Arr(j, "mounts")) {
    if (!m.is_object()) continue;
    bool bind = Str(m, "type") == "bind";
    ContainerMount cm;
    cm.rdwr = true;
    for (const json& o : Arr(m, "options")) {
      if (!o.is_string()) continue;
      std::string opt = o.get<std::string>();
      if (opt == "bind" || opt == "rbind") bind = true;
      else if (opt == "ro") cm.rdwr = false;
      else if (opt == "rprivate" || opt == "private" || opt == "rshared" || opt == "shared" ||
               opt == "rslave" || opt == "slave")
        cm.propagation = opt;
    }
    if (!bind) continue;
    cm.source = Str(m, "source");
    cm.dest = Str(m, "destination");
    cm.mode = cm.rdwr ? "rw" : "ro";
    out->mounts.push_back(std::move(cm));
  }
  const json& linux_ = Obj(j, "linux");
  bool net = false, pid = false, ipc = false;
  for (const json& ns : Arr(linux_, "namespaces")) {
    std::string t = ns.is_object() ? Str(ns, "type") : std::string();
    net = net || t == "network";
    pid = pid || t == "pid";
    ipc = ipc || t == "ipc";
  }
  if (linux_.contains("namespaces")) {
    out->host_network = !net;
    out->host_pid = !pid;
    out->host_ipc = !ipc;
  }
  // Privileged, as runtimes build it: every capability incl. CAP_SYS_ADMIN in the bounding
  // set and no masked/read-only /proc paths (docker, podman, CRI all clear them for
  // --privileged / securityContext.privileged).
  bool sys_admin = false;
  for (const json& c : Arr(Obj(Obj(j, "process"), "capabilities"), "bounding"))
    sys_admin = sys_admin || (c.is_string() && c.get<std::string>() == "CAP_SYS_ADMIN");
  out->privileged = sys_admin && Arr(linux_, "maskedPaths").empty() &&
                    Arr(linux_, "readonlyPaths").empty();

  const json& ann = Obj(j, "annotations");
  KeyValues a = StringMap(ann);
  auto get = [&](std::string_view k) -> std::string {
    for (const auto& [key, v] : a)
      if (key == k) return v;
    return {};
  };
  // podman records --privileged as an annotation
  if (std::string v = get("io.podman.annotations.privileged"); !v.empty()) out->privileged = v == "TRUE";
  // containerd CRI plugin
  if (std::string n = get("io.kubernetes.cri.container-name"); !n.empty()) out->name = n;
  if (std::string i = get("io.kubernetes.cri.image-name"); !i.empty()) SetImage(out, i);
  if (std::string v = get("io.kubernetes.cri.sandbox-name"); !v.empty()) out->pod_name = v;
  if (std::string v = get("io.kubernetes.cri.sandbox-namespace"); !v.empty()) out->pod_namespace = v;
  if (std::string v = get("io.kubernetes.cri.sandbox-uid"); !v.empty()) out->pod_uid = v;
  if (std::string v = get("io.kubernetes.cri.sandbox-id"); !v.empty()) out->sandbox_id = v;
  // CRI-O
  if (std::string n = get("io.kubernetes.container.name"); !n.empty() && out->name.empty()) out->name = n;
  if (std::string i = get("io.kubernetes.cri-o.ImageName"); !i.empty() && out->image.empty()) SetImage(out, i);
  if (std::string v = get("io.kubernetes.cri-o.ImageRef"); !v.empty() && out->image_id.empty())
    out->image_id = StripSha(v);
  if (std::string v = get("io.kubernetes.cri-o.SandboxID"); !v.empty() && out->sandbox_id.empty()) out->sandbox_id = v;
  if (std::string v = get("io.kubernetes.cri-o.Created"); !v.empty() && out->start_ts_ns == 0)
    out->start_ts_ns = ParseRfc3339Ns(v);
  if (std::string v = get("io.kubernetes.cri-o.IP.0"); !v.empty() && out->ip.empty()) out->ip = v;
  if (std::string v = get("io.kubernetes.cri-o.Labels"); !v.empty()) {
    json labels = json::parse(v, nullptr, false);
    if (!labels.is_discarded()) {
      out->labels = StringMap(labels);
      KubeFromLabels(out, out->labels);
    }
  }
  KubeFromLabels(out, a);
  return true;
}

bool ParsePodmanContainersJson(std::string_view text, ContainerInfo* out, std::string* error) {
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    *error = "containers.json: not a JSON array";
    return false;
  }
  for (const json& c : j) {
    if (!c.is_object() || Str(c, "id") != out->id) continue;
    const json& names = Arr(c, "names");
    if (!names.empty() && names[0].is_string()) out->name = names[0].get<std::string>();
    out->image_id = Str(c, "image");
    // "metadata" is a JSON document in a string: image-name, name, created-at (unix s).
    json md = json::parse(Str(c, "metadata"), nullptr, false);
    if (!md.is_discarded() && md.is_object()) {
      SetImage(out, Str(md, "image-name"));
      if (out->name.empty()) out->name = Str(md, "name");
      auto it = md.find("created-at");
      if (it != md.end() && it->is_number_integer() && out->start_ts_ns == 0)
        out->start_ts_ns = it->get<uint64_t>() * 1'000'000'000ULL;
    }
    if (out->start_ts_ns == 0) out->start_ts_ns = ParseRfc3339Ns(Str(c, "created"));
    return true;
  }
  *error = "containers.json: no entry for " + out->id;
  return false;
}

}  // namespace vigil
