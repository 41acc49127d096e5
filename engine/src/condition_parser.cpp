// condition_parser.cpp — recursive-descent parser for Falco conditions (see the header).
#include "vigil/condition_parser.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace vigil {
namespace {

constexpr std::array<std::string_view, 13> kWordBinaryOps = {
    "contains", "icontains", "bcontains", "startswith", "bstartswith", "endswith",
    "glob", "iglob", "regex", "in", "intersects", "pmatch", "exists"};
constexpr std::array<std::string_view, 5> kTransformers = {"tolower", "toupper", "b64",
                                                           "basename", "len"};

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '\b'; }
bool IsBareChar(char c) {
  return !IsBlank(c) && c != '(' && c != ')' && c != ',' && c != '=' && c != '"' && c != '\'';
}

class Parser {
 public:
  Parser(std::string_view text, int max_depth) : s_(text), max_depth_(max_depth) {}

  ConditionParseResult Run() {
    ConditionParseResult r;
    auto ast = ParseOr(0);
    if (ast && (SkipBlanks(), pos_ != s_.size())) {
      if (s_[pos_] == ')') Fail(pos_, "unbalanced parenthesis: unexpected ')'");
      else Fail(pos_, "unexpected '" + TokenAt() + "' after a complete expression");
      ast.reset();
    }
    if (!ast) {
      r.error = error_.empty() ? "syntax error" : error_;
      r.error_pos = error_pos_;
      return r;
    }
    r.ast = std::move(ast);
    return r;
  }

 private:
  std::string_view Peek(std::size_t n) const { return s_.substr(pos_, n); }
  // The whole token at pos_, for messages: a parenthesised group up to its matching ')', a
  // quoted string up to its closing quote, else a run of non-blank, non-separator characters.
  std::string TokenAt() const {
    if (pos_ >= s_.size()) return "end of condition";
    const char c = s_[pos_];
    std::size_t e = pos_ + 1;
    if (c == '(') {
      for (int depth = 1; e < s_.size() && depth > 0; ++e) {
        if (s_[e] == '(') ++depth;
        if (s_[e] == ')') --depth;
      }
    } else if (c == '"' || c == '\'') {
      while (e < s_.size() && s_[e] != c) e += s_[e] == '\\' ? 2 : 1;
      e = std::min(e + 1, s_.size());
    } else if (c != ')' && c != ',') {
      while (e < s_.size() && !IsBlank(s_[e]) && s_[e] != '(' && s_[e] != ')' && s_[e] != ',') ++e;
    }
    constexpr std::size_t kMax = 200;  // keep one message on one screen line
    std::string_view tok = s_.substr(pos_, e - pos_);
    return tok.size() > kMax ? std::string(tok.substr(0, kMax)) + "..." : std::string(tok);
  }
  void SkipBlanks() {
    while (pos_ < s_.size() && IsBlank(s_[pos_])) ++pos_;
  }
  bool Fail(std::size_t at, std::string msg) {
    if (error_.empty()) {
      error_ = std::move(msg);
      error_pos_ = at;
    }
    return false;
  }
  // Reads a keyword-like word at pos_ without consuming it.
  std::string_view WordAt(std::size_t at) const {
    std::size_t e = at;
    while (e < s_.size() && IsIdentChar(s_[e])) ++e;
    return s_.substr(at, e - at);
  }
  bool AcceptKeyword(std::string_view kw) {
    SkipBlanks();
    if (s_.substr(pos_, kw.size()) != kw) return false;
    std::size_t e = pos_ + kw.size();
    if (e < s_.size() && (IsIdentChar(s_[e]) || s_[e] == '.')) return false;
    pos_ = e;
    return true;
  }

  ConditionPtr Make(ConditionAst::Kind k, std::size_t at) {
    auto n = std::make_unique<ConditionAst>();
    n->kind = k;
    n->pos = at;
    return n;
  }

  ConditionPtr ParseOr(int depth) {
    if (depth > max_depth_) {
      Fail(pos_, "condition nested too deeply (limit " + std::to_string(max_depth_) + ")");
      return nullptr;
    }
    SkipBlanks();
    std::size_t at = pos_;
    auto first = ParseAnd(depth);
    if (!first) return nullptr;
    if (!AcceptKeyword("or")) return first;
    auto node = Make(ConditionAst::Kind::kOr, at);
    node->children.push_back(std::move(first));
    do {
      auto next = ParseAnd(depth);
      if (!next) return nullptr;
      node->children.push_back(std::move(next));
    } while (AcceptKeyword("or"));
    return node;
  }

