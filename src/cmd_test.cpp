// cmd_test.cpp — `vigil test PATH... [-r RULES...]`: runs rule test cases (docs/rule-tests.md).
// A file given by name is a test file; in a directory only files named *_test.yaml or
// *.test.yaml (.yml too) are, so rules and their tests can share a folder.
// Prints one PASS/FAIL line per case, then "N passed, M failed" on its own line.
// Exit 0 when every case passed, 1 on any failure, test-file error or when no case ran.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "vigil/daemon_config.h"
#include "vigil/install_paths.h"
#include "vigil/rule_test.h"

namespace vigil::cli {
namespace {

struct TestArgs {
  std::vector<std::string> paths;
  std::vector<std::string> rules;
  bool failures_only = false;
};

bool IsTestFileName(const std::string& name) {
  for (const char* suffix : {"_test.yaml", "_test.yml", ".test.yaml", ".test.yml"}) {
    const std::size_t n = std::char_traits<char>::length(suffix);
    if (name.size() > n && name.compare(name.size() - n, n, suffix) == 0) return true;
  }
  return false;
}

// A directory stands for its test files (sorted); a file for itself.
std::vector<std::string> ExpandTestPath(const std::string& path, std::vector<std::string>* errors) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return {path};
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
    if (e.is_regular_file(ec) && IsTestFileName(e.path().filename().string()))
      files.push_back(e.path().string());
  }
  if (ec) {
    errors->push_back(path + ": error: cannot list directory: " + ec.message());
  } else if (files.empty()) {
    errors->push_back(path + ": error: no test files here (test files are named *_test.yaml or "
                             "*.test.yaml; name a file to run it whatever its name)");
  }
  std::sort(files.begin(), files.end());
  return files;
}

int RunTests(const TestArgs& args) {
  std::vector<std::string> paths = args.paths;
  if (paths.empty()) paths.push_back(DefaultRuleTestsDir());

  std::vector<RuleTestCase> cases;
  std::vector<std::string> errors;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) {
      errors.push_back(p + ": error: no such file or directory" +
                       (args.paths.empty() ? " (the default rule tests; name a test file or "
                                             "directory)"
                                           : ""));
      continue;
    }
    for (const auto& f : ExpandTestPath(p, &errors)) LoadRuleTests(f, &cases, &errors);
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
                  "Test files, or directories whose *_test.yaml / *.test.yaml files are run "
                  "(default: the default rule tests)");
  cmd->add_option("-r,--rules", args->rules,
                  "Rule files or directories used by every case (overrides each case's rules)");
  cmd->add_flag("--failures-only", args->failures_only, "Print only failing cases");
  return [args] { return RunTests(*args); };
}

}  // namespace vigil::cli
