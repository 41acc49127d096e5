// cmd_replay.cpp — `vigil replay`: Evaluate rules over a recorded JSON Lines event stream.
#include <CLI/CLI.hpp>

#include "commands.h"

namespace vigil::cli {

Runner AddReplayCommand(CLI::App& app) {
  app.add_subcommand("replay", "Evaluate rules over a recorded JSON Lines event stream");
  return [] { return NotYet("replay"); };
}

}  // namespace vigil::cli