  ConditionPtr ParseAnd(int depth) {
    SkipBlanks();
    std::size_t at = pos_;
    auto first = ParseUnary(depth);
    if (!first) return nullptr;
    if (!AcceptKeyword("and")) return first;
    auto node = Make(ConditionAst::Kind::kAnd, at);
    node->children.push_back(std::move(first));
    do {
      auto next = ParseUnary(depth);
      if (!next) return nullptr;
      node->children.push_back(std::move(next));
    } while (AcceptKeyword("and"));
    return node;
  }

  ConditionPtr ParseUnary(int depth) {
    if (depth > max_depth_) {
      Fail(pos_, "condition nested too deeply (limit " + std::to_string(max_depth_) + ")");
      return nullptr;
    }
    SkipBlanks();
    std::size_t at = pos_;
    if (AcceptKeyword("not")) {
      auto child = ParseUnary(depth + 1);
      if (!child) return nullptr;
      auto n = Make(ConditionAst::Kind::kNot, at);
      n->children.push_back(std::move(child));
      return n;
    }
    return ParsePrimary(depth);
  }

  ConditionPtr ParsePrimary(int depth) {
    SkipBlanks();
    std::size_t at = pos_;
    if (pos_ >= s_.size()) {
      Fail(pos_, "unexpected end of condition: expected a field, a macro, 'not' or '('");
      return nullptr;
    }
    if (s_[pos_] == '(') {
      ++pos_;
      auto inner = ParseOr(depth + 1);
      if (!inner) return nullptr;
      SkipBlanks();
      if (pos_ >= s_.size() || s_[pos_] != ')') {
        Fail(at, "unbalanced parenthesis: '(' is never closed");
        return nullptr;
      }
      ++pos_;
      return inner;
    }
    if (!IsIdentStart(s_[pos_])) {
      if (s_[pos_] == ')') Fail(pos_, "unbalanced parenthesis: unexpected ')'");
      else Fail(pos_, "expected a field, a macro, 'not' or '(' but found '" + TokenAt() + "'");
      return nullptr;
    }
    // Identifier: macro (no dot), transformer call, or field.
    std::string_view word = WordAt(pos_);
    std::size_t after = pos_ + word.size();
    bool dotted = after < s_.size() && s_[after] == '.';
    bool is_transformer = false;
    for (auto t : kTransformers) is_transformer |= (word == t);
    if (!dotted && is_transformer) {
      std::size_t p = after;
      while (p < s_.size() && IsBlank(s_[p])) ++p;
      if (p < s_.size() && s_[p] == '(') return ParseCheck(at);
    }
    if (!dotted) {
      for (auto kw : {"and", "or"}) {
        if (word == kw) {
          Fail(pos_, std::string("unexpected '") + kw + "': expected an expression");
          return nullptr;
        }
      }
      pos_ = after;
      auto n = Make(ConditionAst::Kind::kMacro, at);
      n->macro = std::string(word);
      return n;
    }
    return ParseCheck(at);
  }

  bool ParseField(FieldRefAst* f, int depth) {
    if (depth > 16) return Fail(pos_, "transformers nested too deeply");
    SkipBlanks();
    std::size_t at = pos_;
    if (pos_ >= s_.size() || !IsIdentStart(s_[pos_]))
      return Fail(pos_, "expected a field name");
    std::string_view word = WordAt(pos_);
    std::size_t after = pos_ + word.size();
    if (after >= s_.size() || s_[after] != '.') {
      bool is_transformer = false;
      for (auto t : kTransformers) is_transformer |= (word == t);
      std::size_t p = after;
      while (p < s_.size() && IsBlank(s_[p])) ++p;
      if (is_transformer && p < s_.size() && s_[p] == '(') {
        pos_ = p + 1;
        f->transformers.emplace_back(word);
        if (!ParseField(f, depth + 1)) return false;
        SkipBlanks();
        if (pos_ >= s_.size() || s_[pos_] != ')')
          return Fail(at, "unbalanced parenthesis in transformer '" + std::string(word) + "('");
        ++pos_;
        return true;
      }
      return Fail(at, "expected a field name (like proc.name) but found '" + std::string(word) + "'");
    }
    // Dotted name: segments of identifier chars separated by dots.
    std::size_t e = pos_;
    while (e < s_.size() && (IsIdentChar(s_[e]) || s_[e] == '.')) ++e;
    f->name = std::string(s_.substr(pos_, e - pos_));
    f->pos = at;
    if (f->name.back() == '.') return Fail(at, "malformed field name '" + f->name + "'");
    pos_ = e;
    if (pos_ < s_.size() && s_[pos_] == '[') {
      std::size_t close = s_.find(']', pos_ + 1);
      if (close == std::string_view::npos)
        return Fail(pos_, "unterminated field argument '[' in '" + f->name + "'");
      f->has_arg = true;
      f->arg = std::string(s_.substr(pos_ + 1, close - pos_ - 1));
      // Quoted arguments are accepted: [/etc] or ["/etc"].
      if (f->arg.size() >= 2 && (f->arg.front() == '"' || f->arg.front() == '\'') &&
          f->arg.back() == f->arg.front())
        f->arg = f->arg.substr(1, f->arg.size() - 2);
      pos_ = close + 1;
    }
    return true;
  }

