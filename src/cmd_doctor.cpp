// cmd_doctor.cpp — `vigil doctor`: what works on this host and what to do about what does
// not. Checks the kernel version, BTF, the capabilities held, loads and attaches the probes
// in each hook mode (tp_btf, raw_tp) and sees one of its own events arrive, reads /proc of
// another process (the start-up snapshot) and loads the configured rules. Prints one line
// per check (ok / warn / FAIL with a fix); exit 0 when `vigil run` can work, 1 otherwise.
// Cold path.
#include <CLI/CLI.hpp>

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "capabilities.h"
#include "commands.h"
#include "vigil/daemon_config.h"
#include "vigil/install_paths.h"
#include "vigil/rule_loader.h"
#include "vigil/ruleset.h"
#include "vigil/sensor.h"

namespace vigil::cli {
namespace {

struct Report {
  int fails = 0, warns = 0;
  void Ok(const std::string& what) { std::printf("ok    %s\n", what.c_str()); }
  void Warn(const std::string& what, const std::string& fix) {
    ++warns;
    std::printf("warn  %s\n      -> %s\n", what.c_str(), fix.c_str());
  }
  void Fail(const std::string& what, const std::string& fix) {
    ++fails;
    std::printf("FAIL  %s\n      -> %s\n", what.c_str(), fix.c_str());
  }
};

// Opens the sensor in one hook mode and waits for one of this process's own opens.
bool TryProbes(const std::string& mode, std::string* detail) {
  SensorOptions o;
  o.ring_bytes = 1 << 20;
  o.hook_mode = mode;
  o.self_tgid = 0;  // see our own marker open
  std::string error;
  auto sensor = Sensor::Open(o, &error);
  if (!sensor) {
    *detail = error;
    return false;
  }
  const std::string marker = "/vigil-doctor-" + std::to_string(::getpid());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  bool seen = false;
  const uint32_t self = static_cast<uint32_t>(::getpid());
  while (!seen && std::chrono::steady_clock::now() < deadline) {
    int fd = ::open(marker.c_str(), O_RDONLY);  // ENOENT: the syscall is what we look for
    if (fd >= 0) ::close(fd);
    sensor->Poll(50, [&](const Event& ev) {
      if (ev.tgid != self) return;
      if (ev.type != EventType::kOpen && ev.type != EventType::kOpenat && ev.type != EventType::kOpenat2) return;
      if (const Arg* a = ev.Find(ArgId::kName); a && a->is_str && a->str == marker) seen = true;
    });
  }
  *detail = "hook mode " + std::string(sensor->hook_mode());
  if (!seen) *detail += ", but no event of this process arrived within 2 s";
  return seen;
}

int RunDoctor(const std::string& config_arg) {
  Report r;
  struct utsname u {};
  ::uname(&u);
  std::string release = u.release;
  int major = 0, minor = 0;
  std::sscanf(release.c_str(), "%d.%d", &major, &minor);
  if (major > 6 || (major == 6 && minor >= 2)) {
    r.Ok("kernel " + release + " (>= 6.2: ring buffer, tp_btf, bpf_loop, bpf_rdonly_cast)");
  } else {
    r.Fail("kernel " + release + " is older than 6.2",
           "vigil's probes need the BPF ring buffer, BTF raw tracepoints, bpf_loop (5.17) and "
           "the bpf_rdonly_cast kfunc (6.2, direct reads of kernel objects): use Linux >= 6.2");
  }
  std::error_code ec;
  if (std::filesystem::exists("/sys/kernel/btf/vmlinux", ec)) {
    r.Ok("BTF present (/sys/kernel/btf/vmlinux): CO-RE probes can load");
  } else {
    r.Fail("no /sys/kernel/btf/vmlinux", "use a kernel built with CONFIG_DEBUG_INFO_BTF=y");
  }

  const uint64_t caps = EffectiveCapabilities();
  std::string held, missing;
  for (const auto& c : RelevantCapabilities()) {
    (Has(caps, c.number) ? held : missing) += std::string(" ") + c.name;
  }
  std::printf("info  uid %u; effective capabilities held:%s; not held:%s\n",
              static_cast<unsigned>(::getuid()), held.empty() ? " none" : held.c_str(),
              missing.empty() ? " none" : missing.c_str());
  const std::string probe_missing = MissingProbeCapabilities(caps);
  if (probe_missing.empty()) {
    r.Ok("capabilities for the probes (CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN)");
    std::string detail;
    bool any = false;
    for (const char* mode : {"tp_btf", "raw_tp"}) {
      if (TryProbes(mode, &detail)) {
        any = true;
        r.Ok(std::string("probes load and attach with ") + mode + " (" + detail + ")");
      } else {
        r.Warn(std::string("probes with ") + mode + ": " + detail,
               std::string(mode) == "tp_btf" ? "vigil falls back to raw_tp (slightly slower)"
                                             : "only matters when tp_btf fails too");
      }
    }
    if (!any) {
      r.Fail("no hook mode loads: `vigil run` cannot see events",
             "read the errno above; a kernel lockdown (integrity/confidentiality) or a seccomp "
             "filter on bpf() also refuses BPF");
    }
  } else {
    r.Fail("missing " + probe_missing + ": the probes cannot load, `vigil run` refuses to start",
           "run as root, or grant " + probe_missing +
               " (systemd: CapabilityBoundingSet/AmbientCapabilities; shell: setpriv "
               "--inh-caps=+bpf,+perfmon --ambient-caps=+bpf,+perfmon)");
  }

  // The start-up snapshot reads /proc/<pid>/exe of processes older than vigil.
  {
    std::size_t total = 0, denied = 0;
    std::string example;
    for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
      const std::string name = e.path().filename().string();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
      char buf[4096];
      if (::readlink((e.path() / "exe").c_str(), buf, sizeof(buf)) >= 0) {
        ++total;
      } else if (errno == EACCES || errno == EPERM) {
        ++total;
        if (denied++ == 0) example = name;
      }  // ENOENT: a kernel thread (no exe) or a process that just exited
    }
    if (denied == 0) {
      r.Ok("/proc/<pid>/exe of all " + std::to_string(total) +
           " processes readable (the start-up snapshot has exe, cwd, parents)");
    } else if (!Has(caps, 19 /* CAP_SYS_PTRACE */)) {
      r.Warn(std::to_string(denied) + " of " + std::to_string(total) +
                 " processes' /proc/<pid>/exe unreadable (e.g. pid " + example +
                 "): processes started before vigil will have no exe/cwd",
             "grant CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (the systemd unit does)");
    } else {
      r.Ok("/proc/<pid>/exe readable for " + std::to_string(total - denied) + " of " +
           std::to_string(total) + " processes (the rest, e.g. pid " + example +
           ", are protected by the kernel even from CAP_SYS_PTRACE: they get an exe when "
           "they next exec)");
    }
  }

