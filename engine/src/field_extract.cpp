// field_extract.cpp — field extraction for every registry field (see field_extract.h).
#include "field_extract.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <time.h>

#include <cctype>
#include <charconv>
#include <cstring>

#include "arg_render.h"
#include "vigil/condition_ast.h"

namespace vigil {
namespace {

inline Value Str(std::string_view s) { return Value{Value::Kind::kStr, 0, s}; }
inline Value Num(int64_t n) { return Value{Value::Kind::kNum, n, {}}; }
inline Value Bool(bool b) { return Value{Value::Kind::kBool, b ? 1 : 0, {}}; }
// `a` must outlive the value (it lives in the EvalContext's FdView).
inline Value Ip(const IpAddr& a) {
  if (a.len == 0) return Value{};
  return Value{Value::Kind::kIp, 0, std::string_view(reinterpret_cast<const char*>(a.bytes.data()), a.len)};
}

IpAddr IpFrom(uint16_t family, const std::array<uint8_t, 16>& bytes) {
  IpAddr a;
  if (family == AF_INET) a.len = 4;
  else if (family == AF_INET6) a.len = 16;
  else return a;
  a.bytes = bytes;
  return a;
}

std::string_view ArgStr(const Event& ev, ArgId id) {
  const Arg* a = ev.Find(id);
  return a && a->is_str ? a->str : std::string_view();
}
const Arg* ArgOf(const Event& ev, ArgId id) { return ev.Find(id); }

std::string_view Basename(std::string_view p) {
  auto slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}
std::string_view Dirname(std::string_view p) {
  auto slash = p.rfind('/');
  if (slash == std::string_view::npos) return {};
  if (slash == 0) return p.substr(0, 1);
  return p.substr(0, slash);
}

// Joins argv[1..] with spaces; proc.cmdline is "comm args", so usually a substring.
std::string_view ProcArgs(const Process& p, EvalContext& ctx) {
  if (p.args.empty()) return std::string_view();
  std::string_view cmd = p.cmdline;
  if (cmd.size() > p.comm.size() && cmd.substr(0, p.comm.size()) == p.comm &&
      cmd[p.comm.size()] == ' ')
    return cmd.substr(p.comm.size() + 1);
  std::size_t total = 0;
  for (const auto& a : p.args) total += a.size() + 1;
  char* buf = ctx.Alloc(total);
  if (!buf) return {};
  CharSink sink{buf, total};
  for (std::size_t i = 0; i < p.args.size(); ++i) {
    if (i) sink.AppendChar(' ');
    sink.Append(p.args[i]);
  }
  return sink.view();
}

std::string_view Exeline(const Process& p, EvalContext& ctx) {
  std::size_t total = p.exe.size();
  for (const auto& a : p.args) total += a.size() + 1;
  char* buf = ctx.Alloc(total);
  if (!buf) return {};
  CharSink sink{buf, total};
  sink.Append(p.exe);
  for (const auto& a : p.args) {
    sink.AppendChar(' ');
    sink.Append(a);
  }
  return sink.view();
}

std::string_view FormatTime(uint64_t ts_ns, int style, EvalContext& ctx) {
  // 0: HH:MM:SS.nnnnnnnnn, 1: HH:MM:SS, 2: ISO 8601, 3: datetime
  time_t secs = static_cast<time_t>(ts_ns / 1'000'000'000ULL);
  unsigned long ns = static_cast<unsigned long>(ts_ns % 1'000'000'000ULL);
  struct tm tm {};
  gmtime_r(&secs, &tm);
  char* buf = ctx.Alloc(48);
  if (!buf) return {};
  int n = 0;
  switch (style) {
    case 0: n = snprintf(buf, 48, "%02d:%02d:%02d.%09lu", tm.tm_hour, tm.tm_min, tm.tm_sec, ns); break;
    case 1: n = snprintf(buf, 48, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec); break;
    case 2:
      n = snprintf(buf, 48, "%04d-%02d-%02dT%02d:%02d:%02d.%09luZ", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns);
      break;
    default:
      n = snprintf(buf, 48, "%04d-%02d-%02d %02d:%02d:%02d.%09lu", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ns);
      break;
  }
  return std::string_view(buf, static_cast<std::size_t>(n < 0 ? 0 : (n > 47 ? 47 : n)));
}

std::string_view RenderIp(const Value& v, EvalContext& ctx) {
  char* buf = ctx.Alloc(INET6_ADDRSTRLEN);
  if (!buf) return {};
  if (!inet_ntop(v.str.size() == 4 ? AF_INET : AF_INET6, v.ip_bytes(), buf, INET6_ADDRSTRLEN)) return {};
  return std::string_view(buf);
}

bool IsUidArg(ArgId id) {
  return id == ArgId::kUid || id == ArgId::kRuid || id == ArgId::kEuid || id == ArgId::kSuid;
}
bool IsGidArg(ArgId id) {
  return id == ArgId::kGid || id == ArgId::kRgid || id == ArgId::kEgid || id == ArgId::kSgid;
}

// Renders one event argument as Falco's evt.arg does.
Value RenderArg(const Arg& a, EvalContext& ctx) {
  if (a.is_str) return Str(a.str);
  char* buf = ctx.Alloc(512);
  if (!buf) return Value{};
  CharSink sink{buf, 512};
  if (IsUidArg(a.id) || IsGidArg(a.id)) {
    if (const auto* db = ctx.users()) {
      if (IsUidArg(a.id)) {
        if (const auto* u = db->FindUser(static_cast<uint32_t>(a.num))) return Str(u->name);
      } else if (const auto* g = db->FindGroup(static_cast<uint32_t>(a.num))) {
        return Str(*g);
      }
    }
    sink.AppendInt(a.num);
    return Str(sink.view());
  }
  if (!RenderSymbolicArg(ctx.ev().type, a.id, a.num, &sink)) sink.AppendInt(a.num);
  return Str(sink.view());
}

Value EvtArgs(EvalContext& ctx) {
  const Event& ev = ctx.ev();
  char* buf = ctx.Alloc(2048);
  if (!buf) return Value{};
  CharSink sink{buf, 2048};
  for (uint8_t i = 0; i < ev.nargs; ++i) {
    if (i) sink.AppendChar(' ');
    sink.Append(ArgName(ev.args[i].id));
    sink.AppendChar('=');
    Value v = RenderArg(ev.args[i], ctx);
    sink.Append(v.str);
  }
  return Str(sink.view());
}

std::string_view FsPathArg(const Event& ev, int which, bool raw, EvalContext& ctx) {
  // which: 0 name, 1 source, 2 target
  std::string_view p;
  int64_t dirfd = AT_FDCWD;
  auto dirfd_of = [&](ArgId id) {
    const Arg* a = ev.Find(id);
    if (a && !a->is_str) dirfd = a->num;
  };
  switch (ev.type) {
    case EventType::kRename: case EventType::kRenameat: case EventType::kRenameat2:
    case EventType::kLink: case EventType::kLinkat:
      if (which == 0) return {};
      p = ArgStr(ev, which == 1 ? ArgId::kOldpath : ArgId::kNewpath);
      dirfd_of(which == 1 ? ArgId::kOlddirfd : ArgId::kNewdirfd);
      break;
    case EventType::kSymlink: case EventType::kSymlinkat:
      if (which == 0) return {};
      if (which == 1) return ArgStr(ev, ArgId::kTarget);  // symlink content is not resolved
      p = ArgStr(ev, ArgId::kLinkpath);
      dirfd_of(ArgId::kNewdirfd);
      break;
    default: {
      if (which != 0) return {};
      for (ArgId id : {ArgId::kName, ArgId::kPath, ArgId::kFilename, ArgId::kPathname}) {
        p = ArgStr(ev, id);
        if (!p.empty()) break;
      }
      dirfd_of(ArgId::kDirfd);
      break;
    }
  }
  if (ev.file_resolved && which == 0) return raw ? ev.raw_path : p;  // kernel path, raw string
  if (p.empty() || raw) return p;
  return AbsolutePathFor(ctx, p, dirfd);
}

std::string_view EnvValue(const Process& p, std::string_view key) {
  for (const auto& e : p.env) {
    if (e.size() > key.size() && e[key.size()] == '=' && std::string_view(e).substr(0, key.size()) == key)
      return std::string_view(e).substr(key.size() + 1);
  }
  return {};
}

std::string_view JoinEnv(const Process& p, EvalContext& ctx) {
  std::size_t total = 0;
  for (const auto& e : p.env) total += e.size() + 1;
  if (total == 0) return {};
  char* buf = ctx.Alloc(total);
  if (!buf) return {};
  CharSink sink{buf, total};
  for (std::size_t i = 0; i < p.env.size(); ++i) {
    if (i) sink.AppendChar(' ');
    sink.Append(p.env[i]);
  }
  return sink.view();
}

// Extracts the untransformed value(s) of a field.
int ExtractRaw(const FieldRef& ref, EvalContext& ctx, Value* out) {
  const Event& ev = ctx.ev();
  auto one = [&](Value v) {
    if (v.kind == Value::Kind::kNone) return 0;
    out[0] = v;
    return 1;
  };
  auto str_or_none = [&](std::string_view s) { return s.empty() ? 0 : one(Str(s)); };
  const Process* p = nullptr;
  switch (ref.id) {
    // ---- evt.*
    case FieldId::kEvtType: return one(Str(EventTypeName(ev.type)));
    case FieldId::kEvtTime: return one(Str(FormatTime(ev.ts_ns, 0, ctx)));
    case FieldId::kEvtTimeS: return one(Str(FormatTime(ev.ts_ns, 1, ctx)));
    case FieldId::kEvtTimeIso: return one(Str(FormatTime(ev.ts_ns, 2, ctx)));
    case FieldId::kEvtDatetime: return one(Str(FormatTime(ev.ts_ns, 3, ctx)));
    case FieldId::kEvtRawtime: return one(Num(static_cast<int64_t>(ev.ts_ns)));
    case FieldId::kEvtRawtimeS: return one(Num(static_cast<int64_t>(ev.ts_ns / 1'000'000'000ULL)));
    case FieldId::kEvtRawtimeNs: return one(Num(static_cast<int64_t>(ev.ts_ns % 1'000'000'000ULL)));
    case FieldId::kEvtNum: return 0;
    case FieldId::kEvtDir: return one(Str("<"));
    case FieldId::kEvtCpu: return one(Num(ev.cpu));
    case FieldId::kEvtArg: {
      const Arg* a = nullptr;
      if (ref.arg_by_index) {
        if (ref.index >= 0 && ref.index < ev.nargs) a = &ev.args[static_cast<std::size_t>(ref.index)];
      } else {
        a = ArgOf(ev, ref.arg);
        // Falco: unlink names its path `path`, unlinkat `name`: accept both.
        if (!a && ref.arg == ArgId::kPath) a = ArgOf(ev, ArgId::kName);
        if (!a && ref.arg == ArgId::kName) a = ArgOf(ev, ArgId::kPath);
        if (!a && ref.arg == ArgId::kResOrFd) return one(Num(ev.res));
        if (!a && ref.arg == ArgId::kFd && (ev.type == EventType::kAccept || ev.type == EventType::kAccept4))
          return 0;
      }
      if (!a) return 0;
      return one(RenderArg(*a, ctx));
    }
    case FieldId::kEvtRawarg: {
      const Arg* a = ArgOf(ev, ref.arg);
      if (!a && ref.arg == ArgId::kPath) a = ArgOf(ev, ArgId::kName);
      if (!a && ref.arg == ArgId::kName) a = ArgOf(ev, ArgId::kPath);
      if (!a) return 0;
      return one(a->is_str ? Str(a->str) : Num(a->num));
    }
    case FieldId::kEvtArgs: return one(EvtArgs(ctx));
    case FieldId::kEvtRes: {
      if (ev.res >= 0) return one(Str("SUCCESS"));
      std::string_view n = ErrnoName(ev.res);
      if (!n.empty()) return one(Str(n));
      char* buf = ctx.Alloc(24);
      if (!buf) return 0;
      CharSink s{buf, 24};
      s.AppendInt(ev.res);
      return one(Str(s.view()));
    }
    case FieldId::kEvtRawres: return one(Num(ev.res));
    case FieldId::kEvtFailed: return one(Bool(ev.res < 0));
    case FieldId::kEvtIsIoUring: return one(Bool(ev.io_uring));
    case FieldId::kEvtHostname: return str_or_none(ctx.hostname());
    case FieldId::kEvtIsOpenRead:
    case FieldId::kEvtIsOpenWrite:
    case FieldId::kEvtIsOpenExec:
    case FieldId::kEvtIsOpenCreate: {
      if (!IsOpenFamily(ev.type)) return one(Bool(false));
      const Arg* f = ArgOf(ev, ArgId::kFlags);
      int64_t flags = f && !f->is_str ? f->num : 0;
      if (ev.type == EventType::kCreat) flags = O_CREAT | O_WRONLY | O_TRUNC;
      if (ref.id == FieldId::kEvtIsOpenRead) return one(Bool(OpenFlagsRead(flags)));
      if (ref.id == FieldId::kEvtIsOpenWrite) return one(Bool(OpenFlagsWrite(flags)));
      if (ref.id == FieldId::kEvtIsOpenCreate) return one(Bool(OpenFlagsCreate(flags)));
      const Arg* m = ArgOf(ev, ArgId::kMode);
      int64_t mode = m && !m->is_str ? m->num : 0;
      return one(Bool(OpenFlagsCreate(flags) && (mode & 0111) != 0));
    }
    case FieldId::kEvtBuffer: return 0;
    case FieldId::kEvtSource: return one(Str("syscall"));
    case FieldId::kEvtIsAsync: return one(Bool(false));
    case FieldId::kEvtIsCompat: return one(Bool(ev.is_compat));

    // ---- thread.*
    case FieldId::kThreadTid: return one(Num(ev.tid));
    case FieldId::kThreadVtid:
      if (ev.tid != ev.tgid) return 0;
      p = ctx.proc();
      return p ? one(Num(p->vpid)) : 0;
    case FieldId::kThreadIsMain: return one(Bool(ev.tid == ev.tgid));
    case FieldId::kThreadCapPermitted:
    case FieldId::kThreadCapEffective:
    case FieldId::kThreadCapInheritable: {
      p = ctx.proc();
      if (!p) return 0;
      uint64_t caps = ref.id == FieldId::kThreadCapPermitted ? p->cap_permitted
                      : ref.id == FieldId::kThreadCapEffective ? p->cap_effective
                                                                : p->cap_inheritable;
      char* buf = ctx.Alloc(1024);
      if (!buf) return 0;
      CharSink s{buf, 1024};
      RenderCapabilities(caps, &s);
      return one(Str(s.view()));
    }

    // ---- user.* / group.*
    case FieldId::kUserUid: p = ctx.proc(); return p ? one(Num(p->euid)) : 0;
    case FieldId::kUserLoginuid:
      p = ctx.proc();
      return p ? one(Num(p->loginuid == UINT32_MAX ? -1 : static_cast<int64_t>(p->loginuid))) : 0;
    case FieldId::kUserName:
    case FieldId::kUserHomedir:
    case FieldId::kUserShell:
    case FieldId::kUserLoginname: {
      p = ctx.proc();
      const auto* db = ctx.users();
      if (!p || !db) return 0;
      uint32_t uid = ref.id == FieldId::kUserLoginname ? p->loginuid : p->euid;
      if (ref.id == FieldId::kUserLoginname && uid == UINT32_MAX) return 0;
      const auto* u = db->FindUser(uid);
      if (!u) return 0;
      if (ref.id == FieldId::kUserHomedir) return str_or_none(u->home);
      if (ref.id == FieldId::kUserShell) return str_or_none(u->shell);
      return one(Str(u->name));
    }
    case FieldId::kGroupGid: p = ctx.proc(); return p ? one(Num(p->egid)) : 0;
    case FieldId::kGroupName: {
      p = ctx.proc();
      const auto* db = ctx.users();
      if (!p || !db) return 0;
      const std::string* g = db->FindGroup(p->egid);
      return g ? one(Str(*g)) : 0;
    }

    // ---- fd.*
    case FieldId::kFdNum: {
      const FdView& f = ctx.fd();
      return f.valid && f.has_num ? one(Num(f.num)) : 0;
    }
    case FieldId::kFdName: { const FdView& f = ctx.fd(); return f.valid ? str_or_none(f.name) : 0; }
    case FieldId::kFdNameraw: { const FdView& f = ctx.fd(); return f.valid ? str_or_none(f.nameraw) : 0; }
    case FieldId::kFdAlias: return str_or_none(ev.alias_path);
    case FieldId::kFdIsFixedFile: return one(Bool(ev.fixed_file));
    case FieldId::kFdDirectory: {
      const FdView& f = ctx.fd();
      if (!f.valid || (f.typechar != 'f' && f.typechar != 'd')) return 0;
      if (f.typechar == 'd') return str_or_none(f.name);
      return str_or_none(Dirname(f.name));
    }
    case FieldId::kFdFilename: {
      const FdView& f = ctx.fd();
      if (!f.valid || (f.typechar != 'f' && f.typechar != 'd')) return 0;
      return str_or_none(Basename(f.name));
    }
    case FieldId::kFdTypechar: {
      const FdView& f = ctx.fd();
      if (!f.valid) return 0;
      char* c = ctx.Alloc(1);
      if (!c) return 0;
      *c = f.typechar;
      return one(Str(std::string_view(c, 1)));
    }
    case FieldId::kFdType:
    case FieldId::kFdTypes: {
      const FdView& f = ctx.fd();
      if (!f.valid || (ref.index > 0)) return 0;
      return str_or_none(f.type_name);
    }
    case FieldId::kFdIp: case FieldId::kFdNet: {
      const FdView& f = ctx.fd();
      if (!f.valid || !f.has_addrs) return 0;
      out[0] = Ip(f.local);
      out[1] = Ip(f.remote);
      return (out[0].kind != Value::Kind::kNone ? 1 : 0) + (out[1].kind != Value::Kind::kNone ? 1 : 0) == 2 ? 2 : 0;
    }
    case FieldId::kFdCip: case FieldId::kFdSip: case FieldId::kFdLip: case FieldId::kFdRip:
    case FieldId::kFdCnet: case FieldId::kFdSnet: case FieldId::kFdLnet: case FieldId::kFdRnet: {
      const FdView& f = ctx.fd();
      if (!f.valid || !f.has_addrs) return 0;
      bool local;
      switch (ref.id) {
        case FieldId::kFdLip: case FieldId::kFdLnet: local = true; break;
        case FieldId::kFdRip: case FieldId::kFdRnet: local = false; break;
        case FieldId::kFdSip: case FieldId::kFdSnet: local = f.is_server; break;
        default: local = !f.is_server; break;  // client
      }
      return one(Ip(local ? f.local : f.remote));
    }
    case FieldId::kFdPort: {
      const FdView& f = ctx.fd();
      if (!f.valid || !f.has_addrs) return 0;
      out[0] = Num(f.lport);
      out[1] = Num(f.rport);
      return 2;
    }
    case FieldId::kFdCport: case FieldId::kFdSport: case FieldId::kFdLport: case FieldId::kFdRport: {
      const FdView& f = ctx.fd();
      if (!f.valid || !f.has_addrs) return 0;
      bool local;
      switch (ref.id) {
        case FieldId::kFdLport: local = true; break;
        case FieldId::kFdRport: local = false; break;
        case FieldId::kFdSport: local = f.is_server; break;
        default: local = !f.is_server; break;
      }
      return one(Num(local ? f.lport : f.rport));
    }
    case FieldId::kFdCipName: case FieldId::kFdSipName: case FieldId::kFdLipName:
    case FieldId::kFdRipName:
      return 0;
    case FieldId::kFdL4proto: {
      const FdView& f = ctx.fd();
      if (!f.valid || !(f.family == AF_INET || f.family == AF_INET6)) return 0;
      switch (f.l4proto) {
        case IPPROTO_TCP: return one(Str("tcp"));
        case IPPROTO_UDP: return one(Str("udp"));
        case IPPROTO_ICMP: case IPPROTO_ICMPV6: return one(Str("icmp"));
        case IPPROTO_RAW: return one(Str("raw"));
        default: return 0;
      }
    }
    case FieldId::kFdSockfamily: {
      const FdView& f = ctx.fd();
      if (!f.valid) return 0;
      if (f.family == AF_INET || f.family == AF_INET6) return one(Str("ip"));
      if (f.family == AF_UNIX) return one(Str("unix"));
      return 0;
    }
    case FieldId::kFdIsServer: {
      const FdView& f = ctx.fd();
      return f.valid && f.has_addrs ? one(Bool(f.is_server)) : 0;
    }
    case FieldId::kFdConnected: {
      const FdView& f = ctx.fd();
      return f.valid ? one(Bool(f.connected)) : 0;
    }
    case FieldId::kFdNameChanged: {
      const FdView& f = ctx.fd();
      return f.valid ? one(Bool(ev.type == EventType::kConnect && ev.res >= 0)) : 0;
    }
    case FieldId::kFdDev: case FieldId::kFdIno: {
      // The opened file's identity, read from the kernel (open family success).
      if (!ev.file_resolved) return 0;
      const Arg* a = ev.Find(ref.id == FieldId::kFdDev ? ArgId::kDev : ArgId::kIno);
      return a && !a->is_str ? one(Num(a->num)) : 0;
    }
    case FieldId::kFdNameTruncated: {
      const FdView& f = ctx.fd();
      return f.valid ? one(Bool(ev.path_truncated)) : 0;
    }

    // ---- fs.path.*
    case FieldId::kFsPathName: return str_or_none(FsPathArg(ev, 0, false, ctx));
    case FieldId::kFsPathNameraw: return str_or_none(FsPathArg(ev, 0, true, ctx));
    case FieldId::kFsPathSource: return str_or_none(FsPathArg(ev, 1, false, ctx));
    case FieldId::kFsPathSourceraw: return str_or_none(FsPathArg(ev, 1, true, ctx));
    case FieldId::kFsPathTarget: return str_or_none(FsPathArg(ev, 2, false, ctx));
    case FieldId::kFsPathTargetraw: return str_or_none(FsPathArg(ev, 2, true, ctx));

    // ---- container.*
    case FieldId::kContainerId: case FieldId::kContainerFullId: {
      p = ctx.proc();
      if (!p) return 0;
      if (ref.id == FieldId::kContainerFullId && !p->container_full_id.empty())
        return one(Str(p->container_full_id));
      return one(Str(p->container_id.empty() ? std::string_view("host") : std::string_view(p->container_id)));
    }
    case FieldId::kContainerName: case FieldId::kContainerType:
    case FieldId::kContainerPrivileged:
    case FieldId::kContainerImage: case FieldId::kContainerImageId:
    case FieldId::kContainerImageRepository: case FieldId::kContainerImageTag:
    case FieldId::kContainerImageDigest:
    case FieldId::kContainerMounts: case FieldId::kContainerMount:
    case FieldId::kContainerMountSource: case FieldId::kContainerMountDest:
    case FieldId::kContainerMountMode: case FieldId::kContainerMountRdwr:
    case FieldId::kContainerMountPropagation: case FieldId::kContainerStartTs:
    case FieldId::kContainerDuration: case FieldId::kContainerIp: case FieldId::kContainerCniJson:
    case FieldId::kContainerHostPid: case FieldId::kContainerHostNetwork:
    case FieldId::kContainerHostIpc: case FieldId::kContainerHealthcheck:
    case FieldId::kContainerLivenessProbe: case FieldId::kContainerReadinessProbe:
    case FieldId::kContainerLabel: case FieldId::kContainerLabels:
    case FieldId::kK8sNsName: case FieldId::kK8sPodName: case FieldId::kK8sPodId:
    case FieldId::kK8sPodUid: case FieldId::kK8sPodSandboxId: case FieldId::kK8sPodFullSandboxId:
    case FieldId::kK8sPodLabel: case FieldId::kK8sPodLabels: case FieldId::kK8sPodIp:
    case FieldId::kK8sPodCniJson: case FieldId::kK8sNsLabel: case FieldId::kK8sDeploymentName:
    case FieldId::kK8sRsName: case FieldId::kK8sSvcName:
      return ExtractContainerField(ref, ctx, out);

    default:
      break;
  }

  // ---- proc.* (everything left needs the process)
  p = ctx.proc();
  if (!p) return 0;
  switch (ref.id) {
    case FieldId::kProcName: return str_or_none(p->comm);
    case FieldId::kProcExe: return str_or_none(p->exe);
    case FieldId::kProcExepath: return str_or_none(p->exepath);
    case FieldId::kProcCmdline: return str_or_none(p->cmdline);
    case FieldId::kProcExeline: return str_or_none(Exeline(*p, ctx));
    case FieldId::kProcArgs: return one(Str(ProcArgs(*p, ctx)));
    case FieldId::kProcPid: return one(Num(p->pid));
    case FieldId::kProcPpid: return one(Num(p->ppid));
    case FieldId::kProcVpid: return one(Num(p->vpid ? p->vpid : p->pid));
    case FieldId::kProcPvpid: {
      const Process* pp = ctx.parent();
      return pp ? one(Num(pp->vpid ? pp->vpid : pp->pid)) : 0;
    }
    case FieldId::kProcSid: return one(Num(p->sid));
    case FieldId::kProcSname: case FieldId::kProcSidExe: case FieldId::kProcSidExepath: {
      const Process* s = p->sid == p->pid ? p : ctx.table().Find(p->sid);
      if (!s) return 0;
      if (ref.id == FieldId::kProcSname) return str_or_none(s->comm);
      if (ref.id == FieldId::kProcSidExe) return str_or_none(s->exe);
      return str_or_none(s->exepath);
    }
    case FieldId::kProcIsSidLeader: return one(Bool(p->sid == p->pid));
    case FieldId::kProcVpgid: return one(Num(p->vpgid ? p->vpgid : p->pgid));
    case FieldId::kProcVpgidName: case FieldId::kProcVpgidExe: case FieldId::kProcVpgidExepath: {
      const Process* g = p->pgid == p->pid ? p : ctx.table().Find(p->pgid);
      if (!g) return 0;
      if (ref.id == FieldId::kProcVpgidName) return str_or_none(g->comm);
      if (ref.id == FieldId::kProcVpgidExe) return str_or_none(g->exe);
      return str_or_none(g->exepath);
    }
    case FieldId::kProcIsVpgidLeader:
      return one(Bool(p->vpgid ? p->vpid == p->vpgid : p->pid == p->pgid));
    case FieldId::kProcTty: return one(Num(p->tty));
    case FieldId::kProcCwd: return str_or_none(p->cwd);
    case FieldId::kProcPname: case FieldId::kProcPcmdline: case FieldId::kProcPexe:
    case FieldId::kProcPexepath: case FieldId::kProcPpidDuration: {
      const Process* pp = ctx.parent();
      if (!pp) return 0;
      if (ref.id == FieldId::kProcPname) return str_or_none(pp->comm);
      if (ref.id == FieldId::kProcPcmdline) return str_or_none(pp->cmdline);
      if (ref.id == FieldId::kProcPexe) return str_or_none(pp->exe);
      if (ref.id == FieldId::kProcPexepath) return str_or_none(pp->exepath);
      if (!pp->start_ts_ns) return 0;
      return one(Num(static_cast<int64_t>(ev.ts_ns - pp->start_ts_ns)));
    }
    case FieldId::kProcAname: case FieldId::kProcApid: case FieldId::kProcAexe:
    case FieldId::kProcAexepath: case FieldId::kProcAcmdline: {
      auto value_of = [&](const Process* a) -> Value {
        switch (ref.id) {
          case FieldId::kProcAname: return a->comm.empty() ? Value{} : Str(a->comm);
          case FieldId::kProcApid: return Num(a->pid);
          case FieldId::kProcAexe: return a->exe.empty() ? Value{} : Str(a->exe);
          case FieldId::kProcAexepath: return a->exepath.empty() ? Value{} : Str(a->exepath);
          default: return a->cmdline.empty() ? Value{} : Str(a->cmdline);
        }
      };
      if (ref.index >= 0) {
        const Process* a = ctx.Ancestor(ref.index);
        return a ? one(value_of(a)) : 0;
      }
      // No index: every ancestor (parent upwards), any-of semantics.
      int n = 0;
      for (int depth = 1; depth <= EvalContext::kMaxValues && n < EvalContext::kMaxValues; ++depth) {
        const Process* a = ctx.Ancestor(depth);
        if (!a) break;
        Value v = value_of(a);
        if (v.kind != Value::Kind::kNone) out[n++] = v;
      }
      return n;
    }
    case FieldId::kProcIsExeWritable: return one(Bool(p->exe_writable));
    case FieldId::kProcIsExeFromMemfd: return one(Bool(p->exe_from_memfd));
    case FieldId::kProcIsExeUpperLayer: return one(Bool(p->exe_upper_layer));
    case FieldId::kProcExeIno: return p->exe_ino ? one(Num(static_cast<int64_t>(p->exe_ino))) : 0;
    case FieldId::kProcExeInoCtime: return p->exe_ctime_ns ? one(Num(static_cast<int64_t>(p->exe_ctime_ns))) : 0;
    case FieldId::kProcExeInoMtime: return p->exe_mtime_ns ? one(Num(static_cast<int64_t>(p->exe_mtime_ns))) : 0;
    case FieldId::kProcExeInoCtimeDurProcStart:
      if (!p->exe_ctime_ns || !p->start_ts_ns) return 0;
      return one(Num(static_cast<int64_t>(p->start_ts_ns) - static_cast<int64_t>(p->exe_ctime_ns)));
    case FieldId::kProcExeInoCtimeDurPidnsStart: return 0;
    case FieldId::kProcEnv:
      if (!ref.key.empty()) return str_or_none(EnvValue(*p, ref.key));
      return str_or_none(JoinEnv(*p, ctx));
    case FieldId::kProcEnvTruncated: return one(Bool(p->env_truncated));
    case FieldId::kProcArgsTruncated: return one(Bool(p->args_truncated));
    case FieldId::kProcDuration:
      if (!p->start_ts_ns) return 0;
      return one(Num(static_cast<int64_t>(ev.ts_ns - p->start_ts_ns)));
    case FieldId::kProcStartTs:
      return p->start_ts_ns ? one(Num(static_cast<int64_t>(p->start_ts_ns))) : 0;
    case FieldId::kProcIsContainerHealthcheck: case FieldId::kProcIsContainerLiveness:
    case FieldId::kProcIsContainerReadiness:
      return one(Bool(false));
    default:
      return 0;
  }
}

std::string_view ApplyStringTransform(Transformer t, std::string_view s, EvalContext& ctx) {
  switch (t) {
    case Transformer::kToLower: case Transformer::kToUpper: {
      char* buf = ctx.Alloc(s.size());
      if (!buf && !s.empty()) return {};
      for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        buf[i] = static_cast<char>(t == Transformer::kToLower ? std::tolower(c) : std::toupper(c));
      }
      return std::string_view(buf, s.size());
    }
    case Transformer::kBasename: return Basename(s);
    case Transformer::kB64: {
      // Decode base64; invalid input yields an empty string.
      char* buf = ctx.Alloc(s.size());
      if (!buf && !s.empty()) return {};
      std::size_t n = 0;
      uint32_t acc = 0;
      int bits = 0;
      for (char ch : s) {
        int v;
        if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
        else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
        else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
        else if (ch == '+' || ch == '-') v = 62;
        else if (ch == '/' || ch == '_') v = 63;
        else if (ch == '=' || ch == '\n' || ch == '\r') continue;
        else return {};
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          buf[n++] = static_cast<char>((acc >> bits) & 0xff);
        }
      }
      return std::string_view(buf, n);
    }
    case Transformer::kLen: break;
  }
  return s;
}

}  // namespace

// ---------------------------------------------------------------- EvalContext

const Process* EvalContext::proc() noexcept {
  if (!proc_done_) {
    proc_done_ = true;
    proc_ = table_.Find(ev_.tgid);
    if (!proc_ && ev_.tid != ev_.tgid) proc_ = table_.Find(table_.TgidOf(ev_.tid));
  }
  return proc_;
}

const Process* EvalContext::parent() noexcept {
  if (!parent_done_) {
    parent_done_ = true;
    const Process* p = proc();
    parent_ = p ? table_.Parent(*p) : nullptr;
  }
  return parent_;
}

const Process* EvalContext::Ancestor(int n) noexcept {
  if (n == 0) return proc();
  const Process* a = parent();
  for (int i = 1; a && i < n && i < kMaxAncestors; ++i) a = table_.Parent(*a);
  return a;
}

const UserDb::Snapshot* EvalContext::users() noexcept {
  if (!users_done_) {
    users_done_ = true;
    if (users_) user_snap_ = users_->snapshot();
  }
  return user_snap_.get();
}

char* EvalContext::Alloc(std::size_t n) noexcept {
  if (n > kArenaSize - arena_used_) {
    ++arena_exhausted_;
    return nullptr;
  }
  char* p = arena_ + arena_used_;
  arena_used_ += n;
  return p;
}

std::string_view EvalContext::Store(std::string_view s) noexcept {
  char* p = Alloc(s.size());
  if (!p) return {};
  std::memcpy(p, s.data(), s.size());
  return std::string_view(p, s.size());
}

namespace {
// True when an absolute path has "." or ".." segments or doubled slashes (Falco's fd.name
// is normalised; the kernel open prefilter reports such paths unfiltered for this reason).
bool NeedsNormalising(std::string_view path) noexcept {
  if (path.find("//") != std::string_view::npos) return true;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    std::string_view seg = path.substr(i, j - i);
    if (seg == "." || seg == "..") return true;
    i = j;
  }
  return false;
}
}  // namespace

std::string_view AbsolutePathFor(EvalContext& ctx, std::string_view path, int64_t dirfd) noexcept {
  if (path.empty()) return path;
  std::string_view base;
  if (path[0] == '/') {
    if (!NeedsNormalising(path)) return path;
  } else {
    if (dirfd == AT_FDCWD || dirfd == -100) {
      const Process* p = ctx.proc();
      if (p) base = p->cwd;
    } else if (dirfd >= 0) {
      if (const FdInfo* fi = ctx.table().FindFd(ctx.ev().tgid, dirfd)) base = fi->name;
    }
    if (base.empty()) return path;
  }
  // Join and normalise "." and ".." segments.
  char* buf = ctx.Alloc(base.size() + path.size() + 2);
  if (!buf) return path;
  std::size_t len = 0;
  auto push_segments = [&](std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && s[i] == '/') ++i;
      std::size_t j = i;
      while (j < s.size() && s[j] != '/') ++j;
      std::string_view seg = s.substr(i, j - i);
      i = j;
      if (seg.empty() || seg == ".") continue;
      if (seg == "..") {
        while (len > 0 && buf[len - 1] != '/') --len;
        if (len > 0) --len;  // drop the slash
        continue;
      }
      buf[len++] = '/';
      std::memcpy(buf + len, seg.data(), seg.size());
      len += seg.size();
    }
  };
  push_segments(base);
  push_segments(path);
  if (len == 0) buf[len++] = '/';
  return std::string_view(buf, len);
}

const FdView& EvalContext::fd() noexcept {
  if (!fd_done_) {
    fd_done_ = true;
    ComputeFd();
  }
  return fd_;
}

void EvalContext::ComputeFd() noexcept {
  const Event& ev = ev_;
  FdView& f = fd_;
  if (IsOpenFamily(ev.type)) {
    std::string_view path = ArgStr(ev, ArgId::kName);
    if (path.empty()) path = ArgStr(ev, ArgId::kPath);
    if (path.empty()) return;
    const Arg* dirfd = ev.Find(ArgId::kDirfd);
    const Arg* flags = ev.Find(ArgId::kFlags);
    int64_t fl = flags && !flags->is_str ? flags->num : 0;
    f.valid = true;
    if (ev.file_resolved) {
      // The kernel's path of the opened file: already absolute to the real root.
      f.nameraw = ev.raw_path;
      f.name = path;
    } else {
      f.nameraw = path;
      f.name = AbsolutePathFor(*this, path, dirfd && !dirfd->is_str ? dirfd->num : AT_FDCWD);
    }
    f.typechar = OpenFlagsDirectory(fl) ? 'd' : 'f';
    f.type_name = OpenFlagsDirectory(fl) ? "directory" : "file";
    f.num = ev.res;
    f.has_num = true;
    return;
  }
  if (ev.type == EventType::kRead || ev.type == EventType::kWrite ||
      ev.type == EventType::kReadv || ev.type == EventType::kWritev ||
      ev.type == EventType::kMmap) {
    // io_uring reads and writes carry the file the kernel read or wrote (by path): the
    // ring's request keeps no fd number (fd.num is -1, absent) and a fixed file has none.
    // An mmap carries the file behind its fd, walked in the kernel (none when anonymous):
    // never the fd table's name, which is stale once an open was left in the kernel.
    std::string_view path = ArgStr(ev, ArgId::kName);
    if (!path.empty()) {
      f.valid = true;
      f.name = f.nameraw = path;
      f.typechar = 'f';
      f.type_name = "file";
      const Arg* fdarg = ev.Find(ArgId::kFd);
      f.has_num = fdarg && !fdarg->is_str && fdarg->num >= 0;
      f.num = f.has_num ? fdarg->num : -1;
      return;
    }
    if (ev.type == EventType::kMmap) return;  // anonymous, or failed: no file
  }
  if (ev.has_tuple && IsSocketTupleEvent(ev.type)) {
    const SockTuple& t = ev.tuple;
    f.valid = true;
    f.family = t.family;
    f.l4proto = t.l4proto;
    bool server = ev.type == EventType::kAccept || ev.type == EventType::kAccept4 ||
                  ev.type == EventType::kBind || ev.type == EventType::kListen;
    f.is_server = server;
    f.connected = ev.type == EventType::kConnect || ev.type == EventType::kAccept ||
                  ev.type == EventType::kAccept4;
    const Arg* fdarg = ev.Find(ArgId::kFd);
    const Arg* tuple_oldfd = ev.Find(ArgId::kOldfd);
    if (ev.type == EventType::kAccept || ev.type == EventType::kAccept4) {
      f.num = ev.res;
      f.has_num = ev.res >= 0;
    } else if (tuple_oldfd && !tuple_oldfd->is_str) {
      f.num = tuple_oldfd->num;  // dup*: Falco's fd.* is the duplicated (source) fd
      f.has_num = true;
    } else if (fdarg && !fdarg->is_str) {
      f.num = fdarg->num;
      f.has_num = true;
    }
    if (t.family == AF_UNIX) {
      f.typechar = 'u';
      f.type_name = "unix";
      f.name = f.nameraw = t.unix_path;
      return;
    }
    if (t.family != AF_INET && t.family != AF_INET6) {
      f.valid = false;
      return;
    }
    f.typechar = t.family == AF_INET ? '4' : '6';
    f.type_name = t.family == AF_INET ? "ipv4" : "ipv6";
    f.has_addrs = true;
    f.local = IpFrom(t.family, t.sip);
    f.remote = IpFrom(t.family, t.dip);
    f.lport = t.sport;
    f.rport = t.dport;
    // Falco's name: client:port->server:port.
    char* buf = Alloc(128);
    if (buf) {
      CharSink s{buf, 128};
      const IpAddr& c = server ? f.remote : f.local;
      const IpAddr& sv = server ? f.local : f.remote;
      char tmp[INET6_ADDRSTRLEN];
      inet_ntop(t.family, c.bytes.data(), tmp, sizeof tmp);
      s.Append(tmp);
      s.AppendChar(':');
      s.AppendInt(server ? f.rport : f.lport);
      s.Append("->");
      inet_ntop(t.family, sv.bytes.data(), tmp, sizeof tmp);
      s.Append(tmp);
      s.AppendChar(':');
      s.AppendInt(server ? f.lport : f.rport);
      f.name = f.nameraw = s.view();
    }
    return;
  }
  // Otherwise the fd argument (or, for dup/socket-creating calls, the result) in the table.
  int64_t fdnum = -1;
  const Arg* fdarg = ev.Find(ArgId::kFd);
  const Arg* oldfd = ev.Find(ArgId::kOldfd);
  bool is_dup = ev.type == EventType::kDup || ev.type == EventType::kDup2 || ev.type == EventType::kDup3;
  if (is_dup && oldfd && !oldfd->is_str) {
    fdnum = oldfd->num;  // the duplicated file (Falco's fd.* on dup is the source fd)
  } else if (is_dup || ev.type == EventType::kSocket || ev.type == EventType::kMemfdCreate) {
    fdnum = ev.res;
  } else if (fdarg && !fdarg->is_str) {
    fdnum = fdarg->num;
  }
  if (fdnum < 0) return;
  f.num = fdnum;
  f.has_num = true;
  const FdInfo* fi = table_.FindFd(ev.tgid, fdnum);
  if (!fi) {
    if (ev.type == EventType::kSocket) {
      const Arg* dom = ev.Find(ArgId::kDomain);
      f.valid = true;
      f.family = dom && !dom->is_str ? static_cast<uint16_t>(dom->num) : 0;
      f.typechar = f.family == AF_INET ? '4' : f.family == AF_INET6 ? '6' : f.family == AF_UNIX ? 'u' : 'o';
      f.type_name = f.family == AF_INET ? "ipv4" : f.family == AF_INET6 ? "ipv6" : f.family == AF_UNIX ? "unix" : "unknown";
    }
    return;
  }
  f.valid = true;
  f.typechar = FdTypeChar(fi->type);
  f.type_name = FdTypeName(fi->type);
  f.name = f.nameraw = fi->name;
  f.family = fi->family;
  f.l4proto = fi->l4proto;
  f.is_server = fi->is_server;
  f.connected = fi->connected;
  if (fi->family == AF_INET || fi->family == AF_INET6) {
    f.has_addrs = true;
    f.local = IpFrom(fi->family, fi->sip);
    f.remote = IpFrom(fi->family, fi->dip);
    f.lport = fi->sport;
    f.rport = fi->dport;
  }
}

// ---------------------------------------------------------------- extraction API

int ExtractValues(const FieldRef& ref, EvalContext& ctx, Value* out) noexcept {
  int n = ExtractRaw(ref, ctx, out);
  if (ref.transformers.empty() || n == 0) return n;
  int kept = 0;
  for (int i = 0; i < n; ++i) {
    Value v = out[i];
    bool ok = true;
    for (Transformer t : ref.transformers) {
      if (v.kind != Value::Kind::kStr) {
        ok = false;
        break;
      }
      if (t == Transformer::kLen) {
        v = Num(static_cast<int64_t>(v.str.size()));
        continue;
      }
      v.str = ApplyStringTransform(t, v.str, ctx);
    }
    if (ok) out[kept++] = v;
  }
  return kept;
}

std::string_view RenderValue(const FieldRef& ref, const Value& v, EvalContext& ctx) noexcept {
  switch (v.kind) {
    case Value::Kind::kNone: return "<NA>";
    case Value::Kind::kStr: return v.str;
    case Value::Kind::kBool: return v.num ? "true" : "false";
    case Value::Kind::kIp: return RenderIp(v, ctx);
    case Value::Kind::kNum: {
      char* buf = ctx.Alloc(24);
      if (!buf) return "<NA>";
      CharSink s{buf, 24};
      if (ref.type == FieldType::kUint64 || ref.type == FieldType::kAbsTime)
        s.AppendInt(v.num);  // ids/times fit int64
      else
        s.AppendInt(v.num);
      return s.view();
    }
  }
  return "<NA>";
}

bool ParseIp(std::string_view s, IpAddr* out) {
  char buf[INET6_ADDRSTRLEN + 1];
  if (s.size() >= sizeof buf) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = 0;
  if (inet_pton(AF_INET, buf, out->bytes.data()) == 1) {
    out->len = 4;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out->bytes.data()) == 1) {
    out->len = 16;
    return true;
  }
  return false;
}

bool ResolveFieldRef(const FieldRefAst& ast, FieldRef* out, std::string* error) {
  FieldRef r;
  std::string name = ast.name;
  const FieldInfo* info = FindField(name);
  if (!info) {
    // evt.arg.<name> / evt.rawarg.<name>
    for (std::string_view prefix : {"evt.arg.", "evt.rawarg."}) {
      if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) {
        std::string argname = name.substr(prefix.size());
        info = FindField(prefix.substr(0, prefix.size() - 1));
        if (!ArgIdFromName(argname, &r.arg)) {
          *error = "unknown event argument '" + argname + "' in '" + name + "'";
          return false;
        }
        r.key = argname;
        break;
      }
    }
  }
  if (!info) {
    *error = "unknown field '" + name + "'";
    return false;
  }
  r.id = static_cast<FieldId>(info->id);
  r.type = info->type;
  r.display = name;
  if (ast.has_arg) r.display += "[" + ast.arg + "]";
  switch (info->arg) {
    case FieldArg::kNone:
      if (ast.has_arg) {
        *error = "field '" + name + "' takes no argument";
        return false;
      }
      break;
    case FieldArg::kIndexOptional:
    case FieldArg::kIndexRequired: {
      if (ast.has_arg) {
        int idx = -1;
        auto res = std::from_chars(ast.arg.data(), ast.arg.data() + ast.arg.size(), idx);
        if (res.ec != std::errc() || res.ptr != ast.arg.data() + ast.arg.size() || idx < 0) {
          *error = "field '" + name + "' needs a numeric index, got '" + ast.arg + "'";
          return false;
        }
        r.index = idx;
      } else if (info->arg == FieldArg::kIndexRequired) {
        *error = "field '" + name + "' needs an index argument";
        return false;
      } else {
        r.multi = true;
      }
      break;
    }
    case FieldArg::kKeyOptional:
    case FieldArg::kKeyRequired:
      if (ast.has_arg) r.key = ast.arg;
      else if (info->arg == FieldArg::kKeyRequired) {
        *error = "field '" + name + "' needs an argument like " + name + "[...]";
        return false;
      }
      break;
    case FieldArg::kArgName:
      if (r.key.empty()) {
        if (!ast.has_arg) {
          *error = "field '" + name + "' needs an argument name (" + name + ".flags) or index (" + name + "[0])";
          return false;
        }
        ArgId id;
        if (ArgIdFromName(ast.arg, &id)) {
          r.arg = id;
          r.key = ast.arg;
        } else {
          int idx = -1;
          auto res = std::from_chars(ast.arg.data(), ast.arg.data() + ast.arg.size(), idx);
          if (res.ec != std::errc() || res.ptr != ast.arg.data() + ast.arg.size() || idx < 0 ||
              r.id == FieldId::kEvtRawarg) {
            *error = "unknown event argument '" + ast.arg + "' in '" + name + "'";
            return false;
          }
          r.index = idx;
          r.arg_by_index = true;
        }
      } else if (ast.has_arg) {
        *error = "field '" + name + "' takes no [] argument";
        return false;
      }
      break;
  }
  if (r.id == FieldId::kFdIp || r.id == FieldId::kFdNet || r.id == FieldId::kFdPort) r.multi = true;
  // Transformers: written outermost first, applied innermost first.
  for (auto it = ast.transformers.rbegin(); it != ast.transformers.rend(); ++it) {
    Transformer t;
    if (*it == "tolower") t = Transformer::kToLower;
    else if (*it == "toupper") t = Transformer::kToUpper;
    else if (*it == "b64") t = Transformer::kB64;
    else if (*it == "basename") t = Transformer::kBasename;
    else if (*it == "len") t = Transformer::kLen;
    else {
      *error = "unknown transformer '" + *it + "'";
      return false;
    }
    if (r.type != FieldType::kCharbuf) {
      *error = "transformer '" + *it + "' needs a string field, '" + name + "' is " +
               std::string(FieldTypeName(r.type));
      return false;
    }
    r.transformers.push_back(t);
    if (t == Transformer::kLen) r.type = FieldType::kUint64;
  }
  *out = std::move(r);
  return true;
}

}  // namespace vigil
