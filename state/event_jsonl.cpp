#include "vigil/event_jsonl.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include <vector>

namespace vigil {
namespace {

using Json = nlohmann::ordered_json;

std::string AddrText(uint16_t family, const std::array<uint8_t, 16>& ip) {
  char buf[INET6_ADDRSTRLEN] = {0};
  inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, ip.data(), buf, sizeof(buf));
  return buf;
}

bool AddrParse(uint16_t family, const std::string& text, std::array<uint8_t, 16>* ip) {
  ip->fill(0);
  if (text.empty()) return true;
  return inet_pton(family == AF_INET6 ? AF_INET6 : AF_INET, text.c_str(), ip->data()) == 1;
}

Json ExecJson(const ExecInfo& x, bool with_env) {
  Json j;
  j["filename"] = std::string(x.filename);
  j["exepath"] = std::string(x.exepath);
  j["comm"] = std::string(x.comm);
  j["args"] = SplitNul(x.args);
  if (with_env) j["env"] = SplitNul(x.env);
  j["cwd"] = std::string(x.cwd);
  j["cgroup"] = std::string(x.cgroup);
  j["ppid"] = x.ppid;
  j["sid"] = x.sid;
  j["pgid"] = x.pgid;
  j["vpid"] = x.vpid;
  j["vpgid"] = x.vpgid;
  j["uid"] = x.uid;
  j["gid"] = x.gid;
  j["euid"] = x.euid;
  j["egid"] = x.egid;
  j["loginuid"] = x.loginuid;
  j["tty"] = x.tty;
  j["exe_ino"] = x.exe_ino;
  j["exe_ctime_ns"] = x.exe_ctime_ns;
  j["exe_mtime_ns"] = x.exe_mtime_ns;
  j["cap_permitted"] = x.cap_permitted;
  j["cap_effective"] = x.cap_effective;
  j["cap_inheritable"] = x.cap_inheritable;
  j["start_ts_ns"] = x.start_ts_ns;
  j["exe_writable"] = x.exe_writable;
  j["exe_from_memfd"] = x.exe_from_memfd;
  j["exe_upper_layer"] = x.exe_upper_layer;
  if (x.args_truncated) j["args_truncated"] = true;
  if (with_env && x.env_truncated) j["env_truncated"] = true;
  return j;
}

Json ProcJson(const Process& p, bool with_env) {
  Json j;
  j["pid"] = p.pid;
  j["ppid"] = p.ppid;
  j["sid"] = p.sid;
  j["pgid"] = p.pgid;
  j["vpid"] = p.vpid;
  j["vpgid"] = p.vpgid;
  j["uid"] = p.uid;
  j["gid"] = p.gid;
  j["euid"] = p.euid;
  j["egid"] = p.egid;
  j["loginuid"] = p.loginuid;
  j["tty"] = p.tty;
  j["name"] = p.comm;
  j["exe"] = p.exe;
  j["exepath"] = p.exepath;
  j["args"] = p.args;
  j["cmdline"] = p.cmdline;
  j["cwd"] = p.cwd;
  if (with_env) j["env"] = p.env;
  j["cgroup"] = p.cgroup;
  j["container_id"] = p.container_id;
  j["exe_ino"] = p.exe_ino;
  j["exe_ctime_ns"] = p.exe_ctime_ns;
  j["exe_mtime_ns"] = p.exe_mtime_ns;
  j["cap_permitted"] = p.cap_permitted;
  j["cap_effective"] = p.cap_effective;
  j["cap_inheritable"] = p.cap_inheritable;
  j["start_ts_ns"] = p.start_ts_ns;
  j["exec_ts_ns"] = p.exec_ts_ns;
  j["exe_writable"] = p.exe_writable;
  j["exe_from_memfd"] = p.exe_from_memfd;
  j["exe_upper_layer"] = p.exe_upper_layer;
  j["from_snapshot"] = p.from_snapshot;
  if (p.args_truncated) j["args_truncated"] = true;
  if (with_env && p.env_truncated) j["env_truncated"] = true;
  return j;
}

// Typed field access with clear errors (exceptions stay inside this file).
struct Fields {
  const Json& j;
  std::string where;
  template <typename T>
  T Get(const char* key, T dflt) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return dflt;
    if constexpr (std::is_same_v<T, bool>) {
      if (!it->is_boolean()) throw std::runtime_error(where + key + " must be a boolean");
    } else if constexpr (std::is_integral_v<T>) {
      if (!it->is_number_integer()) throw std::runtime_error(where + key + " must be an integer");
    } else {
      if (!it->is_string()) throw std::runtime_error(where + key + " must be a string");
    }
    return it->get<T>();
  }
  std::vector<std::string> Strings(const char* key) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return {};
    if (!it->is_array()) throw std::runtime_error(where + key + " must be an array of strings");
    std::vector<std::string> out;
    for (const auto& v : *it) {
      if (!v.is_string()) throw std::runtime_error(where + key + " must be an array of strings");
      out.push_back(v.get<std::string>());
    }
    return out;
  }
};