  const std::string config = config_arg.empty() ? DefaultConfigPath() : config_arg;
  DaemonConfig cfg;
  std::vector<std::string> errors;
  if (!LoadDaemonConfig(config, {}, &cfg, &errors)) {
    r.Fail("config " + config + " does not load: " + (errors.empty() ? "" : errors.front()),
           "fix it (every error is printed by `vigil run -c " + config + "`)");
  } else {
    r.Ok("config " + (config.empty() ? std::string("(none: built-in defaults)") : config));
    std::string files;
    for (const auto& f : cfg.rules_files) files += (files.empty() ? "" : ", ") + f;
    LoadResult lr = LoadRuleFiles(cfg.rules_files, LoadOptions{});
    if (!lr.ok()) {
      r.Fail("rules (" + files + "): " + std::to_string(lr.errors()) + " error(s)",
             "`vigil validate " + files + "` lists them with file:line:col");
    } else if (lr.ruleset->rule_count() == 0) {
      r.Warn("rules (" + files + ") load but no rule is active", "check rules_files and engine.disabled_*");
    } else {
      r.Ok("rules (" + files + "): " + std::to_string(lr.ruleset->rule_count()) + " active");
    }
  }
  std::printf("%s: %d problem(s), %d warning(s)\n",
              r.fails ? "vigil run will NOT work" : "vigil run can work", r.fails, r.warns);
  return r.fails ? 1 : 0;
}

}  // namespace

Runner AddDoctorCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "doctor", "Check this host: kernel, BTF, capabilities, probes, /proc access, config, rules");
  auto config = std::make_shared<std::string>();
  cmd->add_option("-c,--config", *config, "vigil.yaml to check (default: the installed one)");
  return [config] { return RunDoctor(*config); };
}

}  // namespace vigil::cli
