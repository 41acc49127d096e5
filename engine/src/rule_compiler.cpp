// rule_compiler.cpp — definitions -> compiled rules (see rule_compiler.h).
#include "rule_compiler.h"

#include "rule_lints.h"

#include <cctype>
#include <charconv>

namespace vigil {
namespace {

constexpr int kMaxMacroDepth = 64;
constexpr int kMaxListDepth = 32;

bool ParseInt(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  bool neg = false;
  std::string_view body = s;
  if (body[0] == '-' || body[0] == '+') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  int base = 10;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    base = 16;
    body.remove_prefix(2);
  }
  uint64_t v = 0;
  auto r = std::from_chars(body.data(), body.data() + body.size(), v, base);
  if (r.ec != std::errc() || r.ptr != body.data() + body.size()) return false;
  *out = neg ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
  return true;
}

bool ParseHexBytes(std::string_view s, std::string* out) {
  if (s.size() % 2 != 0) return false;
  out->clear();
  for (std::size_t i = 0; i < s.size(); i += 2) {
    unsigned v = 0;
    auto r = std::from_chars(s.data() + i, s.data() + i + 2, v, 16);
    if (r.ec != std::errc() || r.ptr != s.data() + i + 2) return false;
    out->push_back(static_cast<char>(v));
  }
  return true;
}

bool ParseNet(std::string_view s, Operand* o) {
  std::size_t slash = s.find('/');
  std::string_view addr = s.substr(0, slash);
  if (!ParseIp(addr, &o->ip)) return false;
  o->is_ip = true;
  o->prefix_len = static_cast<uint8_t>(o->ip.len * 8);
  if (slash != std::string_view::npos) {
    int64_t bits = 0;
    if (!ParseInt(s.substr(slash + 1), &bits) || bits < 0 || bits > o->ip.len * 8) return false;
    o->prefix_len = static_cast<uint8_t>(bits);
  }
  return true;
}

bool IsNumericType(FieldType t) {
  switch (t) {
    case FieldType::kInt64: case FieldType::kUint64: case FieldType::kPort:
    case FieldType::kAbsTime: case FieldType::kRelTime:
      return true;
    default:
      return false;
  }
}

bool IsListOp(CmpOp op) { return op == CmpOp::kIn || op == CmpOp::kIntersects || op == CmpOp::kPmatch; }

std::string TransformerKey(const FieldRef& f) {
  std::string k;
  for (Transformer t : f.transformers) k += std::to_string(static_cast<int>(t)) + ",";
  return k;
}

// Identity of a compiled check: field, transformers, operator and expanded values.
std::string MemoKey(const FieldRef& f, const std::string& op, const std::vector<std::string>& values) {
  std::string k = f.display + "\x1f" + TransformerKey(f) + "\x1f" + op;
  for (const auto& v : values) k += "\x1f" + v;
  return k;
}

std::string Lowered(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

RuleCompiler::RuleCompiler(const CollectedRules& defs, std::vector<Diagnostic>* diagnostics)
    : defs_(defs), diags_(diagnostics) {
  // Parse every macro once; syntax errors are reported where the macro is defined.
  for (const auto& m : defs_.macros) {
    MacroEntry& e = macros_[m.name];
    e.parsed = true;
    auto r = ParseCondition(m.condition.text);
    if (!r.ok()) {
      SourcePos p = m.condition.Locate(r.error_pos);
      diags_->push_back(Diagnostic{p.file, p.line, p.col, m.name,
                                   "macro '" + m.name + "': " + r.error, false});
      continue;
    }
    e.ast = std::move(r.ast);
  }
}

RuleCompiler::MacroEntry* RuleCompiler::Macro(const std::string& name) {
  auto it = macros_.find(name);
  return it == macros_.end() ? nullptr : &it->second;
}

bool RuleCompiler::Fail(const Scope& scope, std::size_t offset, std::string msg, bool unknown_field) {
  if (failure_) return false;
  failure_ = std::make_unique<Failure>();
  failure_->pos = scope.text ? scope.text->Locate(offset) : SourcePos{};
  if (!scope.macro.empty()) msg += " (in macro '" + scope.macro + "')";
  failure_->message = std::move(msg);
  failure_->unknown_field = unknown_field;
  return false;
}

void RuleCompiler::Warn(const Scope& scope, std::size_t offset, std::string msg) {
  const SourcePos p = scope.text ? scope.text->Locate(offset) : SourcePos{};
  if (!scope.macro.empty()) msg += " (in macro '" + scope.macro + "')";
  diags_->push_back(Diagnostic{p.file, p.line, p.col, current_rule_, std::move(msg), true});
}

void RuleCompiler::LintCheck(const ConditionAst& ast, const FieldRef& field, const Scope& scope) {
  CmpOp op;
  if (!ParseCmpOp(ast.op, &op)) return;
  if (IsListOp(op)) {
    for (const auto& o : ast.operands) {
      if (o.kind != OperandAst::Kind::kLiteral || o.quoted) continue;
      if (defs_.list_index.count(o.text) || !LooksLikeListName(o.text, ast.operands.size() == 1))
        continue;
      // 15 characters against a comm field: a truncated process name (TASK_COMM_LEN 16),
      // e.g. upstream's `proc.aname in (unicorn_launche)`.
      const bool comm_field = field.display.rfind("proc.name", 0) == 0 ||
                              field.display.rfind("proc.pname", 0) == 0 ||
                              field.display.rfind("proc.aname", 0) == 0 ||
                              field.display.rfind("thread.name", 0) == 0;
      if (comm_field && o.text.size() == 15) continue;
      Warn(scope, o.pos,
           "'" + o.text + "' looks like a list name but no list of that name is defined: it is "
           "compared as the literal string '" + o.text + "' (define the list, or quote the value)");
    }
  }
  if (field.id == FieldId::kEvtType && field.transformers.empty()) {
    for (const auto& o : ast.operands) {
      if (o.kind != OperandAst::Kind::kLiteral) continue;
      if (defs_.list_index.count(o.text) || EventTypeFromName(o.text)) continue;
      if (!linted_evt_names_.insert(o.text).second) continue;
      Warn(scope, o.pos, "unknown evt.type '" + o.text +
                             "': vigil decodes no event of that name, so this test never matches");
    }
  }
  const bool string_field = !IsNumericType(field.type) && field.type != FieldType::kBool &&
                            field.type != FieldType::kIpAddr && field.type != FieldType::kIpNet &&
                            field.id != FieldId::kEvtRawarg;
  if (string_field && ast.operands.size() == 1 &&
      ast.operands[0].kind == OperandAst::Kind::kLiteral) {
    std::string msg = StringOrderingLint(field.display, ast.op, ast.operands[0].text);
    if (!msg.empty()) Warn(scope, ast.pos, msg);
  }
}

bool RuleCompiler::ExpandList(const std::string& name, int depth, std::vector<std::string>* out) {
  auto it = defs_.list_index.find(name);
  if (it == defs_.list_index.end()) return false;
  if (depth > kMaxListDepth) {
    out->push_back(name);
    return true;
  }
  for (const auto& item : defs_.lists[it->second].items) {
    if (item != name && defs_.list_index.count(item)) {
      ExpandList(item, depth + 1, out);
    } else if (item.size() >= 2 && (item.front() == '"' || item.front() == '\'') && item.back() == item.front()) {
      out->push_back(item.substr(1, item.size() - 2));  // items are spliced into conditions: quotes are syntax
    } else {
      out->push_back(item);
    }
  }
  return true;
}

bool RuleCompiler::ExpandOperands(const std::vector<OperandAst>& in, bool list_op, std::vector<std::string>* out) {
  for (const auto& o : in) {
    if (list_op && !o.quoted && ExpandList(o.text, 0, out)) continue;
    out->push_back(o.text);
  }
  return true;
}

CondNodePtr RuleCompiler::CompileNode(const ConditionAst& ast, const Scope& scope, int depth) {
  switch (ast.kind) {
    case ConditionAst::Kind::kAnd:
    case ConditionAst::Kind::kOr: {
      std::vector<CondNodePtr> kids;
      for (const auto& c : ast.children) {
        auto n = CompileNode(*c, scope, depth);
        if (!n) return nullptr;
        kids.push_back(std::move(n));
      }
      if (ast.kind == ConditionAst::Kind::kAnd) {
        auto n = std::make_unique<AndNode>();
        n->children = std::move(kids);
        return n;
      }
      auto n = std::make_unique<OrNode>();
      n->children = std::move(kids);
      return n;
    }
    case ConditionAst::Kind::kNot: {
      auto c = CompileNode(*ast.children[0], scope, depth);
      if (!c) return nullptr;
      return std::make_unique<NotNode>(std::move(c));
    }
    case ConditionAst::Kind::kMacro: {
      MacroEntry* m = Macro(ast.macro);
      if (!m) {
        Fail(scope, ast.pos, "undefined macro '" + ast.macro + "'");
        return nullptr;
      }
      for (const auto& s : macro_stack_) {
        if (s == ast.macro) {
          std::string chain;
          for (const auto& x : macro_stack_) chain += x + " -> ";
          Fail(scope, ast.pos, "macro cycle: " + chain + ast.macro);
          return nullptr;
        }
      }
      if (depth >= kMaxMacroDepth) {
        Fail(scope, ast.pos, "macros nested too deeply at '" + ast.macro + "'");
        return nullptr;
      }
      if (!m->ast) {
        Fail(scope, ast.pos, "macro '" + ast.macro + "' has errors (reported at its definition)");
        return nullptr;
      }
      auto cached = compiled_macros_.find(ast.macro);
      if (cached != compiled_macros_.end()) {
        if (cached->second.failure) {
          if (!failure_) failure_ = std::make_unique<Failure>(*cached->second.failure);
          return nullptr;
        }
        return std::make_unique<MemoNode>(cached->second.node, cached->second.slot);
      }
      const MacroDef& def = defs_.macros[defs_.macro_index.at(ast.macro)];
      macro_stack_.push_back(ast.macro);
      Scope inner{&def.condition, ast.macro};
      CondNodePtr body = CompileNode(*m->ast, inner, depth + 1);
      macro_stack_.pop_back();
      SharedNode& entry = compiled_macros_[ast.macro];
      if (!body) {
        if (failure_) entry.failure = std::make_unique<Failure>(*failure_);
        else entry.failure = std::make_unique<Failure>(Failure{{}, "macro '" + ast.macro + "' failed", false});
        return nullptr;
      }
      // A bare evt.type test is cheaper than a memo lookup.
      if (body->kind == CondNode::Kind::kEvtType || body->kind == CondNode::Kind::kMemo ||
          body->kind == CondNode::Kind::kConst) {
        compiled_macros_.erase(ast.macro);
        return body;
      }
      entry.node = std::shared_ptr<CondNode>(std::move(body));
      entry.slot = next_slot_++;
      return std::make_unique<MemoNode>(entry.node, entry.slot);
    }
    case ConditionAst::Kind::kCheck:
      return CompileCheck(ast, scope);
  }
  return nullptr;
}

CondNodePtr RuleCompiler::CompileCheck(const ConditionAst& ast, const Scope& scope) {
  std::string key;
  CondNodePtr n = CompileCheckRaw(ast, scope, &key);
  if (!n || key.empty()) return n;
  auto it = compiled_checks_.find(key);
  if (it == compiled_checks_.end()) {
    SharedNode entry;
    entry.node = std::shared_ptr<CondNode>(std::move(n));
    entry.slot = next_slot_++;
    it = compiled_checks_.emplace(key, std::move(entry)).first;
  }
  return std::make_unique<MemoNode>(it->second.node, it->second.slot);
}

CondNodePtr RuleCompiler::CompileCheckRaw(const ConditionAst& ast, const Scope& scope, std::string* memo_key) {
  if (capture_scope_ && RefersToStep(ast)) return CompileCaptureCheck(ast, scope);  // never memoised
  CmpOp op;
  if (!ParseCmpOp(ast.op, &op)) {
    Fail(scope, ast.pos, "unknown operator '" + ast.op + "'");
    return nullptr;
  }
  FieldRef field;
  std::string err;
  if (!ResolveFieldRef(ast.field, &field, &err)) {
    Fail(scope, ast.field.pos, err, err.rfind("unknown field", 0) == 0 || err.rfind("unknown event argument", 0) == 0);
    return nullptr;
  }
  if (lint_) LintCheck(ast, field, scope);
  std::vector<std::string> values;
  ExpandOperands(ast.operands, IsListOp(op), &values);
  if (IsListOp(op) && !ast.list_operand) {
    Fail(scope, ast.pos, "operator '" + ast.op + "' needs a list");
    return nullptr;
  }

  // evt.type = / != / in: a bitset.
  if (field.id == FieldId::kEvtType && field.transformers.empty() &&
      (op == CmpOp::kEq || op == CmpOp::kNe || op == CmpOp::kIn || op == CmpOp::kIntersects) &&
      !(ast.operands.size() == 1 && ast.operands[0].kind == OperandAst::Kind::kField)) {
    auto n = std::make_unique<EvtTypeNode>();
    for (const auto& v : values) {
      if (auto t = EventTypeFromName(v)) n->types.set(static_cast<std::size_t>(*t));
      else unknown_evt_names_.insert(v);
    }
    if (op == CmpOp::kNe) n->types.flip();
    return n;
  }

  auto n = std::make_unique<CheckNode>();
  n->op = op;
  if (op == CmpOp::kExists) {
    *memo_key = MemoKey(field, ast.op, {});
    n->field = std::move(field);
    return n;
  }
  if (!ast.operands.empty() && ast.operands[0].kind == OperandAst::Kind::kField) {
    if (ast.operands.size() != 1) {
      Fail(scope, ast.operands[0].pos, "val(...) cannot be used inside a list");
      return nullptr;
    }
    if (!ResolveFieldRef(ast.operands[0].field, &n->rhs_field, &err)) {
      Fail(scope, ast.operands[0].field.pos, err, true);
      return nullptr;
    }
    if (op == CmpOp::kRegex || op == CmpOp::kGlob || op == CmpOp::kIGlob || op == CmpOp::kIContains) {
      Fail(scope, ast.pos, "operator '" + ast.op + "' cannot compare against val(...)");
      return nullptr;
    }
    n->rhs_is_field = true;
    *memo_key = MemoKey(field, ast.op, {"val(" + n->rhs_field.display + ")" + TransformerKey(n->rhs_field)});
    n->field = std::move(field);
    return n;
  }
  for (const auto& o : ast.operands) {
    if (o.kind == OperandAst::Kind::kField) {
      Fail(scope, o.pos, "val(...) cannot be used inside a list");
      return nullptr;
    }
  }
  if (!IsListOp(op) && values.size() != 1) {
    Fail(scope, ast.pos, "operator '" + ast.op + "' needs exactly one value");
    return nullptr;
  }

  const std::size_t value_pos = ast.operands.empty() ? ast.pos : ast.operands[0].pos;
  const FieldType type = field.type;
  const std::string fname = field.display;
  if (IsNumericType(type) || type == FieldType::kBool) {
    bool allowed = op == CmpOp::kEq || op == CmpOp::kNe || op == CmpOp::kIn || op == CmpOp::kIntersects ||
                   (type != FieldType::kBool &&
                    (op == CmpOp::kLt || op == CmpOp::kLe || op == CmpOp::kGt || op == CmpOp::kGe));
    if (!allowed) {
      Fail(scope, ast.pos, "operator '" + ast.op + "' cannot be used with " +
                               std::string(FieldTypeName(type)) + " field '" + fname + "'");
      return nullptr;
    }
    n->numeric = true;
    for (const auto& v : values) {
      Operand o;
      o.str = v;
      if (type == FieldType::kBool) {
        if (v == "true") o.num = 1;
        else if (v == "false") o.num = 0;
        else {
          Fail(scope, value_pos, "'" + v + "' is not true or false (field '" + fname + "' is BOOL)");
          return nullptr;
        }
      } else if (!ParseInt(v, &o.num)) {
        Fail(scope, value_pos, "'" + v + "' is not a number (field '" + fname + "' is " +
                                   std::string(FieldTypeName(type)) + ")");
        return nullptr;
      }
      o.is_num = true;
      n->operands.push_back(std::move(o));
    }
    for (const auto& o : n->operands) n->num_set.insert(o.num);
  } else if (type == FieldType::kIpAddr || type == FieldType::kIpNet) {
    if (!(op == CmpOp::kEq || op == CmpOp::kNe || op == CmpOp::kIn || op == CmpOp::kIntersects)) {
      Fail(scope, ast.pos, "operator '" + ast.op + "' cannot be used with address field '" + fname + "'");
      return nullptr;
    }
    n->ip = true;
    for (const auto& v : values) {
      Operand o;
      o.str = v;
      if (!ParseNet(v, &o)) {
        Fail(scope, value_pos, "'" + v + "' is not an IP address or CIDR network (field '" + fname + "')");
        return nullptr;
      }
      n->operands.push_back(std::move(o));
    }
  } else {
    // Strings (and evt.rawarg, whose values may be numbers).
    bool dynamic = field.id == FieldId::kEvtRawarg && field.transformers.empty();
    bool all_num = dynamic;
    for (const auto& v : values) {
      Operand o;
      o.str = v;
      if (dynamic) {
        o.is_num = ParseInt(v, &o.num);
        all_num &= o.is_num;
      }
      if (op == CmpOp::kIContains) o.str = Lowered(v);
      if (op == CmpOp::kBContains || op == CmpOp::kBStartsWith) {
        if (!ParseHexBytes(v, &o.str)) {
          Fail(scope, value_pos, "operator '" + ast.op + "' needs a hex byte string, got '" + v + "'");
          return nullptr;
        }
      }
      if (op == CmpOp::kPmatch && o.str.size() > 1 && o.str.back() == '/') o.str.pop_back();
      n->operands.push_back(std::move(o));
    }
    if (dynamic && all_num && !values.empty()) {
      n->numeric = true;
      for (const auto& o : n->operands) n->num_set.insert(o.num);
    }
    if (op == CmpOp::kRegex) {
      RE2::Options opts;
      opts.set_log_errors(false);
      n->regex = std::make_unique<RE2>(n->operands[0].str, opts);
      if (!n->regex->ok()) {
        Fail(scope, value_pos, "invalid regular expression '" + n->operands[0].str + "': " + n->regex->error());
        return nullptr;
      }
    }
    for (const auto& o : n->operands) {
      if (op == CmpOp::kPmatch) n->prefix_set.insert(o.str);
      else n->str_set.insert(o.str);
    }
    n->small_set = n->operands.size() <= 6;
    if (op == CmpOp::kIn || op == CmpOp::kIntersects || op == CmpOp::kPmatch) {
      n->len_mask = 0;
      for (const auto& o : n->operands) n->len_mask |= CheckNode::LenBit(o.str.size());
    }
  }
  *memo_key = MemoKey(field, ast.op, values);
  n->field = std::move(field);
  return n;
}

CondNodePtr RuleCompiler::CompileExceptions(const RuleDef& rule) {
  // not ((f1 c1 v1 and f2 c2 v2) or (...) ...)
  auto any = std::make_unique<OrNode>();
  for (const auto& ex : rule.exceptions) {
    scratch_text_ = SourceText{};
    scratch_text_.spans.push_back({0, ex.pos});
    Scope scope{&scratch_text_, ""};
    if (ex.fields.empty() && !ex.values.empty()) {
      Fail(scope, 0, "exception '" + ex.name + "' has values but no 'fields'");
      return nullptr;
    }
    std::vector<ConditionPtr> fields;
    // One located text per field, so a bad field is reported where it is written.
    std::vector<SourceText> field_texts(ex.fields.size());
    for (std::size_t i = 0; i < ex.fields.size(); ++i) {
      const std::string& f = ex.fields[i];
      field_texts[i].text = f;
      field_texts[i].spans.push_back({0, i < ex.field_pos.size() ? ex.field_pos[i] : ex.pos});
      auto r = ParseCondition(f + " exists");
      if (!r.ok() || r.ast->kind != ConditionAst::Kind::kCheck) {
        Fail(Scope{&field_texts[i], ""}, 0, "exception '" + ex.name + "': invalid field '" + f + "'");
        return nullptr;
      }
      fields.push_back(std::move(r.ast));
    }
    for (const auto& c : ex.comps) {
      CmpOp op;
      if (!ParseCmpOp(c, &op) || op == CmpOp::kExists) {
        Fail(scope, 0, "exception '" + ex.name + "': unknown comparison operator '" + c + "'");
        return nullptr;
      }
    }
    for (const auto& tuple : ex.values) {
      auto all = std::make_unique<AndNode>();
      for (std::size_t i = 0; i < tuple.size() && i < fields.size(); ++i) {
        ConditionAst check;
        check.kind = ConditionAst::Kind::kCheck;
        check.field = fields[i]->field;
        check.field.pos = 0;
        check.op = ex.comps[i];
        CmpOp op;
        ParseCmpOp(check.op, &op);
        check.list_operand = IsListOp(op);
        const ExceptionValue& v = tuple[i];
        if (v.is_list) {
          if (!check.list_operand) {
            Fail(scope, 0, "exception '" + ex.name + "': a list value needs an 'in', 'intersects' or 'pmatch' comp");
            return nullptr;
          }
          for (const auto& item : v.list) check.operands.push_back(OperandAst{OperandAst::Kind::kLiteral, item, false, {}, 0});
        } else {
          // For list comps a string names a list (Falco wraps it in parentheses).
          check.operands.push_back(OperandAst{OperandAst::Kind::kLiteral, v.str, !check.list_operand, {}, 0});
        }
        auto node = CompileCheck(check, Scope{&field_texts[i], ""});
        if (!node) {
          if (failure_) failure_->message = "exception '" + ex.name + "': " + failure_->message;
          return nullptr;
        }
        all->children.push_back(std::move(node));
      }
      if (!all->children.empty()) any->children.push_back(std::move(all));
    }
  }
  if (any->children.empty()) return nullptr;
  return std::make_unique<NotNode>(std::move(any));
}

bool RuleCompiler::CompileOutput(const RuleDef& rule, OutputTemplate* out) {
  // Folded YAML scalars (output: >) end with a newline; Falco's outputs never do.
  std::string s = rule.output;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  if (!append_output_.empty()) s += " " + append_output_;
  std::string literal;
  auto flush = [&] {
    if (literal.empty()) return;
    OutputTemplate::Segment seg;
    seg.literal = std::move(literal);
    out->segments.push_back(std::move(seg));
    literal.clear();
  };
  // Where byte `offset` of the output is written (the rule's line when not known).
  auto at = [&rule](std::size_t offset) {
    if (!rule.output_src.spans.empty() && offset < rule.output_src.text.size() &&
        rule.output.compare(0, rule.output_src.text.size(), rule.output_src.text) == 0) {
      return rule.output_src.Locate(offset);
    }
    return rule.pos;
  };
  std::size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '%' || i + 1 >= s.size()) {
      literal.push_back(s[i++]);
      continue;
    }
    FieldRefAst ast;
    std::size_t j = i + 1;
    if (s[j] == '(') {
      std::size_t close = s.find(')', j);
      if (close == std::string::npos) {
        literal.push_back(s[i++]);
        continue;
      }
      std::string inner = s.substr(j + 1, close - j - 1);
      auto r = ParseCondition(inner + " exists");
      if (!r.ok() || r.ast->kind != ConditionAst::Kind::kCheck) {
        const SourcePos p = at(i);
        diags_->push_back(Diagnostic{p.file, p.line, p.col, rule.name,
                                     "output: invalid field '%(" + inner + ")'", false});
        return false;
      }
      ast = r.ast->field;
      j = close + 1;
    } else {
      std::size_t e = j;
      while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_' || s[e] == '.')) ++e;
      while (e > j && s[e - 1] == '.') --e;  // "file=%fd.name." ends a sentence
      if (e == j || s.substr(j, e - j).find('.') == std::string::npos) {
        literal.push_back(s[i++]);
        continue;
      }
      ast.name = s.substr(j, e - j);
      if (e < s.size() && s[e] == '[') {
        std::size_t close = s.find(']', e);
        if (close != std::string::npos) {
          ast.has_arg = true;
          ast.arg = s.substr(e + 1, close - e - 1);
          e = close + 1;
        }
      }
      j = e;
    }
    FieldRef ref;
    std::string err;
    if (!ResolveFieldRef(ast, &ref, &err)) {
      const SourcePos p = at(i);
      diags_->push_back(Diagnostic{p.file, p.line, p.col, rule.name,
                                   "output: " + err + " in '" + s.substr(i, j - i) + "'", false});
      return false;
    }
    flush();
    OutputTemplate::Segment seg;
    seg.is_field = true;
    seg.field = std::move(ref);
    bool seen = false;
    for (std::size_t k : out->unique_fields) seen |= out->segments[k].field.display == seg.field.display &&
                                                       out->segments[k].field.transformers == seg.field.transformers;
    if (!seen) out->unique_fields.push_back(out->segments.size());
    out->segments.push_back(std::move(seg));
    i = j;
  }
  flush();
  return true;
}

