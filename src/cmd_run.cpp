// cmd_run.cpp — `vigil run`: Start the daemon: load rules, attach probes, send alerts to sinks.
#include <CLI/CLI.hpp>

#include "commands.h"

namespace vigil::cli {

Runner AddRunCommand(CLI::App& app) {
  app.add_subcommand("run", "Start the daemon: load rules, attach probes, send alerts to sinks");
  return [] { return NotYet("run"); };
}

}  // namespace vigil::cli
