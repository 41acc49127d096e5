// sequence_item.h — a `sequence:` item as read from a rules file (vigil extension): either an
// ordered list of steps (this, then that, by the same key, within maxspan) or a threshold
// (at least N matching events, or N distinct values of a field, per key within maxspan).
// Engine-internal, cold path, plain data. Read by sequence_reader.cpp, merged by the rule
// collector, compiled by sequence_compiler.cpp. Grammar: docs/rules.md "Sequence rules".
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "source_text.h"
#include "vigil/priority.h"
#include "vigil/rule_loader.h"
#include "vigil/sequence_engine.h"

namespace vigil {


struct SequenceStepItem {
  SourceText condition;
  std::vector<std::string> by;  // empty: the sequence's `by`
  SourcePos by_pos;
  SourcePos pos;
};

struct SequenceItem {
  std::string name;
  SourcePos pos;
  std::string desc;
  std::string output;
  SourcePos output_pos;
  std::vector<std::string> by;
  SourcePos by_pos;
  uint64_t maxspan_ns = 0;
  SourcePos maxspan_pos;
  std::vector<SequenceStepItem> steps;        // ordered form
  std::optional<SourceText> until;            // ends partial matches of the key
  std::optional<SourceText> condition;        // threshold form
  uint64_t threshold = 0;                     // threshold form: at least this many
  SourcePos threshold_pos;
  std::string distinct;                       // threshold form: count distinct values of this field
  SourcePos distinct_pos;
  Priority priority = Priority::kWarning;
  bool enabled = true;
  bool enabled_only = false;                  // `- sequence: X` + `enabled:` only: a toggle
  std::vector<std::string> tags;
};


}  // namespace vigil
