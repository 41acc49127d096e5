// condition_specialize.cpp — per-event-type specialisation and cost ordering (see header).
#include "condition_specialize.h"

#include <algorithm>
#include <string_view>

namespace vigil {
namespace {

const CondNodePtr& Const(bool v) {
  static const CondNodePtr kTrue = std::make_shared<ConstNode>(true);
  static const CondNodePtr kFalse = std::make_shared<ConstNode>(false);
  return v ? kTrue : kFalse;
}

bool StartsWith(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Cost class of reading a field: 1 = a number or flag of the event, 2 = a string of the
// event, process or fd (cached per event), 3 = rendered, joined, looked up or walked.
unsigned FieldCost(const FieldRef& f) {
  unsigned c = 2;
  std::string_view n = f.display;
  if (n == "evt.rawarg" || StartsWith(n, "evt.rawarg.") || StartsWith(n, "evt.rawarg[") || n == "evt.rawres" ||
      n == "evt.failed" || StartsWith(n, "evt.is_") || n == "proc.pid" || n == "proc.ppid" ||
      n == "proc.vpid" || n == "proc.sid" || n == "user.uid" || n == "user.loginuid" || n == "group.gid" ||
      n == "fd.typechar" || n == "fd.num" || n == "fd.lport" || n == "fd.rport" || n == "fd.sport" ||
      n == "fd.cport" || n == "fd.l4proto" || n == "fd.sockfamily" || n == "proc.tty" ||
      n == "proc.is_sid_leader" || n == "proc.is_vpgid_leader" || n == "proc.is_exe_writable" ||
      n == "proc.is_exe_from_memfd" || n == "proc.is_exe_upper_layer" ||
      n == "proc.args_truncated" || n == "proc.env_truncated")
    c = 1;
  else if (StartsWith(n, "proc.a") || StartsWith(n, "proc.cmdline") || StartsWith(n, "proc.pcmdline") ||
           StartsWith(n, "proc.args") || StartsWith(n, "proc.exeline") || StartsWith(n, "proc.env") ||
           StartsWith(n, "evt.arg") || StartsWith(n, "evt.args") || StartsWith(n, "evt.res") ||
           StartsWith(n, "user.") || StartsWith(n, "group.") || StartsWith(n, "container.") ||
           StartsWith(n, "k8s.") || StartsWith(n, "evt.time") || StartsWith(n, "evt.datetime") ||
           n.find(".name", 2) != std::string_view::npos || StartsWith(n, "proc.exe_ino"))
    c = 3;
  // fd.name etc. stay 2; "fd.cip.name"-style lookups are caught by ".name" above, but so is
  // fd.name itself: put it back.
  if (n == "fd.name" || n == "fd.nameraw" || n == "proc.name" || n == "proc.sname" || n == "proc.vpgid.name")
    c = 2;
  if (!f.transformers.empty()) c = 3;
  return c;
}

unsigned CheckCost(const CheckNode& n) {
  unsigned c = FieldCost(n.field);
  switch (n.op) {
    case CmpOp::kRegex: case CmpOp::kGlob: case CmpOp::kIGlob: case CmpOp::kIContains: c = 3; break;
    default: break;
  }
  if (n.rhs_is_field || n.rhs_capture >= 0) c = 3;
  return c;
}

bool SameField(const FieldRef& a, const FieldRef& b) {
  return a.id == b.id && a.type == b.type && a.index == b.index && a.key == b.key && a.arg == b.arg &&
         a.arg_by_index == b.arg_by_index && a.transformers == b.transformers && a.display == b.display &&
         a.multi == b.multi;
}

// A string test an `or` may merge with others of its kind: `f startswith a or f startswith b`
// is `f startswith (a or b)`, one field extraction and one node instead of two.
// String equality and membership merge into one `in`: `f = a or f in (b, c)` is
// `f in (a, b, c)`.
bool Mergeable(const CondNode& n) {
  if (n.kind != CondNode::Kind::kCheck) return false;
  const auto& c = static_cast<const CheckNode&>(n);
  switch (c.op) {
    case CmpOp::kStartsWith: case CmpOp::kBStartsWith: case CmpOp::kEndsWith:
    case CmpOp::kContains: case CmpOp::kBContains: case CmpOp::kEq: case CmpOp::kIn:
      break;
    default:
      return false;
  }
  return !c.numeric && !c.ip && !c.rhs_is_field && c.rhs_capture < 0 && !c.operands.empty() && !c.regex;
}

CmpOp MergedOp(CmpOp op) { return op == CmpOp::kEq ? CmpOp::kIn : op; }

// The hash set and length mask of a merged `in` (as the rule compiler builds them).
void IndexMembership(CheckNode* n) {
  n->str_set.clear();
  n->len_mask = 0;
  for (const auto& o : n->operands) {
    n->str_set.insert(o.str);
    n->len_mask |= CheckNode::LenBit(o.str.size());
  }
  n->small_set = n->operands.size() <= 6;
}

// Merges the mergeable checks of an `or`'s operands that test the same field with the same
// operator into one check with all their operands (at the place of the first). The checks
// themselves may be shared with other trees: the merged one is a new node.
void MergeOrChecks(std::vector<CondNodePtr>* kids) {
  std::vector<CondNodePtr> out;
  std::vector<bool> used(kids->size(), false);
  for (std::size_t i = 0; i < kids->size(); ++i) {
    if (used[i]) continue;
    const CondNodePtr& k = (*kids)[i];
    if (!Mergeable(*k)) {
      out.push_back(k);
      continue;
    }
    const auto& first = static_cast<const CheckNode&>(*k);
    std::shared_ptr<CheckNode> merged;
    for (std::size_t j = i + 1; j < kids->size(); ++j) {
      if (used[j] || !Mergeable(*(*kids)[j])) continue;
      const auto& other = static_cast<const CheckNode&>(*(*kids)[j]);
      if (MergedOp(other.op) != MergedOp(first.op) || !SameField(other.field, first.field)) continue;
      if (!merged) {
        merged = std::make_shared<CheckNode>();
        merged->field = first.field;
        merged->op = MergedOp(first.op);
        merged->operands = first.operands;
      }
      merged->operands.insert(merged->operands.end(), other.operands.begin(), other.operands.end());
      used[j] = true;
    }
    if (merged && merged->op == CmpOp::kIn) IndexMembership(merged.get());  // views into its operands
    out.push_back(merged ? CondNodePtr(merged) : k);
  }
  *kids = std::move(out);
}

}  // namespace

bool IsConst(const CondNode& node, bool value) {
  return node.kind == CondNode::Kind::kConst && static_cast<const ConstNode&>(node).value == value;
}

unsigned EstimatedCost(const CondNode& node) {
  switch (node.kind) {
    case CondNode::Kind::kConst: return 0;
    case CondNode::Kind::kEvtType: return 0;
    case CondNode::Kind::kCheck: return CheckCost(static_cast<const CheckNode&>(node));
    case CondNode::Kind::kMemo: return EstimatedCost(*static_cast<const MemoNode&>(node).body);
    case CondNode::Kind::kNot: return EstimatedCost(*static_cast<const NotNode&>(node).child);
    case CondNode::Kind::kAnd: {
      // Usually decided by its first (cheapest) operand.
      const auto& kids = static_cast<const AndNode&>(node).children;
      return kids.empty() ? 0 : EstimatedCost(*kids.front());
    }
    case CondNode::Kind::kOr: {
      // Usually false: every operand runs.
      unsigned c = 0;
      for (const auto& k : static_cast<const OrNode&>(node).children) c = std::max(c, EstimatedCost(*k));
      return c;
    }
  }
  return 3;
}

bool TypeSpecializer::Typed(const CondNode& node) {
  switch (node.kind) {
    case CondNode::Kind::kEvtType: return true;
    case CondNode::Kind::kConst:
    case CondNode::Kind::kCheck: return false;
    default: break;
  }
  auto it = shared_->typed.find(&node);
  if (it != shared_->typed.end()) return it->second;
  bool typed = false;
  switch (node.kind) {
    case CondNode::Kind::kNot: typed = Typed(*static_cast<const NotNode&>(node).child); break;
    case CondNode::Kind::kMemo: typed = Typed(*static_cast<const MemoNode&>(node).body); break;
    case CondNode::Kind::kAnd:
      for (const auto& c : static_cast<const AndNode&>(node).children) typed = typed || Typed(*c);
      break;
    case CondNode::Kind::kOr:
      for (const auto& c : static_cast<const OrNode&>(node).children) typed = typed || Typed(*c);
      break;
    default: break;
  }
  shared_->typed.emplace(&node, typed);
  return typed;
}

CondNodePtr TypeSpecializer::Specialize(const CondNodePtr& node) {
  if (node->kind == CondNode::Kind::kCheck || node->kind == CondNode::Kind::kConst) return node;
  if (Typed(*node)) return SpecializeNode(node);
  auto it = shared_->untyped.find(node.get());
  if (it != shared_->untyped.end()) return it->second;
  CondNodePtr out = SpecializeNode(node);
  shared_->untyped.emplace(node.get(), out);
  return out;
}

CondNodePtr TypeSpecializer::SpecializeNode(const CondNodePtr& node) {
  switch (node->kind) {
    case CondNode::Kind::kConst:
    case CondNode::Kind::kCheck:
      return node;
    case CondNode::Kind::kEvtType: {
      const auto& n = static_cast<const EvtTypeNode&>(*node);
      return Const(type_ < kEventTypeCount && n.types.test(type_));
    }
    case CondNode::Kind::kNot: {
      const auto& n = static_cast<const NotNode&>(*node);
      CondNodePtr c = Specialize(n.child);
      if (c->kind == CondNode::Kind::kConst) return Const(!static_cast<const ConstNode&>(*c).value);
      if (c == n.child) return node;
      return std::make_shared<NotNode>(std::move(c));
    }
    case CondNode::Kind::kMemo: {
      const auto& n = static_cast<const MemoNode&>(*node);
      auto it = memos_.find(n.body.get());
      if (it != memos_.end()) return it->second;
      CondNodePtr b = Specialize(n.body);
      CondNodePtr out;
      if (b->kind == CondNode::Kind::kConst || b->kind == CondNode::Kind::kEvtType) out = b;
      else if (b == n.body) out = node;
      else out = std::make_shared<MemoNode>(std::move(b), n.slot);
      memos_.emplace(n.body.get(), out);
      return out;
    }
    case CondNode::Kind::kAnd:
    case CondNode::Kind::kOr: {
      const bool is_and = node->kind == CondNode::Kind::kAnd;
      const auto& kids = is_and ? static_cast<const AndNode&>(*node).children
                                : static_cast<const OrNode&>(*node).children;
      // and: a false operand decides, true ones drop out; or: the reverse.
      std::vector<CondNodePtr> out;
      for (const auto& k : kids) {
        CondNodePtr s = Specialize(k);
        if (IsConst(*s, !is_and)) return Const(!is_and);
        if (IsConst(*s, is_and)) continue;
        if (s->kind == node->kind) {  // (a and (b and c)) -> (a and b and c)
          const auto& inner = is_and ? static_cast<const AndNode&>(*s).children
                                     : static_cast<const OrNode&>(*s).children;
          out.insert(out.end(), inner.begin(), inner.end());
        } else {
          out.push_back(std::move(s));
        }
      }
      if (!is_and) MergeOrChecks(&out);
      if (out.empty()) return Const(is_and);
      if (out.size() == 1) return out.front();
      // Cheapest first; equal costs keep the author's order.
      std::vector<std::pair<unsigned, CondNodePtr>> costed;
      costed.reserve(out.size());
      for (auto& c : out) costed.emplace_back(EstimatedCost(*c), std::move(c));
      std::stable_sort(costed.begin(), costed.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = std::move(costed[i].second);
      if (is_and) {
        auto n = std::make_shared<AndNode>();
        n->children = std::move(out);
        return n;
      }
      auto n = std::make_shared<OrNode>();
      n->children = std::move(out);
      return n;
    }
  }
  return node;
}

}  // namespace vigil
