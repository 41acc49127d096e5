// compiled_condition.h — the executable form of a rule condition: a tree of small nodes
// with pre-resolved field extractors, pre-parsed operands, RE2 built once and `in`/`pmatch`
// lists as hash sets. Engine-internal. Immutable after compilation: Eval() is const and
// thread safe; it is the hot path and never allocates (scratch lives in EvalContext).
#pragma once

#include <re2/re2.h>

#include <bitset>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "field_extract.h"
#include "vigil/event_types.h"

namespace vigil {

using EventTypeSet = std::bitset<kEventTypeCount>;

class CondNode {
 public:
  enum class Kind : uint8_t { kAnd, kOr, kNot, kConst, kEvtType, kCheck, kMemo };
  explicit CondNode(Kind k) : kind(k) {}
  virtual ~CondNode() = default;
  virtual bool Eval(EvalContext& ctx) const noexcept = 0;
  const Kind kind;
};
using CondNodePtr = std::shared_ptr<CondNode>;

class AndNode final : public CondNode {
 public:
  AndNode() : CondNode(Kind::kAnd) {}
  bool Eval(EvalContext& ctx) const noexcept override {
    for (const auto& c : children)
      if (!c->Eval(ctx)) return false;
    return true;
  }
  std::vector<CondNodePtr> children;
};

class OrNode final : public CondNode {
 public:
  OrNode() : CondNode(Kind::kOr) {}
  bool Eval(EvalContext& ctx) const noexcept override {
    for (const auto& c : children)
      if (c->Eval(ctx)) return true;
    return false;
  }
  std::vector<CondNodePtr> children;
};

class NotNode final : public CondNode {
 public:
  explicit NotNode(CondNodePtr c) : CondNode(Kind::kNot), child(std::move(c)) {}
  bool Eval(EvalContext& ctx) const noexcept override { return !child->Eval(ctx); }
  CondNodePtr child;
};

class ConstNode final : public CondNode {
 public:
  explicit ConstNode(bool v) : CondNode(Kind::kConst), value(v) {}
  bool Eval(EvalContext&) const noexcept override { return value; }
  bool value;
};

// evt.type = X / in (...) / != X: a bitset test.
class EvtTypeNode final : public CondNode {
 public:
  EvtTypeNode() : CondNode(Kind::kEvtType) {}
  bool Eval(EvalContext& ctx) const noexcept override {
    auto t = static_cast<std::size_t>(ctx.ev().type);
    return t < kEventTypeCount && types.test(t);
  }
  EventTypeSet types;  // already complemented for !=
};

enum class CmpOp : uint8_t {
  kEq, kNe, kLt, kLe, kGt, kGe, kContains, kIContains, kBContains, kStartsWith,
  kBStartsWith, kEndsWith, kGlob, kIGlob, kRegex, kIn, kIntersects, kPmatch, kExists
};
bool ParseCmpOp(std::string_view s, CmpOp* out);

// A pre-parsed comparison operand.
struct Operand {
  std::string str;          // literal text (lower-cased for icontains/iglob)
  bool is_num = false;
  int64_t num = 0;
  bool is_ip = false;
  IpAddr ip;
  uint8_t prefix_len = 0;   // CIDR prefix (ip.len*8 for a plain address)
};

class CheckNode final : public CondNode {
 public:
  CheckNode() : CondNode(Kind::kCheck) {}
  bool Eval(EvalContext& ctx) const noexcept override;

  // Members in the order Eval() reads them: the flags, the field's id and kind, the operands
  // (the first cache lines of the node), then the sets and the rarely used rest.
  CmpOp op = CmpOp::kEq;
  bool numeric = false;            // compare numbers
  bool ip = false;                 // compare addresses / networks
  bool small_set = false;          // few values: linear scan beats hashing
  bool rhs_is_field = false;       // val(field)
  int rhs_capture = -1;            // sequence steps: compare with captured value #n (%stepN.field)
  // `in`/`intersects`/`pmatch`: lengths of the operands (bit min(len, 63)), so that a value
  // (or a directory prefix) of a length no operand has is rejected without hashing it.
  uint64_t len_mask = ~uint64_t{0};
  static constexpr uint64_t LenBit(std::size_t len) noexcept { return uint64_t{1} << (len < 63 ? len : 63); }
  FieldRef field;
  std::vector<Operand> operands;   // 1 for binary ops, n for lists
  std::unordered_set<std::string_view> str_set;  // `in`/`intersects` (views into operands)
  std::unordered_set<int64_t> num_set;
  std::unordered_set<std::string_view> prefix_set;  // pmatch: normalised directory prefixes
  std::unique_ptr<RE2> regex;
  FieldRef rhs_field;              // val(field), or the captured field of rhs_capture

 private:
  bool MatchOne(const Value& v, EvalContext& ctx) const noexcept;
  bool MatchAgainst(const Value& v, const Value& rhs, EvalContext& ctx) const noexcept;
};

// Caches the result of a shared sub-tree (a macro body, or a check used by several rules)
// for the current event: each distinct macro/check is evaluated at most once per event.
class MemoNode final : public CondNode {
 public:
  MemoNode(std::shared_ptr<CondNode> b, uint32_t s) : CondNode(Kind::kMemo), body(std::move(b)), slot(s) {}
  bool Eval(EvalContext& ctx) const noexcept override {
    EvalMemo* m = ctx.memo();
    if (!m) return body->Eval(ctx);
    if (m->gen[slot] == m->current) return m->value[slot] != 0;
    bool r = body->Eval(ctx);
    m->gen[slot] = m->current;
    m->value[slot] = r ? 1 : 0;
    return r;
  }
  std::shared_ptr<CondNode> body;
  uint32_t slot;
};

// Replaces memo nodes whose slot is referenced only once by their body (a memo only pays
// off when a macro or check is shared). Cold path, after compiling every rule.
void InlineSingleUseMemos(const std::vector<CondNodePtr*>& roots, uint32_t slots);

// The node a memo stands for (memos unwrapped, any depth); other nodes as they are.
const CondNode& Unwrap(const CondNode& n);

// Types of events for which `node` can be true (Falco's evttype inference).
EventTypeSet PossibleEventTypes(const CondNode& node);

}  // namespace vigil