  bool ParseQuoted(OperandAst* v) {
    char q = s_[pos_];
    std::size_t at = pos_;
    ++pos_;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != q) {
      char c = s_[pos_];
      if (c == '\\' && pos_ + 1 < s_.size()) {
        char n = s_[pos_ + 1];
        switch (n) {
          case 'n': out.push_back('\n'); break;
          case 't': out.push_back('\t'); break;
          case 'r': out.push_back('\r'); break;
          case '\\': out.push_back('\\'); break;
          case '"': out.push_back('"'); break;
          case '\'': out.push_back('\''); break;
          default: out.push_back('\\'); out.push_back(n); break;
        }
        pos_ += 2;
        continue;
      }
      out.push_back(c);
      ++pos_;
    }
    if (pos_ >= s_.size()) return Fail(at, "unterminated quoted string");
    ++pos_;
    v->kind = OperandAst::Kind::kLiteral;
    v->text = std::move(out);
    v->quoted = true;
    v->pos = at;
    return true;
  }

  bool ParseValue(OperandAst* v, bool in_list) {
    SkipBlanks();
    if (pos_ >= s_.size()) return Fail(pos_, "unexpected end of condition: expected a value");
    char c = s_[pos_];
    if (c == '"' || c == '\'') return ParseQuoted(v);
    // val(field)
    if (WordAt(pos_) == "val") {
      std::size_t p = pos_ + 3;
      while (p < s_.size() && IsBlank(s_[p])) ++p;
      if (p < s_.size() && s_[p] == '(') {
        std::size_t at = pos_;
        pos_ = p + 1;
        v->kind = OperandAst::Kind::kField;
        v->pos = at;
        if (!ParseField(&v->field, 0)) return false;
        SkipBlanks();
        if (pos_ >= s_.size() || s_[pos_] != ')') return Fail(at, "unbalanced parenthesis in val(...)");
        ++pos_;
        return true;
      }
    }
    std::size_t at = pos_;
    // Bare string; Falco's bare strings stop at blanks ( ) , = and quotes. Inside a list a
    // bare string may contain '=' is not allowed either; brackets are fine (runc:[0:PARENT]).
    while (pos_ < s_.size() && IsBareChar(s_[pos_])) ++pos_;
    if (pos_ == at) {
      if (c == ')' && !in_list) return Fail(pos_, "expected a value before ')'");
      return Fail(pos_, "expected a value but found '" + TokenAt() + "'");
    }
    v->kind = OperandAst::Kind::kLiteral;
    v->text = std::string(s_.substr(at, pos_ - at));
    v->quoted = false;
    v->pos = at;
    return true;
  }

  std::string ParseOperator() {
    SkipBlanks();
    if (pos_ >= s_.size()) return {};
    auto two = s_.substr(pos_, 2);
    for (std::string_view op : {"==", "!=", "<=", ">="}) {
      if (two == op) {
        pos_ += 2;
        return std::string(op);
      }
    }
    char c = s_[pos_];
    if (c == '=' || c == '<' || c == '>') {
      ++pos_;
      return std::string(1, c);
    }
    std::string_view w = WordAt(pos_);
    for (auto op : kWordBinaryOps) {
      if (w == op) {
        pos_ += w.size();
        return std::string(op);
      }
    }
    return {};
  }

  ConditionPtr ParseCheck(std::size_t at) {
    auto n = Make(ConditionAst::Kind::kCheck, at);
    if (!ParseField(&n->field, 0)) return nullptr;
    std::size_t op_at = (SkipBlanks(), pos_);
    n->op = ParseOperator();
    if (n->op.empty()) {
      if (pos_ >= s_.size()) Fail(op_at, "missing operator after field '" + n->field.name + "'");
      else Fail(op_at, "unknown operator '" + std::string(WordAt(pos_).empty() ? Peek(2) : WordAt(pos_)) +
                           "' after field '" + n->field.name + "'");
      return nullptr;
    }
    if (n->op == "exists") return n;
    if (n->op == "in" || n->op == "intersects" || n->op == "pmatch") {
      n->list_operand = true;
      SkipBlanks();
      if (pos_ < s_.size() && s_[pos_] == '(') {
        std::size_t open = pos_;
        ++pos_;
        SkipBlanks();
        if (pos_ < s_.size() && s_[pos_] == ')') {
          ++pos_;
          return n;  // empty list
        }
        while (true) {
          OperandAst v;
          if (!ParseValue(&v, true)) return nullptr;
          n->operands.push_back(std::move(v));
          SkipBlanks();
          if (pos_ < s_.size() && s_[pos_] == ',') {
            ++pos_;
            continue;
          }
          if (pos_ < s_.size() && s_[pos_] == ')') {
            ++pos_;
            break;
          }
          Fail(pos_ < s_.size() ? pos_ : open,
               pos_ < s_.size() ? "expected ',' or ')' in list but found '" + TokenAt() + "'"
                                : "unbalanced parenthesis: list '(' is never closed");
          return nullptr;
        }
        return n;
      }
      // A bare list name.
      OperandAst v;
      if (!ParseValue(&v, true)) return nullptr;
      n->operands.push_back(std::move(v));
      return n;
    }
    OperandAst v;
    if (!ParseValue(&v, false)) return nullptr;
    n->operands.push_back(std::move(v));
    return n;
  }

  std::string_view s_;
  int max_depth_;
  std::size_t pos_ = 0;
  std::string error_;
  std::size_t error_pos_ = 0;
};

