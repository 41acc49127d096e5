// commands.h — the vigil CLI subcommands. Each lives in its own cmd_<name>.cpp and
// registers itself on the CLI11 app; the returned Runner executes it after parsing.
// Cold path only.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace vigil::cli {

using Runner = std::function<int()>;

Runner AddRunCommand(CLI::App& app);
Runner AddValidateCommand(CLI::App& app);
Runner AddListFieldsCommand(CLI::App& app);
Runner AddRecordCommand(CLI::App& app);
Runner AddReplayCommand(CLI::App& app);
Runner AddTestCommand(CLI::App& app);
Runner AddBenchCommand(CLI::App& app);
Runner AddRulesCommand(CLI::App& app);   // `vigil rules list`
Runner AddDoctorCommand(CLI::App& app);

// Prints "vigil <cmd>: not implemented yet" to stderr and returns exit code 2.
int NotYet(const char* cmd);

}  // namespace vigil::cli
