// compiled_condition.cpp — evaluation of compiled condition nodes (see the header).
#include "compiled_condition.h"

#include <fnmatch.h>

#include <functional>

#include <cctype>
#include <cstring>

namespace vigil {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Case-insensitive search; `needle` is already lower-case.
bool IContains(std::string_view hay, std::string_view needle) {
  if (needle.empty()) return true;
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    std::size_t j = 0;
    while (j < needle.size() && Lower(hay[i + j]) == needle[j]) ++j;
    if (j == needle.size()) return true;
  }
  return false;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }
bool EndsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

bool InNet(const Value& addr, const Operand& net) {
  if (!net.is_ip || addr.str.size() != net.ip.len) return false;
  const uint8_t* bytes = addr.ip_bytes();
  unsigned bits = net.prefix_len;
  std::size_t full = bits / 8;
  if (std::memcmp(bytes, net.ip.bytes.data(), full) != 0) return false;
  unsigned rest = bits % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (bytes[full] & mask) == (net.ip.bytes[full] & mask);
}

}  // namespace

bool ParseCmpOp(std::string_view s, CmpOp* out) {
  static constexpr std::pair<std::string_view, CmpOp> kOps[] = {
      {"=", CmpOp::kEq}, {"==", CmpOp::kEq}, {"!=", CmpOp::kNe}, {"<", CmpOp::kLt},
      {"<=", CmpOp::kLe}, {">", CmpOp::kGt}, {">=", CmpOp::kGe},
      {"contains", CmpOp::kContains}, {"icontains", CmpOp::kIContains},
      {"bcontains", CmpOp::kBContains}, {"startswith", CmpOp::kStartsWith},
      {"bstartswith", CmpOp::kBStartsWith}, {"endswith", CmpOp::kEndsWith},
      {"glob", CmpOp::kGlob}, {"iglob", CmpOp::kIGlob}, {"regex", CmpOp::kRegex},
      {"in", CmpOp::kIn}, {"intersects", CmpOp::kIntersects}, {"pmatch", CmpOp::kPmatch},
      {"exists", CmpOp::kExists}};
  for (const auto& [name, op] : kOps) {
    if (name == s) {
      *out = op;
      return true;
    }
  }
  return false;
}

bool CheckNode::Eval(EvalContext& ctx) const noexcept {
  if (rhs_capture >= 0) {
    const CapturedValue* caps = ctx.captures();
    if (!caps) return true;  // prefilter pass: no partial match yet (never under `not`)
    const Value rhs = caps[rhs_capture].view();
    if (rhs.kind == Value::Kind::kNone) return false;
    Value vals[EvalContext::kMaxValues];
    int n = ExtractValues(field, ctx, vals);
    for (int i = 0; i < n; ++i)
      if (MatchAgainst(vals[i], rhs, ctx)) return true;
    return false;
  }
  if (!field.multi && !rhs_is_field) {
    Value v;
    if (ExtractValues(field, ctx, &v) == 0) return false;
    return op == CmpOp::kExists || MatchOne(v, ctx);
  }
  Value values[EvalContext::kMaxValues];
  int n = ExtractValues(field, ctx, values);
  if (op == CmpOp::kExists) return n > 0;
  if (rhs_is_field) {
    Value rhs[EvalContext::kMaxValues];
    int m = ExtractValues(rhs_field, ctx, rhs);
    if (m == 0) return false;
    for (int i = 0; i < n; ++i)
      if (MatchAgainst(values[i], rhs[0], ctx)) return true;
    return false;
  }
  for (int i = 0; i < n; ++i)
    if (MatchOne(values[i], ctx)) return true;
  return false;
}

