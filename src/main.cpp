// main.cpp — vigil's entry point: parses the command line and runs one subcommand.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <utility>
#include <vector>

#include "commands.h"
#include "vigil_config.h"

namespace vigil::cli {
int NotYet(const char* cmd) {
  std::fprintf(stderr, "vigil %s: not implemented yet\n", cmd);
  return 2;
}
}  // namespace vigil::cli

int main(int argc, char** argv) {
  CLI::App app{"vigil — host runtime security: eBPF sensor + Falco-compatible rules", "vigil"};
  app.set_version_flag("-V,--version", std::string("vigil ") + VIGIL_VERSION);
  app.require_subcommand(1);

  using namespace vigil::cli;
  std::vector<std::pair<CLI::App*, Runner>> commands;
  auto add = [&](Runner (*adder)(CLI::App&)) {
    std::size_t before = app.get_subcommands({}).size();
    Runner r = adder(app);
    auto subs = app.get_subcommands({});
    if (subs.size() > before) commands.emplace_back(subs.back(), std::move(r));
  };
  add(AddRunCommand);
  add(AddValidateCommand);
  add(AddListFieldsCommand);
  add(AddRecordCommand);
  add(AddReplayCommand);
  add(AddTestCommand);
  add(AddBenchCommand);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto& [sub, run] : commands) {
    if (sub->parsed()) return run();
  }
  return 1;
}
