// main.cpp — vigil's entry point: parses the command line and runs one subcommand.
#include <CLI/CLI.hpp>
#include <bpf/libbpf.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "commands.h"
#include "vigil/install_paths.h"
#include "vigil_config.h"
#include "vigil_revision.h"

namespace vigil::cli {
int NotYet(const char* cmd) {
  std::fprintf(stderr, "vigil %s: not implemented yet\n", cmd);
  return 2;
}

std::string VersionText() {
  std::string v = std::string("vigil ") + VIGIL_VERSION + "\n";
  v += std::string("git revision: ") + VIGIL_GIT_REVISION + "\n";
  v += std::string("build type: ") + VIGIL_BUILD_TYPE + "\n";
  v += std::string("libbpf: ") + libbpf_version_string() + "\n";
  v += std::string("config: ") +
       (RunningFromBuildTree() ? std::string("build tree (") + VIGIL_BUILD_ROOT + ")"
                               : InstalledConfigDir());
  return v;
}
}  // namespace vigil::cli

int main(int argc, char** argv) {
  CLI::App app{"vigil — host runtime security: eBPF sensor + Falco-compatible rules", "vigil"};
  app.set_version_flag("-V,--version", vigil::cli::VersionText());
  app.require_subcommand(1);
  app.footer("`vigil COMMAND --help` for a command's options; man vigil-COMMAND for details.");

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
  add(AddRulesCommand);
  add(AddRecordCommand);
  add(AddReplayCommand);
  add(AddTestCommand);
  add(AddBenchCommand);
  add(AddDoctorCommand);

  // An unknown first word is a mistyped command: name it (CLI11 alone says only that a
  // subcommand is required).
  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    std::string names;
    for (const auto& [sub, run] : commands) {
      known |= sub->get_name() == argv[1];
      names += (names.empty() ? "" : ", ") + sub->get_name();
    }
    if (!known) {
      std::fprintf(stderr, "vigil: unknown command '%s' (commands: %s); see vigil --help\n",
                   argv[1], names.c_str());
      return 2;
    }
  }

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