bool CheckNode::MatchAgainst(const Value& v, const Value& rhs, EvalContext& ctx) const noexcept {
  if (v.kind == Value::Kind::kNum && rhs.kind == Value::Kind::kNum) {
    switch (op) {
      case CmpOp::kEq: case CmpOp::kIn: case CmpOp::kIntersects: return v.num == rhs.num;
      case CmpOp::kNe: return v.num != rhs.num;
      case CmpOp::kLt: return v.num < rhs.num;
      case CmpOp::kLe: return v.num <= rhs.num;
      case CmpOp::kGt: return v.num > rhs.num;
      case CmpOp::kGe: return v.num >= rhs.num;
      default: return false;
    }
  }
  std::string_view a = RenderValue(field, v, ctx);
  std::string_view b = RenderValue(rhs_field, rhs, ctx);
  switch (op) {
    case CmpOp::kEq: case CmpOp::kIn: case CmpOp::kIntersects: return a == b;
    case CmpOp::kNe: return a != b;
    case CmpOp::kLt: return a < b;
    case CmpOp::kLe: return a <= b;
    case CmpOp::kGt: return a > b;
    case CmpOp::kGe: return a >= b;
    case CmpOp::kContains: case CmpOp::kBContains: return a.find(b) != std::string_view::npos;
    case CmpOp::kStartsWith: case CmpOp::kBStartsWith: case CmpOp::kPmatch: return StartsWith(a, b);
    case CmpOp::kEndsWith: return EndsWith(a, b);
    default: return false;
  }
}

bool CheckNode::MatchOne(const Value& v, EvalContext& ctx) const noexcept {
  switch (v.kind) {
    case Value::Kind::kNone:
      return false;
    case Value::Kind::kNum:
    case Value::Kind::kBool: {
      if (!numeric) return false;
      if (op == CmpOp::kIn || op == CmpOp::kIntersects) return num_set.count(v.num) != 0;
      int64_t b = operands[0].num;
      switch (op) {
        case CmpOp::kEq: return v.num == b;
        case CmpOp::kNe: return v.num != b;
        case CmpOp::kLt: return v.num < b;
        case CmpOp::kLe: return v.num <= b;
        case CmpOp::kGt: return v.num > b;
        case CmpOp::kGe: return v.num >= b;
        default: return false;
      }
    }
    case Value::Kind::kIp: {
      if (!ip) return false;
      bool any = false;
      for (const auto& o : operands) {
        if (InNet(v, o)) {
          any = true;
          break;
        }
      }
      if (op == CmpOp::kNe) return !any;
      return any;
    }
    case Value::Kind::kStr:
      break;
  }
  std::string_view s = v.str;
  switch (op) {
    case CmpOp::kEq: return s == operands[0].str;
    case CmpOp::kNe: return s != operands[0].str;
    case CmpOp::kLt: return s < operands[0].str;
    case CmpOp::kLe: return s <= operands[0].str;
    case CmpOp::kGt: return s > operands[0].str;
    case CmpOp::kGe: return s >= operands[0].str;
    // These take several operands when the specialisation merged an `or` of them
    // (condition_specialize.h): true when any operand matches.
    case CmpOp::kContains:
    case CmpOp::kBContains:
      for (const auto& o : operands)
        if (s.find(o.str) != std::string_view::npos) return true;
      return false;
    case CmpOp::kIContains: return IContains(s, operands[0].str);
    case CmpOp::kStartsWith:
    case CmpOp::kBStartsWith:
      for (const auto& o : operands)
        if (StartsWith(s, o.str)) return true;
      return false;
    case CmpOp::kEndsWith:
      for (const auto& o : operands)
        if (EndsWith(s, o.str)) return true;
      return false;
    case CmpOp::kGlob:
    case CmpOp::kIGlob: {
      char* buf = ctx.Alloc(s.size() + 1);
      if (!buf) return false;
      std::memcpy(buf, s.data(), s.size());
      buf[s.size()] = 0;
      return fnmatch(operands[0].str.c_str(), buf, op == CmpOp::kIGlob ? FNM_CASEFOLD : 0) == 0;
    }
    case CmpOp::kRegex:
      return regex && RE2::FullMatch(re2::StringPiece(s.data(), s.size()), *regex);
    case CmpOp::kIn:
    case CmpOp::kIntersects:
      if (!(len_mask & LenBit(s.size()))) return false;
      if (small_set) {
        for (const auto& o : operands)
          if (o.str.size() == s.size() && std::memcmp(o.str.data(), s.data(), s.size()) == 0) return true;
        return false;
      }
      return str_set.count(s) != 0;
    case CmpOp::kPmatch: {
      // Any directory prefix of s (or s itself) in the set; only lengths some operand has
      // are looked up.
      if ((len_mask & LenBit(s.size())) && prefix_set.count(s)) return true;
      for (std::size_t i = s.size(); i > 0; --i) {
        if (s[i - 1] == '/') {
          std::string_view pre = s.substr(0, i - 1);
          if (pre.empty()) pre = std::string_view("/");
          if ((len_mask & LenBit(pre.size())) && prefix_set.count(pre)) return true;
        }
      }
      return false;
    }
    case CmpOp::kExists: return true;
  }
  return false;
}

