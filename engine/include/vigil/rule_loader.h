// rule_loader.h — loads Falco-language rule files into an immutable Ruleset.
// Owned by the engine; called by the daemon (start-up, reload), `vigil validate` and tests.
// Cold path. Thread safe: every call builds an independent Ruleset; the result may be shared
// across threads (reload swaps a shared_ptr<const Ruleset>).
//
// Stages (one concept each, engine/src/): reader (YAML -> items with file:line:col) ->
// collector (append/override, duplicates) -> parser (condition_parser.h) -> compiler (typed
// checks, macros, lists, exceptions) -> Ruleset (buckets per event type).
// Every problem becomes a Diagnostic; bad rules are dropped, good ones still load.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vigil/priority.h"
#include "vigil/ruleset.h"

namespace vigil {

struct Diagnostic {
  std::string file;
  int line = 0;  // 1-based; 0 when unknown
  int col = 0;   // 1-based; 0 when unknown
  std::string rule;     // the rule/macro/list concerned ("" when none)
  std::string message;
  bool warning = false;
  // "file:line:col: error: rule 'X': message" (warning: instead of error: for warnings).
  std::string ToString() const;
};

struct LoadOptions {
  std::string hostname;                 // evt.hostname and Alert::hostname; empty: gethostname()
  MatchMode mode = MatchMode::kAll;
  Priority min_priority = Priority::kDebug;  // rules less severe than this are not loaded
  std::vector<std::string> disabled_rules;   // exact rule names
  std::vector<std::string> disabled_tags;    // a rule with any of these tags is disabled
  std::vector<std::string> enabled_rules;    // force-enable (overrides enabled: false / tags)
  std::string passwd_path = "/etc/passwd";   // user.name source (tests point elsewhere)
  std::string group_path = "/etc/group";
  bool warn_unknown_event_types = false;     // warn on evt.type names vigil does not decode
  // Lint warnings with positions (`vigil validate`): a likely list name in `in (...)` that
  // is not a defined list, each unknown evt.type name, `<`/`>` on a string field.
  bool lint = false;
  // Appended (after a space) to every rule's output, %fields included, like Falco's
  // append_output (e.g. "container_id=%container.id container_name=%container.name").
  std::string append_output;
};

struct LoadResult {
  std::shared_ptr<const Ruleset> ruleset;  // always set (possibly empty)
  std::vector<Diagnostic> diagnostics;     // errors and warnings, in file order
  bool ok() const;                         // no error diagnostics
  std::size_t errors() const;
  std::size_t warnings() const;
  std::size_t rules = 0;                   // rules defined and compiled (incl. disabled/inactive)
  std::size_t sequences = 0;               // sequence / threshold items compiled (incl. disabled)
  std::size_t macros = 0;
  std::size_t lists = 0;
  std::size_t disabled_rules = 0;          // compiled but not active (enabled: false, options)
  std::size_t inactive_source_rules = 0;   // non-syscall sources (k8s_audit, aws_cloudtrail...)
};

// Loads files in order; a directory loads every *.yaml / *.yml inside in sorted order.
LoadResult LoadRuleFiles(const std::vector<std::string>& paths, const LoadOptions& options);
// Loads the files as above, then in-memory documents ({name, YAML text}) after them.
LoadResult LoadRuleFiles(const std::vector<std::string>& paths,
                         const std::vector<std::pair<std::string, std::string>>& extra_docs,
                         const LoadOptions& options);
// Loads in-memory documents: {name used in diagnostics, YAML text}.
LoadResult LoadRuleStrings(const std::vector<std::pair<std::string, std::string>>& docs,
                           const LoadOptions& options);

}  // namespace vigil
