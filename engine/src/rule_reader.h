// rule_reader.h — stage 1 of loading: one YAML rules document -> typed items, each with its
// file:line:col. Checks YAML syntax and the shape of every item (key types, required keys),
// nothing about conditions. Engine-internal, cold path, pure function (thread safe).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sequence_item.h"
#include "source_text.h"
#include "vigil/priority.h"
#include "vigil/rule_loader.h"

namespace vigil {

// One value of an exception tuple: a string, or a list (for in/pmatch/intersects comps).
struct ExceptionValue {
  bool is_list = false;
  std::string str;
  std::vector<std::string> list;
};

struct ExceptionItem {
  std::string name;
  std::vector<std::string> fields;  // one entry for the single-field form
  std::vector<std::string> comps;   // defaults to "=" (or "in" for the single-field form)
  bool single_field = false;        // `fields: proc.name` (not a list)
  std::vector<SourcePos> field_pos;  // where each entry of `fields` is written
  std::vector<std::vector<ExceptionValue>> values;  // tuples (single-field: one value each)
  SourcePos pos;
};

struct ListItem {
  std::string name;
  std::vector<std::string> items;
  SourcePos pos;
  bool append = false;
  std::string override_items;  // "", "append", "replace"
};

struct MacroItem {
  std::string name;
  SourceText condition;
  bool has_condition = false;
  SourcePos pos;
  bool append = false;
  std::string override_condition;
};

struct RuleItem {
  std::string name;
  SourcePos pos;
  std::optional<std::string> desc, output, source;
  std::optional<SourceText> output_src;  // `output` with its source positions
  std::optional<SourceText> condition;
  std::optional<Priority> priority;
  std::optional<bool> enabled, warn_evttypes, skip_if_unknown_filter;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::vector<ExceptionItem>> exceptions;
  bool append = false;
  std::map<std::string, std::string> overrides;  // key -> append|replace
};

struct RuleFileItems {
  std::vector<ListItem> lists;
  std::vector<MacroItem> macros;
  std::vector<RuleItem> rules;
  std::vector<SequenceItem> sequences;
  // Items in document order: (kind 0 list / 1 macro / 2 rule / 3 sequence, index in its vector).
  std::vector<std::pair<int, std::size_t>> order;
};

// Parses `text` (named `file` in diagnostics). Items with errors are dropped and reported.
RuleFileItems ReadRuleFile(const std::string& file, const std::string& text,
                           std::vector<Diagnostic>* diagnostics);

}  // namespace vigil