const CondNode& Unwrap(const CondNode& n) {
  const CondNode* p = &n;
  while (p->kind == CondNode::Kind::kMemo) p = static_cast<const MemoNode*>(p)->body.get();
  return *p;
}

namespace {

void ForEachChild(CondNode& n, const std::function<void(CondNodePtr&)>& f) {
  switch (n.kind) {
    case CondNode::Kind::kAnd: for (auto& c : static_cast<AndNode&>(n).children) f(c); break;
    case CondNode::Kind::kOr: for (auto& c : static_cast<OrNode&>(n).children) f(c); break;
    case CondNode::Kind::kNot: f(static_cast<NotNode&>(n).child); break;
    case CondNode::Kind::kMemo: f(static_cast<MemoNode&>(n).body); break;
    default: break;
  }
}

void CountMemos(CondNode* n, std::vector<uint32_t>& uses, std::unordered_set<CondNode*>& seen) {
  if (!seen.insert(n).second) return;
  ForEachChild(*n, [&](CondNodePtr& c) {
    if (c->kind == CondNode::Kind::kMemo) {
      auto slot = static_cast<MemoNode&>(*c).slot;
      if (slot < uses.size()) ++uses[slot];
    }
    CountMemos(c.get(), uses, seen);
  });
}

void Inline(CondNodePtr& p, const std::vector<uint32_t>& uses, std::unordered_set<CondNode*>& seen) {
  while (p->kind == CondNode::Kind::kMemo) {
    auto& m = static_cast<MemoNode&>(*p);
    if (m.slot >= uses.size() || uses[m.slot] > 1) break;
    CondNodePtr body = m.body;
    p = body;
  }
  if (!seen.insert(p.get()).second) return;
  ForEachChild(*p, [&](CondNodePtr& c) { Inline(c, uses, seen); });
}

}  // namespace

void InlineSingleUseMemos(const std::vector<CondNodePtr*>& roots, uint32_t slots) {
  std::vector<uint32_t> uses(slots, 0);
  std::unordered_set<CondNode*> seen;
  for (CondNodePtr* r : roots) {
    if ((*r)->kind == CondNode::Kind::kMemo) {
      auto slot = static_cast<MemoNode&>(**r).slot;
      if (slot < uses.size()) ++uses[slot];
    }
    CountMemos(r->get(), uses, seen);
  }
  seen.clear();
  for (CondNodePtr* r : roots) Inline(*r, uses, seen);
}

EventTypeSet PossibleEventTypes(const CondNode& node_in) {
  const CondNode& node = Unwrap(node_in);
  EventTypeSet all;
  all.set();
  switch (node.kind) {
    case CondNode::Kind::kEvtType:
      return static_cast<const EvtTypeNode&>(node).types;
    case CondNode::Kind::kAnd: {
      EventTypeSet s = all;
      for (const auto& c : static_cast<const AndNode&>(node).children) s &= PossibleEventTypes(*c);
      return s;
    }
    case CondNode::Kind::kOr: {
      EventTypeSet s;
      for (const auto& c : static_cast<const OrNode&>(node).children) s |= PossibleEventTypes(*c);
      return s;
    }
    case CondNode::Kind::kNot: {
      const CondNode& child = Unwrap(*static_cast<const NotNode&>(node).child);
      if (child.kind == CondNode::Kind::kEvtType) return ~static_cast<const EvtTypeNode&>(child).types;
      if (child.kind == CondNode::Kind::kConst) return static_cast<const ConstNode&>(child).value ? EventTypeSet{} : all;
      return all;
    }
    case CondNode::Kind::kConst:
      return static_cast<const ConstNode&>(node).value ? all : EventTypeSet{};
    case CondNode::Kind::kCheck:
    case CondNode::Kind::kMemo:
      return all;
  }
  return all;
}

}  // namespace vigil
