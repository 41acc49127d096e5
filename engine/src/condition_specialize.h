// condition_specialize.h — per-event-type specialisation of compiled conditions.
// A rule is evaluated only on the event types it can match (Ruleset::Impl::by_type), but
// its tree still tests evt.type again in every `or` branch (the default rules say "open
// family, or rename family, or link family..." with the evt.type test inside each branch).
// For one event type those tests are constants: the specialised copy folds them, drops the
// dead branches, flattens nested and/or, merges the string tests of an `or` on the same field
// with the same operator (`f startswith a or f startswith b` -> one check with both operands:
// startswith, endswith, contains and their b- forms), and orders the operands of each and/or
// cheapest first (every operand is a pure predicate: the order cannot change the result). Checks are
// shared with the original tree (not copied); memo nodes keep their slot, which stays
// correct because one event has one type and the specialised body equals the original on
// that type. Engine-internal, cold path (load/reload), single-threaded.
#pragma once

#include <cstddef>
#include <unordered_map>

#include "compiled_condition.h"

namespace vigil {

// Shared by the TypeSpecializers of one ruleset: a sub-tree without an evt.type test
// specialises the same way for every type, so it is done once (a huge condition without
// evt.type is sorted once, not once per event type).
struct SpecializeShared {
  std::unordered_map<const CondNode*, bool> typed;            // sub-tree tests evt.type
  std::unordered_map<const CondNode*, CondNodePtr> untyped;   // results for type-free sub-trees
};

class TypeSpecializer {
 public:
  TypeSpecializer(std::size_t type, SpecializeShared* shared) : type_(type), shared_(shared) {}
  // The specialisation of `node` for events of this type. Shared sub-trees (memo bodies)
  // are specialised once per TypeSpecializer.
  CondNodePtr Specialize(const CondNodePtr& node);

 private:
  bool Typed(const CondNode& node);
  CondNodePtr SpecializeNode(const CondNodePtr& node);
  std::size_t type_;
  SpecializeShared* shared_;
  std::unordered_map<const CondNode*, CondNodePtr> memos_;  // original memo node body -> result
};

// True when `node` is a constant (after specialisation) with value `value`.
bool IsConst(const CondNode& node, bool value);

// Relative evaluation cost of a (specialised) tree, used to order and/or operands: a type
// bitset test < a number from the event < a string from the event or process < a rendered
// value, an ancestor walk, a glob or a regex. Estimates, not measurements.
unsigned EstimatedCost(const CondNode& node);

}  // namespace vigil
