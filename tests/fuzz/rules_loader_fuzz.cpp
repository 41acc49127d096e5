// Fuzz target: the YAML rules loader (reader, collector, compiler) and evaluation of the
// resulting ruleset on a few in-memory events. Must never crash, whatever the input.
#include <fcntl.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "vigil/rule_loader.h"

namespace {

struct Fixture {
  vigil::ProcessTable table;
  std::vector<vigil::Event> events;
  Fixture() {
    vigil::Process p;
    p.pid = 42;
    p.ppid = 1;
    p.comm = "bash";
    p.exepath = p.exe = "/usr/bin/bash";
    p.args = {"-c", "cat /etc/shadow"};
    p.cwd = "/root";
    table.Upsert(p);
    vigil::Event open;
    open.type = vigil::EventType::kOpenat;
    open.tid = open.tgid = 42;
    open.res = 3;
    open.AddNum(vigil::ArgId::kDirfd, AT_FDCWD);
    open.AddStr(vigil::ArgId::kName, "/etc/shadow");
    open.AddNum(vigil::ArgId::kFlags, O_RDONLY);
    events.push_back(open);
    vigil::Event exec;
    exec.type = vigil::EventType::kExecve;
    exec.tid = exec.tgid = 42;
    events.push_back(exec);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Fixture* fx = new Fixture();
  std::string yaml(reinterpret_cast<const char*>(data), size);
  vigil::LoadOptions opts;
  opts.hostname = "fuzz";
  auto r = vigil::LoadRuleStrings({{"fuzz.yaml", yaml}}, opts);
  if (!r.ruleset) std::abort();
  for (const auto& d : r.diagnostics) {
    if (d.message.empty()) std::abort();
    (void)d.ToString();
  }
  for (const auto& ev : fx->events) r.ruleset->Evaluate(ev, fx->table, [](const vigil::Alert&) {});
  return 0;
}
