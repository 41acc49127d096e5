// cmd_validate.cpp — `vigil validate`: Check rule files; print every problem as file:line:col.
#include <CLI/CLI.hpp>

#include "commands.h"

namespace vigil::cli {

Runner AddValidateCommand(CLI::App& app) {
  app.add_subcommand("validate", "Check rule files; print every problem as file:line:col");
  return [] { return NotYet("validate"); };
}

}  // namespace vigil::cli
