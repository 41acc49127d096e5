// cmd_run.cpp — `vigil run`: the daemon (see daemon/include/vigil/daemon.h).
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cstdio>
#include <memory>

#include "capabilities.h"
#include "commands.h"
#include "vigil/daemon.h"
#include "vigil/install_paths.h"

namespace vigil::cli {

Runner AddRunCommand(CLI::App& app) {
  auto opts = std::make_shared<DaemonOptions>();
  CLI::App* sub = app.add_subcommand(
      "run", "Start the daemon: load rules, attach probes, send alerts to sinks");
  sub->add_option("-c,--config", opts->config_path,
                  "vigil.yaml configuration file (default: the installed one, e.g. "
                  "/etc/vigil/vigil.yaml; none when run from the build tree)");
  sub->add_option("-r,--rules", opts->rules,
                  "Rule files or directories (default: the config's rules_files, else the "
                  "default rules directory)");
  sub->add_option("-o,--option", opts->overrides,
                  "Override a config key, e.g. -o outputs.file.enabled=true");
  sub->add_option("--stats-interval", opts->stats_interval_s,
                  "Log sensor/engine statistics every N seconds (0 = off)");
  sub->add_option("--duration", opts->duration_s, "Stop after this many seconds");
  return [opts] {
    // Refuse early, naming what is missing, rather than failing deep in the BPF loader.
    if (const std::string missing = MissingProbeCapabilities(EffectiveCapabilities());
        !missing.empty()) {
      std::fprintf(stderr,
                   "vigil run: the probes need %s, which this process (uid %u) does not hold "
                   "in its effective set: run as root, or grant them (e.g. systemd "
                   "AmbientCapabilities, setpriv --ambient-caps); `vigil doctor` shows what "
                   "works on this host\n",
                   missing.c_str(), static_cast<unsigned>(::getuid()));
      return 1;
    }
    if (opts->config_path.empty()) opts->config_path = DefaultConfigPath();
    Daemon::InstallSignalHandlers();
    Daemon daemon(*opts);
    return daemon.Run();
  };
}

}  // namespace vigil::cli
