// cmd_test.cpp — `vigil test PATH... [-r RULES...]`: runs rule test cases (docs/rule-tests.md).
// Prints one PASS/FAIL line per case, then "N passed, M failed" on its own line.
// Exit 0 when every case passed, 1 on any failure, test-file error or when no case ran.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "vigil/daemon_config.h"
#include "vigil/rule_test.h"

namespace vigil::cli {
namespace {

struct TestArgs {
  std::vector<std::string> paths;
  std::vector<std::string> rules;
  bool failures_only = false;
};

int RunTests(const TestArgs& args) {
  std::vector<std::string> paths = args.paths;
  if (paths.empty()) paths.push_back((std::filesystem::path(DefaultRulesDir()) / "tests").string());

  std::vector<RuleTestCase> cases;
  std::vector<std::string> errors;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) {
      errors.push_back(p + ": error: no such file or directory");
      continue;
    }
    LoadRuleTests(p, &cases, &errors);
  }
  for (const auto& e : errors) std::printf("ERROR %s\n", e.c_str());

  RuleTestOptions options;
  options.default_rules = {DefaultRulesDir()};
  options.override_rules = args.rules;
  RuleTestRunner runner(options);
  std::size_t passed = 0, failed = 0;
  for (const auto& test : cases) {
    RuleTestResult result = runner.Run(test);
    (result.passed ? passed : failed)++;
    if (!result.passed || !args.failures_only)
      std::printf("%s\n", FormatRuleTestResult(result).c_str());
  }
  if (!errors.empty()) std::printf("%zu error(s) in test files\n", errors.size());
  std::printf("%zu passed, %zu failed\n", passed, failed);
  return (failed == 0 && errors.empty() && passed > 0) ? 0 : 1;
}

}  // namespace

Runner AddTestCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("test", "Run rule test cases written next to rules");
  auto args = std::make_shared<TestArgs>();
  cmd->add_option("paths", args->paths,
                  "Test files or directories of *.yaml test files (default: the default "
                  "rules directory's tests/)");
  cmd->add_option("-r,--rules", args->rules,
                  "Rule files or directories used by every case (overrides each case's rules)");
  cmd->add_flag("--failures-only", args->failures_only, "Print only failing cases");
  return [args] { return RunTests(*args); };
}

}  // namespace vigil::cli