std::string_view Keep(ParsedEvent* out, std::string s) {
  out->strings.push_back(std::move(s));
  return out->strings.back();
}

std::string JoinStrings(const std::vector<std::string>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out.push_back('\0');
    out += v[i];
  }
  return out;
}

Process ParseProcess(const Json& node, uint32_t default_pid);

void ParseImpl(std::string_view line, ParsedEvent* out) {
  Json j = Json::parse(line.begin(), line.end());
  if (!j.is_object()) throw std::runtime_error("not a JSON object");
  out->strings.clear();
  out->process.reset();
  out->event = Event{};
  out->kind = JsonlKind::kEvent;
  if (auto rec = j.find("record"); rec != j.end()) {
    if (!rec->is_string()) throw std::runtime_error("record must be a string");
    const std::string kind = rec->get<std::string>();
    if (kind == "header") {
      out->kind = JsonlKind::kHeader;
      return;
    }
    if (kind != "proc") throw std::runtime_error("unknown record kind '" + kind + "'");
    auto it = j.find("proc");
    if (it == j.end() || it->is_null()) throw std::runtime_error("a proc record needs \"proc\"");
    Process pr = ParseProcess(*it, 0);
    if (pr.pid == 0) throw std::runtime_error("a proc record needs proc.pid");
    out->kind = JsonlKind::kProcess;
    out->process = std::move(pr);
    return;
  }
  Event& ev = out->event;
  Fields f{j, ""};
  auto type_name = f.Get<std::string>("evt.type", "");
  if (type_name.empty()) throw std::runtime_error("missing evt.type");
  auto type = EventTypeFromName(type_name);
  if (!type) throw std::runtime_error("unknown evt.type '" + type_name + "'");
  ev.type = *type;
  ev.ts_ns = f.Get<uint64_t>("evt.time", 0);
  ev.res = f.Get<int64_t>("evt.res", 0);
  ev.is_compat = f.Get<bool>("evt.is_compat", false);
  ev.cpu = f.Get<uint32_t>("evt.cpu", 0);
  ev.tgid = f.Get<uint32_t>("proc.pid", 0);
  ev.tid = f.Get<uint32_t>("thread.tid", ev.tgid);
  ev.exit_code = f.Get<int32_t>("exit_code", 0);
  ev.io_uring = f.Get<bool>("evt.is_io_uring", false);
  ev.file_resolved = f.Get<bool>("evt.file_resolved", false);
  ev.path_truncated = f.Get<bool>("evt.path_truncated", false);
  ev.raw_path = Keep(out, f.Get<std::string>("fd.nameraw", ""));
  ev.alias_path = Keep(out, f.Get<std::string>("fd.alias", ""));
  ev.fixed_file = f.Get<bool>("fd.is_fixed_file", false);
  if (auto it = j.find("evt.args"); it != j.end()) {
    if (!it->is_object()) throw std::runtime_error("evt.args must be an object");
    for (const auto& [name, value] : it->items()) {
      ArgId id;
      if (!ArgIdFromName(name, &id)) throw std::runtime_error("unknown argument '" + name + "'");
      if (value.is_string()) {
        ev.AddStr(id, Keep(out, value.get<std::string>()));
      } else if (value.is_number_integer()) {
        ev.AddNum(id, value.get<int64_t>());
      } else {
        throw std::runtime_error("argument '" + name + "' must be a string or an integer");
      }
    }
  }
  if (auto it = j.find("tuple"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) throw std::runtime_error("tuple must be an object");
    Fields t{*it, "tuple."};
    SockTuple& st = ev.tuple;
    st.family = t.Get<uint16_t>("family", 0);
    st.l4proto = t.Get<uint8_t>("l4proto", 0);
    st.sport = t.Get<uint16_t>("sport", 0);
    st.dport = t.Get<uint16_t>("dport", 0);
    if (!AddrParse(st.family, t.Get<std::string>("sip", ""), &st.sip) ||
        !AddrParse(st.family, t.Get<std::string>("dip", ""), &st.dip)) {
      throw std::runtime_error("tuple has a bad address");
    }
    st.unix_path = Keep(out, t.Get<std::string>("unix_path", ""));
    ev.has_tuple = true;
  }
  if (auto it = j.find("exec"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) throw std::runtime_error("exec must be an object");
    Fields x{*it, "exec."};
    ExecInfo& e = out->exec;
    e = ExecInfo{};
    e.filename = Keep(out, x.Get<std::string>("filename", ""));
    e.exepath = Keep(out, x.Get<std::string>("exepath", ""));
    e.comm = Keep(out, x.Get<std::string>("comm", ""));
    e.args = Keep(out, JoinStrings(x.Strings("args")));
    e.env = Keep(out, JoinStrings(x.Strings("env")));
    e.cwd = Keep(out, x.Get<std::string>("cwd", ""));
    e.cgroup = Keep(out, x.Get<std::string>("cgroup", ""));
    e.ppid = x.Get<uint32_t>("ppid", 0);
    e.sid = x.Get<uint32_t>("sid", 0);
    e.pgid = x.Get<uint32_t>("pgid", 0);
    e.vpid = x.Get<uint32_t>("vpid", 0);
    e.vpgid = x.Get<uint32_t>("vpgid", 0);
    e.uid = x.Get<uint32_t>("uid", 0);
    e.gid = x.Get<uint32_t>("gid", 0);
    e.euid = x.Get<uint32_t>("euid", 0);
    e.egid = x.Get<uint32_t>("egid", 0);
    e.loginuid = x.Get<uint32_t>("loginuid", UINT32_MAX);
    e.tty = x.Get<uint32_t>("tty", 0);
    e.exe_ino = x.Get<uint64_t>("exe_ino", 0);
    e.exe_ctime_ns = x.Get<uint64_t>("exe_ctime_ns", 0);
    e.exe_mtime_ns = x.Get<uint64_t>("exe_mtime_ns", 0);
    e.cap_permitted = x.Get<uint64_t>("cap_permitted", 0);
    e.cap_effective = x.Get<uint64_t>("cap_effective", 0);
    e.cap_inheritable = x.Get<uint64_t>("cap_inheritable", 0);
    e.start_ts_ns = x.Get<uint64_t>("start_ts_ns", 0);
    e.exe_writable = x.Get<bool>("exe_writable", false);
    e.exe_from_memfd = x.Get<bool>("exe_from_memfd", false);
    e.exe_upper_layer = x.Get<bool>("exe_upper_layer", false);
    e.args_truncated = x.Get<bool>("args_truncated", false);
    e.env_truncated = x.Get<bool>("env_truncated", false);
    e.env_captured = !e.env.empty() || e.env_truncated;
    ev.exec = &e;
  }
  if (auto it = j.find("fork"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) throw std::runtime_error("fork must be an object");
    Fields k{*it, "fork."};
    out->fork.child_tid = k.Get<uint32_t>("child_tid", 0);
    out->fork.child_tgid = k.Get<uint32_t>("child_tgid", 0);
    out->fork.flags = k.Get<uint64_t>("flags", 0);
    ev.fork = &out->fork;
  }
  if (auto it = j.find("proc"); it != j.end() && !it->is_null()) {
    out->process = ParseProcess(*it, ev.tgid);
  }
}

