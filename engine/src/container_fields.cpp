// container_fields.cpp — container.* and k8s.* extraction from the containers stage's
// metadata (container_info.h), as Falco names and types them. Hot path when a rule reads
// these fields: one cache probe per event (memoised in the EvalContext), no allocation
// (rendered lists go into the context's arena).
#include <fnmatch.h>

#include <charconv>

#include "arg_render.h"
#include "field_extract.h"

namespace vigil {
namespace {

inline Value Str(std::string_view s) { return Value{Value::Kind::kStr, 0, s}; }
inline Value Num(int64_t n) { return Value{Value::Kind::kNum, n, {}}; }
inline Value Bool(bool b) { return Value{Value::Kind::kBool, b ? 1 : 0, {}}; }

bool InContainer(const Process* p) {
  return p && !p->container_id.empty() && p->container_id != "host";
}

// "k1:v1, k2:v2" (Falco's container.labels / k8s.pod.labels).
std::string_view JoinKv(const KeyValues& kv, EvalContext& ctx) {
  std::size_t total = 0;
  for (const auto& [k, v] : kv) total += k.size() + v.size() + 3;
  char* buf = ctx.Alloc(total + 1);
  if (!buf) return {};
  CharSink sink{buf, total + 1};
  for (std::size_t i = 0; i < kv.size(); ++i) {
    if (i) sink.Append(", ");
    sink.Append(kv[i].first);
    sink.AppendChar(':');
    sink.Append(kv[i].second);
  }
  return sink.view();
}

void AppendMount(CharSink& sink, const ContainerMount& m) {
  sink.Append(m.source);
  sink.AppendChar(':');
  sink.Append(m.dest);
  sink.AppendChar(':');
  sink.Append(m.mode);
  sink.AppendChar(':');
  sink.Append(m.rdwr ? "true" : "false");
  sink.AppendChar(':');
  sink.Append(m.propagation);
}

std::size_t MountSize(const ContainerMount& m) {
  return m.source.size() + m.dest.size() + m.mode.size() + m.propagation.size() + 10;
}

// Falco: a mount by number ([0]) or by path glob. container.mount.source[...] selects by
// destination; every other container.mount* selects by source.
const ContainerMount* SelectMount(const ContainerInfo& c, const std::string& key, bool by_dest) {
  if (key.empty()) return nullptr;
  std::size_t idx = 0;
  auto [ptr, ec] = std::from_chars(key.data(), key.data() + key.size(), idx);
  if (ec == std::errc() && ptr == key.data() + key.size())
    return idx < c.mounts.size() ? &c.mounts[idx] : nullptr;
  for (const auto& m : c.mounts) {
    const std::string& path = by_dest ? m.dest : m.source;
    if (fnmatch(key.c_str(), path.c_str(), 0) == 0) return &m;
  }
  return nullptr;
}

}  // namespace

const ContainerInfo* EvalContext::container() noexcept {
  if (!container_done_) {
    container_done_ = true;
    const Process* p = proc();
    if (containers_ && p && !p->container_full_id.empty()) container_ = containers_->Find(p->container_full_id);
  }
  return container_.get();
}

int ExtractContainerField(const FieldRef& ref, EvalContext& ctx, Value* out) noexcept {
  auto one = [&](Value v) {
    out[0] = v;
    return 1;
  };
  auto str_or_none = [&](std::string_view s) { return s.empty() ? 0 : one(Str(s)); };
  const Process* p = ctx.proc();
  if (!p) return 0;
  const bool in_container = InContainer(p);
  if (!in_container) {
    // Falco: container.name and container.type read "host" outside containers.
    if (ref.id == FieldId::kContainerName || ref.id == FieldId::kContainerType) return one(Str("host"));
    return 0;
  }
  // A mount that is not there reads the string "<NA>" (not a missing value): the upstream
  // sensitive_mount macro tests `not container.mount.dest[/etc] in ("<NA>","N/A")`.
  const bool mount_field = ref.id == FieldId::kContainerMountSource || ref.id == FieldId::kContainerMountDest ||
                           ref.id == FieldId::kContainerMountMode || ref.id == FieldId::kContainerMountRdwr ||
                           ref.id == FieldId::kContainerMountPropagation;
  const ContainerInfo* c = ctx.container();
  if (!c) {
    if (mount_field) return one(Str("<NA>"));
    if (ref.id == FieldId::kContainerPrivileged) {
      // No runtime metadata (yet, or no runtime answered): a container process holding the
      // capabilities only `--privileged` grants counts as privileged (NET_ADMIN, SYS_MODULE,
      // SYS_RAWIO, SYS_PTRACE, SYS_ADMIN).
      constexpr uint64_t kPrivilegedCaps = (uint64_t{1} << 12) | (uint64_t{1} << 16) |
                                           (uint64_t{1} << 17) | (uint64_t{1} << 19) | (uint64_t{1} << 21);
      return one(Bool((p->cap_effective & kPrivilegedCaps) == kPrivilegedCaps));
    }
    return 0;
  }
  switch (ref.id) {
    case FieldId::kContainerName: return str_or_none(c->name);
    case FieldId::kContainerType: return one(Str(ContainerRuntimeName(c->runtime)));
    case FieldId::kContainerPrivileged: return one(Bool(c->privileged));
    case FieldId::kContainerImage: return str_or_none(c->image);
    case FieldId::kContainerImageId: return str_or_none(c->image_id);
    case FieldId::kContainerImageRepository: return str_or_none(c->image_repository);
    case FieldId::kContainerImageTag: return str_or_none(c->image_tag);
    case FieldId::kContainerImageDigest: return str_or_none(c->image_digest);
    case FieldId::kContainerHostPid: return one(Bool(c->host_pid));
    case FieldId::kContainerHostNetwork: return one(Bool(c->host_network));
    case FieldId::kContainerHostIpc: return one(Bool(c->host_ipc));
    case FieldId::kContainerIp: return str_or_none(c->ip);
    case FieldId::kContainerStartTs:
      return c->start_ts_ns ? one(Num(static_cast<int64_t>(c->start_ts_ns))) : 0;
    case FieldId::kContainerDuration: {
      if (!c->start_ts_ns || ctx.ev().ts_ns < c->start_ts_ns) return 0;
      return one(Num(static_cast<int64_t>(ctx.ev().ts_ns - c->start_ts_ns)));
    }
    case FieldId::kContainerLabel: return str_or_none(c->Label(ref.key));
    case FieldId::kContainerLabels: return c->labels.empty() ? 0 : str_or_none(JoinKv(c->labels, ctx));
    case FieldId::kContainerMounts: {
      if (c->mounts.empty()) return 0;
      std::size_t total = 0;
      for (const auto& m : c->mounts) total += MountSize(m) + 1;
      char* buf = ctx.Alloc(total);
      if (!buf) return 0;
      CharSink sink{buf, total};
      for (std::size_t i = 0; i < c->mounts.size(); ++i) {
        if (i) sink.AppendChar(',');
        AppendMount(sink, c->mounts[i]);
      }
      return one(Str(sink.view()));
    }
    case FieldId::kContainerMount: {
      const ContainerMount* m = SelectMount(*c, ref.key, false);
      if (!m) return one(Str("none"));  // Falco: "none", not <NA>, for no such mount
      std::size_t total = MountSize(*m);
      char* buf = ctx.Alloc(total);
      if (!buf) return 0;
      CharSink sink{buf, total};
      AppendMount(sink, *m);
      return one(Str(sink.view()));
    }
    case FieldId::kContainerMountSource: {
      const ContainerMount* m = SelectMount(*c, ref.key, true);
      return m ? str_or_none(m->source) : one(Str("<NA>"));
    }
    case FieldId::kContainerMountDest: {
      const ContainerMount* m = SelectMount(*c, ref.key, false);
      return m ? str_or_none(m->dest) : one(Str("<NA>"));
    }
    case FieldId::kContainerMountMode: {
      const ContainerMount* m = SelectMount(*c, ref.key, false);
      return m ? one(Str(m->mode)) : one(Str("<NA>"));
    }
    case FieldId::kContainerMountRdwr: {
      const ContainerMount* m = SelectMount(*c, ref.key, false);
      return m ? one(Str(m->rdwr ? "true" : "false")) : one(Str("<NA>"));
    }
    case FieldId::kContainerMountPropagation: {
      const ContainerMount* m = SelectMount(*c, ref.key, false);
      return m ? one(Str(m->propagation)) : one(Str("<NA>"));
    }
    case FieldId::kK8sNsName: return str_or_none(c->pod_namespace);
    case FieldId::kK8sPodName: return str_or_none(c->pod_name);
    case FieldId::kK8sPodId: case FieldId::kK8sPodUid: return str_or_none(c->pod_uid);
    case FieldId::kK8sPodSandboxId: return str_or_none(std::string_view(c->sandbox_id).substr(0, 12));
    case FieldId::kK8sPodFullSandboxId: return str_or_none(c->sandbox_id);
    case FieldId::kK8sPodLabel: return str_or_none(c->PodLabel(ref.key));
    case FieldId::kK8sPodLabels: return c->pod_labels.empty() ? 0 : str_or_none(JoinKv(c->pod_labels, ctx));
    case FieldId::kK8sPodIp: return c->pod_name.empty() ? 0 : str_or_none(c->ip);
    default:
      return 0;  // cni json, healthchecks, namespace labels, deployments: need an API server
  }
}

}  // namespace vigil