std::unique_ptr<CompiledRule> RuleCompiler::Compile(const RuleDef& rule, bool* skipped) {
  *skipped = false;
  failure_.reset();
  current_rule_ = rule.name;
  auto report = [&]() -> std::unique_ptr<CompiledRule> {
    if (failure_ && failure_->unknown_field && rule.skip_if_unknown_filter) {
      *skipped = true;
      diags_->push_back(Diagnostic{failure_->pos.file, failure_->pos.line, failure_->pos.col, rule.name,
                                   "rule '" + rule.name + "' skipped (skip-if-unknown-filter): " + failure_->message,
                                   true});
      return nullptr;
    }
    if (failure_) {
      diags_->push_back(Diagnostic{failure_->pos.file, failure_->pos.line, failure_->pos.col, rule.name,
                                   "rule '" + rule.name + "': " + failure_->message, false});
    }
    return nullptr;
  };

  auto parsed = ParseCondition(rule.condition.text);
  if (!parsed.ok()) {
    Scope scope{&rule.condition, ""};
    Fail(scope, parsed.error_pos, parsed.error);
    return report();
  }
  Scope scope{&rule.condition, ""};
  macro_stack_.clear();
  CondNodePtr cond = CompileNode(*parsed.ast, scope, 0);
  if (!cond) return report();
  if (!rule.exceptions.empty()) {
    CondNodePtr ex = CompileExceptions(rule);
    if (failure_) return report();
    if (ex) {
      auto both = std::make_unique<AndNode>();
      both->children.push_back(std::move(cond));
      both->children.push_back(std::move(ex));
      cond = std::move(both);
    }
  }
  auto out = std::make_unique<CompiledRule>();
  if (!CompileOutput(rule, &out->output)) return nullptr;
  out->types = PossibleEventTypes(*cond);
  out->any_type = out->types.all();
  out->condition = std::move(cond);
  RuleInfo& info = out->info;
  info.name = rule.name;
  info.description = rule.desc;
  info.priority = rule.priority;
  info.tags = rule.tags;
  info.source = rule.source;
  info.enabled = rule.enabled;
  info.condition = rule.condition.text;
  info.file = rule.pos.file;
  info.line = rule.pos.line;
  if (!out->any_type) {
    for (std::size_t t = 0; t < kEventTypeCount; ++t)
      if (out->types.test(t)) info.event_types.emplace_back(EventTypeName(static_cast<EventType>(t)));
  }
  return out;
}

CondNodePtr RuleCompiler::CompileCondition(const std::string& text, std::string* error) {
  failure_.reset();
  macro_stack_.clear();
  scratch_text_ = SourceText{};
  scratch_text_.text = text;
  scratch_text_.spans.push_back({0, SourcePos{"<condition>", 1, 1}});
  auto parsed = ParseCondition(text);
  if (!parsed.ok()) {
    *error = parsed.error + " at offset " + std::to_string(parsed.error_pos);
    return nullptr;
  }
  Scope scope{&scratch_text_, ""};
  auto n = CompileNode(*parsed.ast, scope, 0);
  if (!n && failure_) *error = failure_->message + " at column " + std::to_string(failure_->pos.col);
  return n;
}

}  // namespace vigil