Process ParseProcess(const Json& node, uint32_t default_pid) {
  if (!node.is_object()) throw std::runtime_error("proc must be an object");
  Fields p{node, "proc."};
  Process pr;
  pr.pid = p.Get<uint32_t>("pid", default_pid);
  pr.ppid = p.Get<uint32_t>("ppid", 0);
  pr.sid = p.Get<uint32_t>("sid", 0);
  pr.pgid = p.Get<uint32_t>("pgid", 0);
  pr.vpid = p.Get<uint32_t>("vpid", 0);
  pr.vpgid = p.Get<uint32_t>("vpgid", 0);
  pr.uid = p.Get<uint32_t>("uid", 0);
  pr.gid = p.Get<uint32_t>("gid", 0);
  pr.euid = p.Get<uint32_t>("euid", 0);
  pr.egid = p.Get<uint32_t>("egid", 0);
  pr.loginuid = p.Get<uint32_t>("loginuid", UINT32_MAX);
  pr.tty = p.Get<uint32_t>("tty", 0);
  pr.comm = p.Get<std::string>("name", "");
  pr.exe = p.Get<std::string>("exe", "");
  pr.exepath = p.Get<std::string>("exepath", "");
  pr.args = p.Strings("args");
  pr.cmdline = p.Get<std::string>("cmdline", "");
  pr.cwd = p.Get<std::string>("cwd", "");
  pr.env = p.Strings("env");
  pr.args_truncated = p.Get<bool>("args_truncated", false);
  pr.env_truncated = p.Get<bool>("env_truncated", false);
  pr.cgroup = p.Get<std::string>("cgroup", "");
  pr.container_id = p.Get<std::string>("container_id", "");
  pr.exe_ino = p.Get<uint64_t>("exe_ino", 0);
  pr.exe_ctime_ns = p.Get<uint64_t>("exe_ctime_ns", 0);
  pr.exe_mtime_ns = p.Get<uint64_t>("exe_mtime_ns", 0);
  pr.cap_permitted = p.Get<uint64_t>("cap_permitted", 0);
  pr.cap_effective = p.Get<uint64_t>("cap_effective", 0);
  pr.cap_inheritable = p.Get<uint64_t>("cap_inheritable", 0);
  pr.start_ts_ns = p.Get<uint64_t>("start_ts_ns", 0);
  pr.exec_ts_ns = p.Get<uint64_t>("exec_ts_ns", 0);
  pr.exe_writable = p.Get<bool>("exe_writable", false);
  pr.exe_from_memfd = p.Get<bool>("exe_from_memfd", false);
  pr.exe_upper_layer = p.Get<bool>("exe_upper_layer", false);
  pr.from_snapshot = p.Get<bool>("from_snapshot", false);
  return pr;
}

}  // namespace

