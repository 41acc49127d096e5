// cmd_validate.cpp — `vigil validate -r FILE...`: loads rule files and reports every problem
// as file:line:col. Exit 0 when everything loads (warnings go to stderr), 1 on any error.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "vigil/rule_loader.h"
#include "vigil/ruleset.h"

namespace vigil::cli {

Runner AddValidateCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("validate", "Check rule files; print every problem as file:line:col");
  auto files = std::make_shared<std::vector<std::string>>();
  auto quiet_warnings = std::make_shared<bool>(false);
  auto show_prefilter = std::make_shared<bool>(false);
  cmd->add_option("-r,--rules,files", *files, "Rule files or directories (loaded in order)")->required();
  cmd->add_flag("--no-warnings", *quiet_warnings, "Do not print warnings");
  cmd->add_flag("--show-prefilter", *show_prefilter,
                "Print the kernel open prefilter these rules allow (or the rule that turns it off)");
  return [files, quiet_warnings, show_prefilter] {
    LoadOptions opts;
    opts.lint = true;  // validate is where authors look: report likely mistakes too
    LoadResult r = LoadRuleFiles(*files, opts);
    for (const auto& d : r.diagnostics) {
      if (d.warning && *quiet_warnings) continue;
      std::fprintf(d.warning ? stderr : stdout, "%s\n", d.ToString().c_str());
    }
    if (!r.ok()) {
      std::fprintf(stdout, "%zu error(s), %zu warning(s)\n", r.errors(), r.warnings());
      return 1;
    }
    std::fprintf(stdout,
                 "OK: %zu rules (%zu active, %zu disabled, %zu inactive non-syscall source), "
                 "%zu macros, %zu lists loaded; %zu warning(s)\n",
                 r.rules + r.inactive_source_rules, r.ruleset->rule_count(), r.disabled_rules,
                 r.inactive_source_rules, r.macros, r.lists, r.warnings());
    if (r.sequences > 0)
      std::fprintf(stdout, "sequences: %zu (%zu active)\n", r.sequences, r.ruleset->sequence_count());
    OpenPrefilter pf = r.ruleset->DeriveOpenPrefilter();
    if (!pf.enabled) {
      std::fprintf(stdout, "open prefilter: off (%s)\n", pf.disabled_reason.c_str());
    } else {
      std::fprintf(stdout, "open prefilter: %zu path prefixes, %zu suffixes%s\n", pf.prefixes.size(),
                   pf.suffixes.size(), pf.all_writes ? ", every open for writing" : "");
      if (pf.all_writes) std::fprintf(stdout, "  every open for writing: %s\n", pf.all_writes_reason.c_str());
      if (*show_prefilter) {
        for (const auto& p : pf.prefixes)
          std::fprintf(stdout, "  prefix %s%s\n", p.text.c_str(), p.writes_only ? "  (writes)" : "");
        for (const auto& p : pf.suffixes)
          std::fprintf(stdout, "  suffix %s%s\n", p.text.c_str(), p.writes_only ? "  (writes)" : "");
      }
    }
    return 0;
  };
}

}  // namespace vigil::cli
