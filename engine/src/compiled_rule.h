// compiled_rule.h — one rule ready to evaluate: condition tree, output template, metadata;
// and Ruleset::Impl, the immutable container the loader fills. Engine-internal; immutable
// after the loader hands the Ruleset out (then read concurrently, hot path).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "compiled_condition.h"
#include "sequence_compiled.h"
#include "vigil/ruleset.h"
#include "vigil/user_db.h"

namespace vigil {

struct OutputTemplate {
  struct Segment {
    std::string literal;  // used when !is_field
    bool is_field = false;
    FieldRef field;
  };
  std::vector<Segment> segments;
  std::vector<std::size_t> unique_fields;  // indexes into segments, first use of each field
};

struct CompiledRule {
  RuleInfo info;
  CondNodePtr condition;
  OutputTemplate output;
  EventTypeSet types;
  bool any_type = false;
  bool active = false;
};

// A rule or sequence step as evaluated on one event type: its condition specialised for
// that type (condition_specialize.h).
struct TypedRule {
  const CompiledRule* rule = nullptr;
  CondNodePtr condition;
};
struct TypedStep {
  uint32_t seq = 0;   // index into Ruleset::Impl::sequences
  int32_t step = 0;   // -1: the sequence's `until`
  CondNodePtr condition;
};

struct Ruleset::Impl {
  std::vector<std::unique_ptr<CompiledRule>> rules;  // load order
  std::vector<std::unique_ptr<CompiledSequence>> sequences;  // load order
  std::array<std::vector<TypedRule>, kEventTypeCount> by_type;  // incl. any-type rules
  // Active sequences' steps and `until`s by event type; per sequence, `until` first, then
  // later steps before earlier ones (one event never advances a partial match twice).
  std::array<std::vector<TypedStep>, kEventTypeCount> steps_by_type;
  EventTypeSet interesting;
  MatchMode mode = MatchMode::kAll;
  std::string hostname;
  std::unique_ptr<UserDb> users;
  std::size_t active = 0;
  bool reads_env = false;   // some active rule or sequence reads proc.env
  uint32_t memo_slots = 0;  // shared sub-trees (macros, repeated checks) memoised per event
};

// Fills one output_fields entry the way Falco types it (ruleset.cpp; sequences use it too).
AlertField MakeAlertField(const FieldRef& f, const Value* v, EvalContext& ctx);

class RulesetBuilder {
 public:
  // Indexes the active rules by event type and wraps the result.
  static std::shared_ptr<const Ruleset> Build(std::unique_ptr<Ruleset::Impl> impl);
};

}  // namespace vigil
