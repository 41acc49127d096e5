// cmd_bench.cpp — `vigil bench`: Run the built-in benchmarks and print figures as JSON and a table.
#include <CLI/CLI.hpp>

#include "commands.h"

namespace vigil::cli {

Runner AddBenchCommand(CLI::App& app) {
  app.add_subcommand("bench", "Run the built-in benchmarks and print figures as JSON and a table");
  return [] { return NotYet("bench"); };
}

}  // namespace vigil::cli
