// cmd_rules.cpp — `vigil rules list [--json]` (Falco's -L): every loaded rule with its
// priority, tags, source file:line and whether it is enabled, after the config's
// engine.disabled_rules / disabled_tags / enabled_rules apply. Rules come from -r, else
// the config's rules_files, else the default rules directory. Cold path.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.h"
#include "vigil/daemon_config.h"
#include "vigil/install_paths.h"
#include "vigil/priority.h"
#include "vigil/rule_loader.h"
#include "vigil/ruleset.h"

namespace vigil::cli {
namespace {

struct RulesListArgs {
  std::string config_path;
  std::vector<std::string> overrides;
  std::vector<std::string> rules;
  bool json = false;
};

std::string Join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

int RunRulesList(const RulesListArgs& args) {
  DaemonConfig config;
  std::vector<std::string> errors;
  const std::string config_path =
      args.config_path.empty() ? DefaultConfigPath() : args.config_path;
  if (!LoadDaemonConfig(config_path, args.overrides, &config, &errors)) {
    for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
    return 1;
  }
  LoadOptions load;
  load.hostname = config.hostname;
  load.disabled_rules = config.disabled_rules;
  load.disabled_tags = config.disabled_tags;
  load.enabled_rules = config.enabled_rules;
  LoadResult r = LoadRuleFiles(args.rules.empty() ? config.rules_files : args.rules, load);
  for (const auto& d : r.diagnostics) {
    if (!d.warning) std::fprintf(stderr, "%s\n", d.ToString().c_str());
  }
  if (!r.ok()) {
    std::fprintf(stderr, "vigil rules list: %zu rule error(s) (see `vigil validate`)\n", r.errors());
    return 1;
  }
  const std::vector<RuleInfo> rules = r.ruleset->rules();
  if (args.json) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& ri : rules) {
      arr.push_back({{"name", ri.name},
                     {"priority", std::string(PriorityName(ri.priority))},
                     {"tags", ri.tags},
                     {"source", ri.source},
                     {"file", ri.file},
                     {"line", ri.line},
                     {"enabled", ri.enabled},
                     {"desc", ri.description}});
    }
    std::printf("%s\n", arr.dump(2).c_str());
    return 0;
  }
  std::printf("%-52s %-9s %-8s %-30s %s\n", "RULE", "PRIORITY", "ENABLED", "FILE", "TAGS");
  std::size_t enabled = 0;
  for (const auto& ri : rules) {
    enabled += ri.enabled;
    std::string where = ri.file;
    if (auto slash = where.rfind('/'); slash != std::string::npos) where = where.substr(slash + 1);
    where += ":" + std::to_string(ri.line);
    std::printf("%-52s %-9s %-8s %-30s %s\n", ri.name.c_str(),
                std::string(PriorityName(ri.priority)).c_str(), ri.enabled ? "yes" : "no",
                where.c_str(), Join(ri.tags, ",").c_str());
  }
  std::printf("%zu rules, %zu enabled\n", rules.size(), enabled);
  return 0;
}

}  // namespace

Runner AddRulesCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("rules", "Inspect the loaded rules (rules list)");
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand(
      "list", "List every rule: name, priority, enabled, source file:line, tags (Falco's -L)");
  auto args = std::make_shared<RulesListArgs>();
  list->add_option("-c,--config", args->config_path,
                   "vigil.yaml (default: the installed one; none from the build tree)");
  list->add_option("-o,--option", args->overrides, "Override a config key as `vigil run -o`");
  list->add_option("-r,--rules", args->rules,
                   "Rule files or directories (default: the config's rules_files)");
  list->add_flag("--json", args->json, "Print as JSON (name, priority, tags, source, file, line, enabled, desc)");
  return [args] { return RunRulesList(*args); };
}

}  // namespace vigil::cli
