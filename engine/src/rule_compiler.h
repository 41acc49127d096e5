// rule_compiler.h — stage 4 of loading: turns collected definitions into CompiledRules.
// Parses each macro once, expands macros (with cycle detection) and named lists, resolves
// fields, type-checks operators and operands, compiles regexes and list sets, adds
// exceptions, and computes each rule's event types. Engine-internal, cold path,
// single-threaded.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "compiled_rule.h"
#include "rule_collector.h"
#include "vigil/condition_parser.h"

namespace vigil {

class RuleCompiler {
 public:
  RuleCompiler(const CollectedRules& defs, std::vector<Diagnostic>* diagnostics);
  // Text (with %fields) appended to every rule's output, like Falco's append_output.
  void set_append_output(std::string s) { append_output_ = std::move(s); }
  // Also report lint warnings (rule_lints.h): likely list names that are not lists, unknown
  // evt.type names (with their position), ordering comparisons on string fields.
  void set_lint(bool on) { lint_ = on; }

  // Compiles one rule; on error reports it and returns nullptr. *skipped is set when the
  // rule was dropped on purpose (skip-if-unknown-filter) rather than because of an error.
  std::unique_ptr<CompiledRule> Compile(const RuleDef& rule, bool* skipped);

  // Compiles a `sequence:` item (sequence_compiler.cpp); on error reports every problem
  // found and returns nullptr.
  std::unique_ptr<CompiledSequence> CompileSequence(const SequenceDef& seq);

  // Compiles a bare condition (tests, fuzzers). Returns nullptr and sets *error on failure.
  CondNodePtr CompileCondition(const std::string& text, std::string* error);

  const std::set<std::string>& unknown_event_type_names() const { return unknown_evt_names_; }
  // Number of memo slots the compiled rules use (EvalMemo size).
  uint32_t memo_slots() const { return next_slot_; }

 private:
  struct MacroEntry {
    bool parsed = false;
    ConditionPtr ast;  // null when the macro has a syntax error
  };
  struct Scope {  // where the AST being compiled comes from
    const SourceText* text;
    std::string macro;  // "" for the rule's own condition
  };
  struct Failure {
    SourcePos pos;
    std::string message;
    bool unknown_field = false;
  };

  // Sequence steps (sequence_compiler.cpp): `field op %stepN.field` compares with a value
  // captured from an earlier step's event.
  struct CaptureScope {
    int step = 0;  // 0-based step being compiled
    std::vector<CaptureSlot>* slots = nullptr;
  };
  static bool RefersToStep(const ConditionAst& ast);
  CondNodePtr CompileCaptureCheck(const ConditionAst& ast, const Scope& scope);
  CondNodePtr CompileSequenceCondition(const SequenceDef& seq, const SourceText& text,
                                       const std::string& what);
  bool ResolveSequenceField(const SequenceDef& seq, const std::string& name, const SourcePos& pos,
                            const std::string& what, FieldRef* out);
  bool CompileSequenceOutput(const SequenceDef& seq, CompiledSequence* out);
  uint64_t SequenceFingerprint(const SequenceDef& seq) const;
  CaptureScope* capture_scope_ = nullptr;

  CondNodePtr CompileNode(const ConditionAst& ast, const Scope& scope, int depth);
  CondNodePtr CompileCheck(const ConditionAst& ast, const Scope& scope);
  CondNodePtr CompileCheckRaw(const ConditionAst& ast, const Scope& scope, std::string* memo_key);
  bool ExpandOperands(const std::vector<OperandAst>& in, bool list_op, std::vector<std::string>* out);
  bool ExpandList(const std::string& name, int depth, std::vector<std::string>* out);
  CondNodePtr CompileExceptions(const RuleDef& rule);
  bool CompileOutput(const RuleDef& rule, OutputTemplate* out);
  bool Fail(const Scope& scope, std::size_t offset, std::string msg, bool unknown_field = false);
  void Warn(const Scope& scope, std::size_t offset, std::string msg);
  void LintCheck(const ConditionAst& ast, const FieldRef& field, const Scope& scope);
  MacroEntry* Macro(const std::string& name);

  struct SharedNode {
    std::shared_ptr<CondNode> node;
    uint32_t slot = 0;
    std::unique_ptr<Failure> failure;  // the macro failed to compile
  };
  std::map<std::string, SharedNode> compiled_macros_;
  std::map<std::string, SharedNode> compiled_checks_;
  uint32_t next_slot_ = 0;
  std::string append_output_;
  bool lint_ = false;

  const CollectedRules& defs_;
  std::vector<Diagnostic>* diags_;
  std::map<std::string, MacroEntry> macros_;
  std::vector<std::string> macro_stack_;
  std::set<std::string> unknown_evt_names_;
  std::set<std::string> linted_evt_names_;  // unknown evt.type names already warned about
  std::string current_rule_;
  std::unique_ptr<Failure> failure_;
  SourceText scratch_text_;
};

}  // namespace vigil
