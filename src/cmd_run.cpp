// cmd_run.cpp — `vigil run`: the daemon (see daemon/include/vigil/daemon.h).
#include <CLI/CLI.hpp>

#include <memory>

#include "commands.h"
#include "vigil/daemon.h"

namespace vigil::cli {

Runner AddRunCommand(CLI::App& app) {
  auto opts = std::make_shared<DaemonOptions>();
  CLI::App* sub = app.add_subcommand(
      "run", "Start the daemon: load rules, attach probes, send alerts to sinks");
  sub->add_option("-c,--config", opts->config_path, "vigil.yaml configuration file");
  sub->add_option("-r,--rules", opts->rules,
                  "Rule files or directories (default: the config's rules_files, else the "
                  "default rules directory)");
  sub->add_option("-o,--option", opts->overrides,
                  "Override a config key, e.g. -o outputs.file.enabled=true");
  sub->add_option("--stats-interval", opts->stats_interval_s,
                  "Log sensor/engine statistics every N seconds (0 = off)");
  sub->add_option("--duration", opts->duration_s, "Stop after this many seconds");
  return [opts] {
    Daemon::InstallSignalHandlers();
    Daemon daemon(*opts);
    return daemon.Run();
  };
}

}  // namespace vigil::cli
