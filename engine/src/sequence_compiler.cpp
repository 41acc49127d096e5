// sequence_compiler.cpp — `sequence:` definitions -> CompiledSequence (the RuleCompiler
// members declared for sequences in rule_compiler.h). Steps compile through the same
// CompileNode as rule conditions, so macros, lists, operators and memo slots are shared.
#include <cctype>
#include <charconv>
#include <set>

#include "rule_compiler.h"

namespace vigil {
namespace {

bool IsStepRef(const OperandAst& o) {
  return o.kind == OperandAst::Kind::kLiteral && !o.quoted && o.text.rfind("%step", 0) == 0;
}

// Finds a %stepN comparison below a `not` (the prefilter pass treats it as true, which a
// `not` would turn into a false negative).
bool CaptureUnderNot(const CondNode& n, bool under_not) {
  switch (n.kind) {
    case CondNode::Kind::kAnd:
      for (const auto& c : static_cast<const AndNode&>(n).children)
        if (CaptureUnderNot(*c, under_not)) return true;
      return false;
    case CondNode::Kind::kOr:
      for (const auto& c : static_cast<const OrNode&>(n).children)
        if (CaptureUnderNot(*c, under_not)) return true;
      return false;
    case CondNode::Kind::kNot:
      return CaptureUnderNot(*static_cast<const NotNode&>(n).child, true);
    case CondNode::Kind::kMemo:
      return CaptureUnderNot(*static_cast<const MemoNode&>(n).body, under_not);
    case CondNode::Kind::kCheck:
      return under_not && static_cast<const CheckNode&>(n).rhs_capture >= 0;
    default:
      return false;
  }
}

bool HasCapture(const CondNode& n) {
  switch (n.kind) {
    case CondNode::Kind::kAnd:
      for (const auto& c : static_cast<const AndNode&>(n).children)
        if (HasCapture(*c)) return true;
      return false;
    case CondNode::Kind::kOr:
      for (const auto& c : static_cast<const OrNode&>(n).children)
        if (HasCapture(*c)) return true;
      return false;
    case CondNode::Kind::kNot: return HasCapture(*static_cast<const NotNode&>(n).child);
    case CondNode::Kind::kCheck: return static_cast<const CheckNode&>(n).rhs_capture >= 0;
    default: return false;
  }
}

uint64_t Fnv(uint64_t h, std::string_view s) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  h ^= 0xff;
  h *= 1099511628211ULL;
  return h;
}

}  // namespace

bool RuleCompiler::RefersToStep(const ConditionAst& ast) {
  for (const auto& o : ast.operands)
    if (IsStepRef(o)) return true;
  return false;
}

