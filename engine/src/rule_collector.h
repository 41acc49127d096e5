// rule_collector.h — stage 2 of loading: merges the items of every file, in load order,
// into final list/macro/rule definitions. Applies `append: true` and `override:
// {key: append|replace}`, enabled-only redefinitions, and replacement of a name defined in
// an earlier file; reports duplicates within one file and appends to unknown names.
// Engine-internal, cold path, single-threaded.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "rule_reader.h"

namespace vigil {

struct ListDef {
  std::string name;
  std::vector<std::string> items;
  SourcePos pos;
};

struct MacroDef {
  std::string name;
  SourceText condition;
  SourcePos pos;
};

struct RuleDef {
  std::string name;
  std::string desc, output, source = "syscall";
  SourceText output_src;  // `output` with its source positions (errors point into it)
  SourceText condition;
  Priority priority = Priority::kWarning;
  bool enabled = true;
  std::vector<std::string> tags;
  std::vector<ExceptionItem> exceptions;
  bool warn_evttypes = true;
  bool skip_if_unknown_filter = false;
  SourcePos pos;
};

using SequenceDef = SequenceItem;

struct CollectedRules {
  std::vector<SequenceDef> sequences;  // load order
  std::map<std::string, std::size_t> sequence_index;
  std::vector<ListDef> lists;
  std::vector<MacroDef> macros;
  std::vector<RuleDef> rules;
  std::map<std::string, std::size_t> list_index, macro_index, rule_index;
};

class RuleCollector {
 public:
  explicit RuleCollector(std::vector<Diagnostic>* diagnostics) : diags_(diagnostics) {}
  void Add(RuleFileItems items);
  CollectedRules Finish() { return std::move(out_); }

 private:
  void AddList(ListItem l);
  void AddMacro(MacroItem m);
  void AddRule(RuleItem r);
  void AddSequence(SequenceItem s);
  void Error(const SourcePos& p, const std::string& name, const std::string& msg, bool warning = false);

  std::vector<Diagnostic>* diags_;
  CollectedRules out_;
};

}  // namespace vigil