void AppendEventJsonl(const Event& ev, const Process* proc, const FdInfo* fd, std::string* out,
                      const JsonlWriteOptions& options) {
  Json j;
  j["evt.type"] = std::string(EventTypeName(ev.type));
  j["evt.time"] = ev.ts_ns;
  j["evt.res"] = ev.res;
  if (ev.is_compat) j["evt.is_compat"] = true;
  j["evt.cpu"] = ev.cpu;
  j["proc.pid"] = ev.tgid;
  j["thread.tid"] = ev.tid;
  Json args = Json::object();
  for (uint8_t i = 0; i < ev.nargs; ++i) {
    const Arg& a = ev.args[i];
    const std::string name(ArgName(a.id));
    if (a.is_str) args[name] = std::string(a.str);
    else args[name] = a.num;
  }
  j["evt.args"] = std::move(args);
  if (const Arg* a = ev.Find(ArgId::kFd); a && !a->is_str) j["fd.num"] = a->num;
  if (fd != nullptr) {
    j["fd.name"] = fd->name;
    j["fd.type"] = FdTypeName(fd->type);
  }
  if (ev.has_tuple) {
    const SockTuple& t = ev.tuple;
    Json tj;
    tj["family"] = t.family;
    tj["l4proto"] = t.l4proto;
    if (t.family == AF_INET || t.family == AF_INET6) {
      tj["sip"] = AddrText(t.family, t.sip);
      tj["sport"] = t.sport;
      tj["dip"] = AddrText(t.family, t.dip);
      tj["dport"] = t.dport;
    }
    if (!t.unix_path.empty()) tj["unix_path"] = std::string(t.unix_path);
    j["tuple"] = std::move(tj);
  }
  if (ev.exec) j["exec"] = ExecJson(*ev.exec, options.with_env);
  if (ev.fork) {
    j["fork"] = Json{{"child_tid", ev.fork->child_tid},
                     {"child_tgid", ev.fork->child_tgid},
                     {"flags", ev.fork->flags}};
  }
  if (ev.type == EventType::kProcExit) j["exit_code"] = ev.exit_code;
  if (ev.io_uring) j["evt.is_io_uring"] = true;
  if (ev.file_resolved) {  // the name argument is the kernel's path; keep the caller's string
    j["evt.file_resolved"] = true;
    j["fd.nameraw"] = std::string(ev.raw_path);
  }
  if (ev.path_truncated) j["evt.path_truncated"] = true;
  if (!ev.alias_path.empty()) j["fd.alias"] = std::string(ev.alias_path);
  if (ev.fixed_file) j["fd.is_fixed_file"] = true;
  if (proc) j["proc"] = ProcJson(*proc, options.with_env);
  *out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out->push_back('\n');
}