void FieldToString(const FieldRefAst& f, std::string* out) {
  for (const auto& t : f.transformers) *out += t + "(";
  *out += f.name;
  if (f.has_arg) {
    // The parser strips one pair of matching quotes from an argument: an argument that itself
    // looks quoted gets one more pair, so that it reads back unchanged (found by fuzzing).
    const bool looks_quoted = f.arg.size() >= 2 && (f.arg.front() == '"' || f.arg.front() == '\'') &&
                              f.arg.back() == f.arg.front();
    *out += looks_quoted ? "['" + f.arg + "']" : "[" + f.arg + "]";
  }
  for (std::size_t i = 0; i < f.transformers.size(); ++i) *out += ")";
}

void OperandToString(const OperandAst& v, std::string* out) {
  if (v.kind == OperandAst::Kind::kField) {
    *out += "val(";
    FieldToString(v.field, out);
    *out += ")";
    return;
  }
  if (v.quoted) {
    *out += '"';
    for (char c : v.text) {
      if (c == '"' || c == '\\') *out += '\\';
      *out += c;
    }
    *out += '"';
  } else {
    *out += v.text;
  }
}

void ToStringRec(const ConditionAst& a, std::string* out) {
  switch (a.kind) {
    case ConditionAst::Kind::kAnd:
    case ConditionAst::Kind::kOr: {
      *out += "(";
      for (std::size_t i = 0; i < a.children.size(); ++i) {
        if (i) *out += a.kind == ConditionAst::Kind::kAnd ? " and " : " or ";
        ToStringRec(*a.children[i], out);
      }
      *out += ")";
      break;
    }
    case ConditionAst::Kind::kNot:
      *out += "not ";
      ToStringRec(*a.children[0], out);
      break;
    case ConditionAst::Kind::kMacro:
      *out += a.macro;
      break;
    case ConditionAst::Kind::kCheck:
      FieldToString(a.field, out);
      *out += " " + a.op;
      if (a.op == "exists") break;
      *out += " ";
      if (a.list_operand) {
        *out += "(";
        for (std::size_t i = 0; i < a.operands.size(); ++i) {
          if (i) *out += ", ";
          OperandToString(a.operands[i], out);
        }
        *out += ")";
      } else if (!a.operands.empty()) {
        OperandToString(a.operands[0], out);
      }
      break;
  }
}

}  // namespace

ConditionParseResult ParseCondition(std::string_view text, int max_depth) {
  return Parser(text, max_depth).Run();
}

std::string ConditionToString(const ConditionAst& ast) {
  std::string out;
  ToStringRec(ast, &out);
  return out;
}

}  // namespace vigil
