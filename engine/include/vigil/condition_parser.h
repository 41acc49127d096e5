// condition_parser.h — parses Falco condition text into a ConditionAst.
// Owned by the engine; cold path (rule load). Pure function, thread safe.
//
// Grammar (Falco's, as implemented; keywords are case-sensitive):
//   expr      := or
//   or        := and ( "or" and )*
//   and       := unary ( "and" unary )*
//   unary     := "not" unary | primary
//   primary   := "(" expr ")" | MACRO | check
//   check     := field ( UNARY_OP | BIN_OP value | LIST_OP list )
//   field     := TRANSFORMER "(" field ")" | FIELDNAME [ "[" ARG "]" ]
//   value     := "val" "(" field ")" | QUOTED | BARE
//   list      := "(" [ value ( "," value )* ] ")" | LISTNAME
//   UNARY_OP  := exists
//   BIN_OP    := = == != < <= > >= contains icontains bcontains startswith bstartswith
//                endswith glob iglob regex
//   LIST_OP   := in intersects pmatch
//   TRANSFORMER := tolower toupper b64 basename len
//   FIELDNAME := [a-zA-Z][a-zA-Z0-9_]* ( "." [a-zA-Z0-9_]+ )+   (contains a dot)
//   MACRO     := [a-zA-Z_][a-zA-Z0-9_]*                          (no dot)
//   QUOTED    := '...' | "..."  with \\ \" \' \n \t escapes
//   BARE      := any run of characters except blanks ( ) , = " '
// `and`/`or` bind as in Falco (and tighter than or); nesting deeper than kMaxConditionDepth
// is an error rather than a stack overflow.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "vigil/condition_ast.h"

namespace vigil {

inline constexpr int kMaxConditionDepth = 200;

struct ConditionParseResult {
  ConditionPtr ast;        // null on error
  std::string error;       // "unbalanced parenthesis", ...
  std::size_t error_pos = 0;  // byte offset of the error in the text
  bool ok() const { return ast != nullptr; }
};

ConditionParseResult ParseCondition(std::string_view text, int max_depth = kMaxConditionDepth);

// Renders an AST back to condition text (normalised spacing); used by tests and diagnostics.
std::string ConditionToString(const ConditionAst& ast);

}  // namespace vigil