CondNodePtr RuleCompiler::CompileCaptureCheck(const ConditionAst& ast, const Scope& scope) {
  const OperandAst& ref = ast.operands[0];
  if (!scope.macro.empty()) {
    Fail(scope, ref.pos, "%stepN references belong in the sequence step, not in a macro");
    return nullptr;
  }
  if (ast.operands.size() != 1 || ast.list_operand || !IsStepRef(ref)) {
    Fail(scope, ast.pos, "a %stepN reference must be the only value of a comparison (field = %step1.field)");
    return nullptr;
  }
  CmpOp op;
  if (!ParseCmpOp(ast.op, &op)) {
    Fail(scope, ast.pos, "unknown operator '" + ast.op + "'");
    return nullptr;
  }
  switch (op) {
    case CmpOp::kEq: case CmpOp::kNe: case CmpOp::kLt: case CmpOp::kLe: case CmpOp::kGt:
    case CmpOp::kGe: case CmpOp::kContains: case CmpOp::kStartsWith: case CmpOp::kEndsWith:
      break;
    default:
      Fail(scope, ast.pos, "operator '" + ast.op + "' cannot compare with a %stepN value "
                           "(use = != < <= > >= contains startswith endswith)");
      return nullptr;
  }
  // %step<N>.<field>
  std::size_t i = 5;
  int n = 0;
  while (i < ref.text.size() && std::isdigit(static_cast<unsigned char>(ref.text[i]))) n = n * 10 + (ref.text[i++] - '0');
  if (i == 5 || i >= ref.text.size() || ref.text[i] != '.' || n < 1 || n > 64) {
    Fail(scope, ref.pos, "'" + ref.text + "' is not a step reference (expected %stepN.field, N from 1)");
    return nullptr;
  }
  if (n > capture_scope_->step) {
    Fail(scope, ref.pos, "'" + ref.text + "' refers to step " + std::to_string(n) +
                             ", which is not an earlier step (this is step " +
                             std::to_string(capture_scope_->step + 1) + ")");
    return nullptr;
  }
  std::string fname = ref.text.substr(i + 1);
  auto parsed = ParseCondition(fname + " exists");
  FieldRef captured;
  std::string err;
  if (!parsed.ok() || parsed.ast->kind != ConditionAst::Kind::kCheck) {
    Fail(scope, ref.pos, "invalid field '" + fname + "' in '" + ref.text + "'");
    return nullptr;
  }
  if (!ResolveFieldRef(parsed.ast->field, &captured, &err)) {
    Fail(scope, ref.pos + i + 1, err, true);
    return nullptr;
  }
  FieldRef field;
  if (!ResolveFieldRef(ast.field, &field, &err)) {
    Fail(scope, ast.field.pos, err, true);
    return nullptr;
  }
  auto& slots = *capture_scope_->slots;
  const std::string name = "step" + std::to_string(n) + "." + captured.display;
  int slot = -1;
  for (std::size_t k = 0; k < slots.size(); ++k)
    if (slots[k].name == name && slots[k].field.transformers == captured.transformers) slot = static_cast<int>(k);
  if (slot < 0) {
    slot = static_cast<int>(slots.size());
    slots.push_back(CaptureSlot{n - 1, captured, name});
  }
  auto node = std::make_unique<CheckNode>();
  node->op = op;
  node->field = std::move(field);
  node->rhs_field = slots[static_cast<std::size_t>(slot)].field;
  node->rhs_capture = slot;
  return node;
}

bool RuleCompiler::ResolveSequenceField(const SequenceDef& seq, const std::string& name, const SourcePos& pos,
                                        const std::string& what, FieldRef* out) {
  auto parsed = ParseCondition(name + " exists");
  std::string err = "invalid field '" + name + "'";
  if (parsed.ok() && parsed.ast->kind == ConditionAst::Kind::kCheck && ResolveFieldRef(parsed.ast->field, out, &err))
    return true;
  diags_->push_back(Diagnostic{pos.file, pos.line, pos.col, seq.name, "sequence '" + seq.name + "': " + what + ": " + err, false});
  return false;
}

CondNodePtr RuleCompiler::CompileSequenceCondition(const SequenceDef& seq, const SourceText& text,
                                                   const std::string& what) {
  failure_.reset();
  macro_stack_.clear();
  current_rule_ = seq.name;
  Scope scope{&text, ""};
  CondNodePtr cond;
  auto parsed = ParseCondition(text.text);
  if (!parsed.ok()) Fail(scope, parsed.error_pos, parsed.error);
  else cond = CompileNode(*parsed.ast, scope, 0);
  if (cond && CaptureUnderNot(*cond, false)) {
    cond.reset();
    Fail(scope, 0, "a %stepN comparison cannot be under 'not' (write != instead)");
  }
  if (!cond) {
    if (!failure_) Fail(scope, 0, "cannot compile");
    diags_->push_back(Diagnostic{failure_->pos.file, failure_->pos.line, failure_->pos.col, seq.name,
                                 "sequence '" + seq.name + "': " + what + ": " + failure_->message, false});
  }
  return cond;
}

