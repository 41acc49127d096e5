// cmd_record.cpp — `vigil record`: Record decoded kernel events as JSON Lines.
#include <CLI/CLI.hpp>

#include "commands.h"

namespace vigil::cli {

Runner AddRecordCommand(CLI::App& app) {
  app.add_subcommand("record", "Record decoded kernel events as JSON Lines");
  return [] { return NotYet("record"); };
}

}  // namespace vigil::cli
