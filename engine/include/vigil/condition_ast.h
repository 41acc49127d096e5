// condition_ast.h — the syntax tree of a Falco rule condition (or macro body).
// Owned by the engine's loader: produced by ParseCondition (condition_parser.h), consumed by
// the rule compiler. Plain data, cold path (built once per load), not shared across threads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace vigil {

// A field reference as written: `proc.aname[2]`, `evt.arg.flags`, `tolower(proc.name)`.
struct FieldRefAst {
  std::string name;                       // "proc.aname", "evt.arg.flags"
  bool has_arg = false;                   // a `[...]` argument was given
  std::string arg;                        // text between the brackets
  std::vector<std::string> transformers;  // outermost first: tolower(b64(x)) = {tolower, b64}
  std::size_t pos = 0;                    // byte offset of the field name in the text
};

// One right-hand-side value: a literal (quoted or bare) or `val(field)`.
struct OperandAst {
  enum class Kind { kLiteral, kField };
  Kind kind = Kind::kLiteral;
  std::string text;     // literal text, unescaped
  bool quoted = false;  // came from '...' or "..."
  FieldRefAst field;    // for kField
  std::size_t pos = 0;
};

struct ConditionAst {
  enum class Kind { kAnd, kOr, kNot, kMacro, kCheck };
  Kind kind = Kind::kCheck;
  std::size_t pos = 0;  // byte offset in the condition text
  std::vector<std::unique_ptr<ConditionAst>> children;  // and/or: >= 2, not: 1
  std::string macro;    // kMacro: the identifier
  // kCheck:
  FieldRefAst field;
  std::string op;       // "=", "contains", "in", "exists", ...
  bool list_operand = false;           // `in (...)`/`intersects`/`pmatch` or bare list name
  std::vector<OperandAst> operands;    // one value, or the list items
};

using ConditionPtr = std::unique_ptr<ConditionAst>;

}  // namespace vigil