bool RuleCompiler::CompileSequenceOutput(const SequenceDef& seq, CompiledSequence* out) {
  std::string s = seq.output;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  if (!append_output_.empty()) s += " " + append_output_;
  auto error = [&](const std::string& msg) {
    diags_->push_back(Diagnostic{seq.output_pos.file, seq.output_pos.line, seq.output_pos.col, seq.name,
                                 "sequence '" + seq.name + "': output: " + msg, false});
    return false;
  };
  std::set<std::string> seen;
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    SequenceOutputSegment seg;
    seg.literal = std::move(literal);
    out->output.push_back(std::move(seg));
    literal.clear();
  };
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '%' || i + 1 >= s.size()) {
      literal.push_back(s[i++]);
      continue;
    }
    std::size_t j = i + 1;
    std::string text;
    if (s[j] == '(') {
      std::size_t close = s.find(')', j);
      if (close == std::string::npos) {
        literal.push_back(s[i++]);
        continue;
      }
      text = s.substr(j + 1, close - j - 1);
      j = close + 1;
    } else {
      std::size_t e = j;
      while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_' || s[e] == '.')) ++e;
      while (e > j && s[e - 1] == '.') --e;
      if (e == j || s.substr(j, e - j).find('.') == std::string::npos) {
        literal.push_back(s[i++]);
        continue;
      }
      if (e < s.size() && s[e] == '[') {
        std::size_t close = s.find(']', e);
        if (close != std::string::npos) e = close + 1;
      }
      text = s.substr(j, e - j);
      j = e;
    }
    SequenceOutputSegment seg;
    seg.name = text;
    if (text == "seq.count") {
      seg.kind = SequenceOutputSegment::Kind::kCount;
    } else if (text == "seq.key") {
      seg.kind = SequenceOutputSegment::Kind::kKey;
    } else if (text.rfind("step", 0) == 0 && text.size() > 4 && std::isdigit(static_cast<unsigned char>(text[4]))) {
      std::size_t k = 4;
      int n = 0;
      while (k < text.size() && std::isdigit(static_cast<unsigned char>(text[k]))) n = n * 10 + (text[k++] - '0');
      if (out->threshold) return error("'%" + text + "': the threshold form has no steps (use %field or %seq.count)");
      if (k >= text.size() || text[k] != '.' || n < 1 || n > static_cast<int>(out->steps.size()))
        return error("'%" + text + "' is not a step reference (steps are %step1 to %step" +
                     std::to_string(out->steps.size()) + ")");
      FieldRef ref;
      std::string fname = text.substr(k + 1);
      auto parsed = ParseCondition(fname + " exists");
      std::string err = "invalid field '" + fname + "'";
      if (!parsed.ok() || parsed.ast->kind != ConditionAst::Kind::kCheck || !ResolveFieldRef(parsed.ast->field, &ref, &err))
        return error(err);
      const std::string name = "step" + std::to_string(n) + "." + ref.display;
      int slot = -1;
      for (std::size_t c = 0; c < out->captures.size(); ++c)
        if (out->captures[c].name == name && out->captures[c].field.transformers == ref.transformers) slot = static_cast<int>(c);
      if (slot < 0) {
        slot = static_cast<int>(out->captures.size());
        out->captures.push_back(CaptureSlot{n - 1, ref, name});
      }
      seg.kind = SequenceOutputSegment::Kind::kCapture;
      seg.capture = slot;
      seg.name = name;
    } else {
      auto parsed = ParseCondition(text + " exists");
      std::string err = "invalid field '" + text + "'";
      if (!parsed.ok() || parsed.ast->kind != ConditionAst::Kind::kCheck ||
          !ResolveFieldRef(parsed.ast->field, &seg.field, &err))
        return error(err);
      seg.kind = SequenceOutputSegment::Kind::kField;
      seg.name = seg.field.display;
    }
    seg.first_use = seen.insert(seg.name).second;
    flush();
    out->output.push_back(std::move(seg));
    i = j;
  }
  flush();
  return true;
}

