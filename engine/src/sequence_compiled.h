// sequence_compiled.h — one sequence or threshold rule ready to evaluate: its steps' compiled
// conditions (the same CondNode trees rules use, memo slots shared with them), key fields,
// captured fields (%stepN.field), output template and a fingerprint of the definition.
// Engine-internal. Built by the rule compiler, owned by Ruleset::Impl, immutable afterwards
// (read concurrently; the mutable state lives in SequenceEngine).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "compiled_condition.h"
#include "vigil/sequence_engine.h"

namespace vigil {

// A value remembered from one step's event, for later steps and the output.
struct CaptureSlot {
  int step = 0;         // 0-based step whose event provides it
  FieldRef field;
  std::string name;     // "step1.fd.name" (output_fields key)
};

struct CompiledStep {
  CondNodePtr condition;
  EventTypeSet types;
  std::vector<FieldRef> by;          // the key, extracted on this step's event
  std::vector<uint16_t> captures;    // slots filled from this step's event
  bool uses_captures = false;        // the condition compares with %stepN values
};

struct SequenceOutputSegment {
  enum class Kind : uint8_t { kLiteral, kField, kCapture, kCount, kKey };
  Kind kind = Kind::kLiteral;
  std::string literal;
  FieldRef field;        // kField
  int capture = -1;      // kCapture
  std::string name;      // output_fields key ("" for literals)
  bool first_use = false;  // first segment naming this field (output_fields once each)
};

struct CompiledSequence {
  SequenceInfo info;
  std::vector<CompiledStep> steps;     // threshold form: exactly one
  CondNodePtr until;                   // may be null
  EventTypeSet until_types;
  std::vector<FieldRef> until_by;
  std::vector<CaptureSlot> captures;
  std::vector<SequenceOutputSegment> output;
  bool threshold = false;
  uint64_t count = 0;                  // threshold
  bool distinct = false;
  FieldRef distinct_field;
  uint64_t maxspan_ns = 0;
  uint64_t fingerprint = 0;            // same definition (incl. macros/lists used) -> same value
  bool active = false;
};

}  // namespace vigil
