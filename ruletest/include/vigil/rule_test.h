// rule_test.h — rule test cases written next to rules (`vigil test`), and their runner.
// A test file is a YAML list of cases; each case sets up processes, feeds events written in
// the JSON Lines event schema (as YAML) through the replay evaluator, and checks which rules
// fired, which did not, and optionally output field values. Format: docs/rule-tests.md.
// Owner: ruletest. Cold path. Loading is thread safe; a RuleTestRunner is single threaded
// (it caches one compiled ruleset per distinct rule-file list).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vigil/process.h"
#include "vigil/rule_loader.h"
#include "vigil/ruleset.h"

namespace vigil {

struct RuleTestExpect {
  std::vector<std::string> fire;       // each must fire at least once
  std::vector<std::string> not_fire;   // none may fire
  // field -> expected value as text ("<NA>" for null); must hold in at least one alert of a
  // rule listed in `fire` (of any alert when `fire` is empty).
  std::vector<std::pair<std::string, std::string>> output_fields;
};

struct RuleTestCase {
  std::string name;
  std::string file;  // test file the case came from
  int line = 0;      // 1-based line of the case
  // Rule files/dirs (resolved against the test file's directory); empty = runner default.
  std::vector<std::string> rules;
  std::vector<Process> processes;       // inserted into the process table first
  std::vector<std::string> events;      // one JSON Lines event object each, in order
  std::vector<int> event_lines;         // 1-based YAML line of each event (for messages)
  RuleTestExpect expect;
};

// Parses one test document. `file` names it in messages and anchors relative `rules:` paths.
// Every problem is appended to *errors as "file:line:col: error: what"; good cases are still
// returned. Returns true when there was no error.
bool ParseRuleTests(const std::string& yaml_text, const std::string& file,
                    std::vector<RuleTestCase>* cases, std::vector<std::string>* errors);
// Loads a test file, or every *.yaml / *.yml in a directory (sorted, not recursive).
bool LoadRuleTests(const std::string& path, std::vector<RuleTestCase>* cases,
                   std::vector<std::string>* errors);

struct RuleTestResult {
  std::string name;
  std::string file;
  int line = 0;
  bool passed = false;
  std::string detail;               // what differed (empty when passed)
  std::vector<std::string> fired;   // distinct rules that fired, in first-fire order
  std::size_t alerts = 0;
  std::size_t bad_events = 0;
};

struct RuleTestOptions {
  std::vector<std::string> default_rules;   // for cases without `rules:`
  std::vector<std::string> override_rules;  // when set, replaces every case's rules (-r)
  LoadOptions load;
};

class RuleTestRunner {
 public:
  explicit RuleTestRunner(RuleTestOptions options);
  RuleTestResult Run(const RuleTestCase& test);

 private:
  // Loads (once) the ruleset for a rule-file list; nullptr + *error when it has errors.
  std::shared_ptr<const Ruleset> RulesetFor(const std::vector<std::string>& files,
                                            std::string* error);
  RuleTestOptions options_;
  struct Loaded {
    std::shared_ptr<const Ruleset> ruleset;
    std::string error;
  };
  std::map<std::vector<std::string>, Loaded> cache_;
};

// "PASS  file:line  name" or "FAIL  file:line  name: detail".
std::string FormatRuleTestResult(const RuleTestResult& result);

}  // namespace vigil