void AppendProcessRecordJsonl(const Process& proc, std::string* out,
                              const JsonlWriteOptions& options) {
  Json j;
  j["record"] = "proc";
  j["proc"] = ProcJson(proc, options.with_env);
  *out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out->push_back('\n');
}

void AppendRecordHeaderJsonl(const std::string& hostname, uint64_t started_ns, std::string* out,
                             const JsonlWriteOptions& options) {
  Json j;
  j["record"] = "header";
  j["format"] = 2;
  j["env"] = options.with_env;
  j["hostname"] = hostname;
  j["started_ns"] = started_ns;
  *out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  out->push_back('\n');
}

bool ParseEventJsonl(std::string_view line, ParsedEvent* out, std::string* error) {
  try {
    ParseImpl(line, out);
    return true;
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    out->event = Event{};
    out->process.reset();
    out->kind = JsonlKind::kEvent;
    return false;
  }
}

bool JsonlReader::Next(ParsedEvent* out) {
  while (std::getline(in_, buf_)) {
    ++line_;
    std::string_view v(buf_);
    while (!v.empty() && (v.back() == '\r' || v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (v.find_first_not_of(" \t") == std::string_view::npos) continue;
    std::string error;
    if (ParseEventJsonl(v, out, &error)) return true;
    ++bad_;
    last_error_ = "line " + std::to_string(line_) + ": " + error;
    if (on_error_) on_error_(last_error_, on_error_ctx_);
  }
  return false;
}

}  // namespace vigil
