// cmd_test.cpp — `vigil test`: Run rule test cases written next to rules.
#include <CLI/CLI.hpp>

#include "commands.h"

namespace vigil::cli {

Runner AddTestCommand(CLI::App& app) {
  app.add_subcommand("test", "Run rule test cases written next to rules");
  return [] { return NotYet("test"); };
}

}  // namespace vigil::cli
