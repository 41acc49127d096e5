// engine_test_util.h — helpers for engine tests: in-memory processes, events and rule loads.
#pragma once

#include <gtest/gtest.h>

#include <fcntl.h>

#include <string>
#include <utility>
#include <vector>

#include "vigil/event.h"
#include "vigil/process_table.h"
#include "vigil/rule_loader.h"

namespace vigil::testing {

inline Process MakeProcess(uint32_t pid, uint32_t ppid, std::string comm, std::string exepath,
                           std::vector<std::string> args = {}, uint32_t uid = 0) {
  Process p;
  p.pid = pid;
  p.ppid = ppid;
  p.vpid = pid;
  p.sid = pid;
  p.pgid = pid;
  p.comm = std::move(comm);
  p.exepath = std::move(exepath);
  p.exe = p.exepath;
  p.args = std::move(args);
  p.uid = p.euid = uid;
  p.gid = p.egid = uid;
  p.cwd = "/root";
  p.container_id = "host";
  return p;
}

inline Event MakeEvent(EventType type, uint32_t tgid, int64_t res = 0) {
  Event ev;
  ev.type = type;
  ev.ts_ns = 1'700'000'000'123'456'789ULL;
  ev.tid = ev.tgid = tgid;
  ev.res = res;
  return ev;
}

inline Event OpenEvent(uint32_t tgid, std::string_view path, int64_t flags, int64_t res = 3) {
  Event ev = MakeEvent(EventType::kOpenat, tgid, res);
  ev.AddNum(ArgId::kDirfd, AT_FDCWD);
  ev.AddStr(ArgId::kName, path);
  ev.AddNum(ArgId::kFlags, flags);
  ev.AddNum(ArgId::kMode, 0);
  return ev;
}

inline LoadResult LoadYaml(const std::string& yaml, LoadOptions opts = {}) {
  if (opts.hostname.empty()) opts.hostname = "testhost";
  return LoadRuleStrings({{"rules.yaml", yaml}}, opts);
}

inline std::string DiagText(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.ToString() + "\n";
  return out;
}

// Names of the rules matching ev.
inline std::vector<std::string> Matches(const LoadResult& r, const Event& ev, const ProcessTable& t) {
  std::vector<std::string> names;
  r.ruleset->Evaluate(ev, t, [&](const Alert& a) { names.push_back(a.rule); });
  return names;
}

}  // namespace vigil::testing
