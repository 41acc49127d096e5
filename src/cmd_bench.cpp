// cmd_bench.cpp — `vigil bench`: runs the whole-system benchmark driver (bench/run) that
// ships with the sources, passing the remaining arguments through. Figures are printed as
// a table, and as JSON with --json FILE|-.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "vigil/install_paths.h"
#include "vigil_config.h"

namespace vigil::cli {

Runner AddBenchCommand(CLI::App& app) {
  auto args = std::make_shared<std::vector<std::string>>();
  CLI::App* sub = app.add_subcommand(
      "bench", "Run the built-in benchmarks and print figures as JSON and a table");
  sub->allow_extras();
  sub->prefix_command();
  sub->footer("Every other argument is passed to bench/run (see bench/run --help).");
  return [sub, args] {
    // The benchmarks need the source tree (bench/run, its workloads, the build's helpers):
    // an installed vigil has none of it.
    const std::string driver = std::string(VIGIL_SOURCE_ROOT) + "/bench/run";
    if (!RunningFromBuildTree() || ::access(driver.c_str(), R_OK) != 0) {
      std::fprintf(stderr,
                   "vigil bench: needs a source checkout and its build (bench/run, the workload "
                   "programs); this vigil is installed. Run `tools/bootstrap && build/vigil "
                   "bench` in the source tree (docs/performance.md)\n");
      return 2;
    }
    std::vector<std::string> argv = {"python3", driver};
    for (const auto& a : sub->remaining()) argv.push_back(a);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execvp("python3", cargv.data());
    std::fprintf(stderr, "vigil bench: cannot run %s: %s\n", driver.c_str(), std::strerror(errno));
    return 1;
  };
}

}  // namespace vigil::cli
