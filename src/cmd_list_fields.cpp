// cmd_list_fields.cpp — `vigil list-fields`: List the fields usable in conditions and outputs.
#include <CLI/CLI.hpp>

#include "commands.h"

namespace vigil::cli {

Runner AddListFieldsCommand(CLI::App& app) {
  app.add_subcommand("list-fields", "List the fields usable in conditions and outputs");
  return [] { return NotYet("list-fields"); };
}

}  // namespace vigil::cli