uint64_t RuleCompiler::SequenceFingerprint(const SequenceDef& seq) const {
  uint64_t h = 14695981039346656037ULL;
  std::vector<std::string> texts;
  h = Fnv(h, seq.name);
  h = Fnv(h, std::to_string(seq.maxspan_ns) + "/" + std::to_string(seq.threshold) + "/" + seq.distinct);
  for (const auto& b : seq.by) h = Fnv(h, b);
  for (const auto& st : seq.steps) {
    h = Fnv(h, "step");
    h = Fnv(h, st.condition.text);
    for (const auto& b : st.by) h = Fnv(h, b);
    texts.push_back(st.condition.text);
  }
  if (seq.until) {
    h = Fnv(h, "until" + seq.until->text);
    texts.push_back(seq.until->text);
  }
  if (seq.condition) {
    h = Fnv(h, "cond" + seq.condition->text);
    texts.push_back(seq.condition->text);
  }
  h = Fnv(h, seq.output);
  // The macros and lists the conditions name (transitively) are part of the definition.
  std::set<std::string> done;
  while (!texts.empty()) {
    std::string t = std::move(texts.back());
    texts.pop_back();
    std::size_t i = 0;
    while (i < t.size()) {
      auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; };
      if (!ident(t[i])) {
        ++i;
        continue;
      }
      std::size_t e = i;
      while (e < t.size() && ident(t[e])) ++e;
      std::string word = t.substr(i, e - i);
      i = e;
      if (!done.insert(word).second) continue;
      if (auto m = defs_.macro_index.find(word); m != defs_.macro_index.end()) {
        const std::string& body = defs_.macros[m->second].condition.text;
        h = Fnv(h, "macro " + word + "=" + body);
        texts.push_back(body);
      }
      if (auto l = defs_.list_index.find(word); l != defs_.list_index.end()) {
        h = Fnv(h, "list " + word);
        std::string joined;
        for (const auto& item : defs_.lists[l->second].items) {
          h = Fnv(h, item);
          joined += item + " ";
        }
        texts.push_back(joined);
      }
    }
  }
  return h;
}

std::unique_ptr<CompiledSequence> RuleCompiler::CompileSequence(const SequenceDef& seq) {
  auto out = std::make_unique<CompiledSequence>();
  bool ok = true;
  out->threshold = !seq.condition.has_value() ? false : true;
  out->maxspan_ns = seq.maxspan_ns;
  std::vector<FieldRef> by(seq.by.size());
  for (std::size_t i = 0; i < seq.by.size(); ++i)
    ok &= ResolveSequenceField(seq, seq.by[i], seq.by_pos, "by", &by[i]);

  auto add_step = [&](const SourceText& text, const std::vector<std::string>& step_by, const SourcePos& by_pos,
                      int index, const std::string& what) {
    CompiledStep step;
    CaptureScope cs{index, &out->captures};
    capture_scope_ = out->threshold ? nullptr : &cs;
    step.condition = CompileSequenceCondition(seq, text, what);
    capture_scope_ = nullptr;
    if (!step.condition) ok = false;
    else {
      step.types = PossibleEventTypes(*step.condition);
      step.uses_captures = HasCapture(*step.condition);
    }
    if (step_by.empty()) {
      step.by = by;
    } else {
      step.by.resize(step_by.size());
      for (std::size_t i = 0; i < step_by.size(); ++i)
        ok &= ResolveSequenceField(seq, step_by[i], by_pos, what + " by", &step.by[i]);
    }
    out->steps.push_back(std::move(step));
  };
  if (out->threshold) {
    add_step(*seq.condition, {}, {}, 0, "condition");
    out->count = seq.threshold;
    if (!seq.distinct.empty()) {
      out->distinct = true;
      ok &= ResolveSequenceField(seq, seq.distinct, seq.distinct_pos, "distinct", &out->distinct_field);
    }
  } else {
    for (std::size_t i = 0; i < seq.steps.size(); ++i)
      add_step(seq.steps[i].condition, seq.steps[i].by, seq.steps[i].by_pos, static_cast<int>(i),
               "step " + std::to_string(i + 1));
    if (seq.until) {
      out->until = CompileSequenceCondition(seq, *seq.until, "until");
      if (!out->until) ok = false;
      else out->until_types = PossibleEventTypes(*out->until);
      out->until_by = by;
    }
  }
  if (ok) ok = CompileSequenceOutput(seq, out.get());
  if (!ok) return nullptr;
  for (std::size_t c = 0; c < out->captures.size(); ++c)
    out->steps[static_cast<std::size_t>(out->captures[c].step)].captures.push_back(static_cast<uint16_t>(c));
  out->fingerprint = SequenceFingerprint(seq);
  SequenceInfo& info = out->info;
  info.name = seq.name;
  info.description = seq.desc;
  info.priority = seq.priority;
  info.tags = seq.tags;
  info.enabled = seq.enabled;
  info.threshold = out->threshold;
  info.steps = out->steps.size();
  info.maxspan_ns = seq.maxspan_ns;
  info.by = seq.by;
  info.file = seq.pos.file;
  info.line = seq.pos.line;
  return out;
}

}  // namespace vigil
