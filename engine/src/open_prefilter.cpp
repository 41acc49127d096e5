// open_prefilter.cpp — derives the kernel open prefilter (open_prefilter.h) from the active
// rules: for every rule that can match an open, a condition on the opened path that the rule
// cannot match without (a set of path prefixes / suffixes, possibly for writes only). Cold
// path (once per load or reload). Sound by construction: every step only weakens.
#include <algorithm>
#include <string>
#include <vector>

#include "arg_render.h"
#include "compiled_rule.h"
#include "vigil/open_prefilter.h"
#include "vigil/ruleset.h"
#include "vigil/syscall_table.h"

namespace vigil {
namespace {

// What a sub-condition needs of the opened path, assuming the event is an open.
struct PathNeed {
  enum class Kind { kNever, kAtoms, kAny };
  Kind kind = Kind::kAny;
  std::vector<std::string> prefixes, suffixes;

  static PathNeed Never() { return PathNeed{Kind::kNever, {}, {}}; }
  static PathNeed Any() { return PathNeed{}; }
};

// The opens the probe filters. open_by_handle_at is an open to the rules (fd.name is the
// file it opened) but the probe always reports it (there is no path to judge before the
// call), so a rule on it needs nothing of the prefilter.
EventTypeSet OpenTypes() {
  EventTypeSet s;
  for (std::size_t t = 0; t < kEventTypeCount; ++t)
    if (IsOpenFamily(static_cast<EventType>(t)) && static_cast<EventType>(t) != EventType::kOpenByHandleAt) s.set(t);
  return s;
}

// Events that carry the kernel path of their file, so their fd.* needs no fd table:
// read/write(v), reported only for io_uring requests (probes/io_uring), and mmap (the file
// behind its fd, walked at exit).
bool CarriesKernelFile(EventType t) {
  return t == EventType::kRead || t == EventType::kWrite || t == EventType::kReadv ||
         t == EventType::kWritev || t == EventType::kMmap;
}

// The literal text of a glob up to its first wildcard.
std::string GlobLiteralPrefix(const std::string& g) {
  std::size_t stop = g.find_first_of("*?[\\");
  return stop == std::string::npos ? g : g.substr(0, stop);
}

// `fd.name contains ..`, `glob *..*`: only paths with ".." match, and the probe reports
// every such path unfiltered, the kernel's path of an opened file included (so the check
// needs no pattern).
bool ContainsDotDot(const CheckNode& c) {
  if (c.op != CmpOp::kContains && c.op != CmpOp::kGlob) return false;
  if (c.operands.empty()) return false;
  for (const Operand& o : c.operands) {
    if (o.str.find("..") == std::string::npos) return false;
    if (c.op == CmpOp::kGlob && o.str.find_first_of("[\\") != std::string::npos) return false;
  }
  return true;
}

// Path needs of one comparison on an fd path field; Any when it says nothing usable.
PathNeed CheckNeed(const CheckNode& c) {
  const FieldRef& f = c.field;
  if (!f.transformers.empty() || f.index >= 0 || !f.key.empty() || c.rhs_is_field) return PathNeed::Any();
  const bool list = c.op == CmpOp::kIn || c.op == CmpOp::kPmatch;
  PathNeed need{PathNeed::Kind::kAtoms, {}, {}};
  auto each = [&](auto&& add) {
    for (const Operand& o : c.operands) {
      if (o.str.empty()) return false;  // "" would match every path
      add(o.str);
    }
    return !c.operands.empty();
  };
  bool ok = false;
  switch (f.id) {
    // fd.nameraw is the caller's string: after a successful open the probe judges the
    // kernel's path instead, so a condition on the raw string gives no usable pattern (Any),
    // except "contains ..": the probe then also reports every open whose raw string has ".."
    // (OpenPrefilter::raw_dotdot, set by UsesRawDotDot).
    case FieldId::kFdNameraw:
      if (ContainsDotDot(c)) return PathNeed::Never();
      break;
    case FieldId::kFdName:
      if (ContainsDotDot(c)) return PathNeed::Never();
      if (c.op == CmpOp::kEq || c.op == CmpOp::kStartsWith || list) {
        ok = each([&](const std::string& s) { need.prefixes.push_back(s); });
      } else if (c.op == CmpOp::kEndsWith) {
        ok = each([&](const std::string& s) { need.suffixes.push_back(s); });
      } else if (c.op == CmpOp::kGlob) {
        ok = each([&](const std::string& s) {
          std::string lit = GlobLiteralPrefix(s);
          if (lit.empty()) return;
          need.prefixes.push_back(lit);
        });
        ok = ok && need.prefixes.size() == c.operands.size();
      }
      break;
    case FieldId::kFdDirectory:  // dirname(fd.name), or fd.name itself for O_DIRECTORY opens
      if (c.op == CmpOp::kEq || c.op == CmpOp::kStartsWith || list) {
        ok = each([&](const std::string& s) { need.prefixes.push_back(s); });
      }
      break;
    case FieldId::kFdFilename:  // basename(fd.name): the path ends with "/<name>"
      if (c.op == CmpOp::kEq || c.op == CmpOp::kIn) {
        ok = each([&](const std::string& s) { need.suffixes.push_back("/" + s); });
      } else if (c.op == CmpOp::kEndsWith) {
        ok = each([&](const std::string& s) { need.suffixes.push_back(s); });
      }
      break;
    default:
      break;
  }
  return ok ? need : PathNeed::Any();
}

// Patterns of `a` and `b` that can hold together: for two prefixes (or two suffixes) the
// longer one when one extends the other.
std::vector<std::string> IntersectPatterns(const std::vector<std::string>& a,
                                           const std::vector<std::string>& b, bool suffix) {
  auto extends = [suffix](const std::string& longer, const std::string& shorter) {
    if (shorter.size() > longer.size()) return false;
    return suffix ? longer.compare(longer.size() - shorter.size(), shorter.size(), shorter) == 0
                  : longer.compare(0, shorter.size(), shorter) == 0;
  };
  std::vector<std::string> out;
  for (const auto& x : a)
    for (const auto& y : b) {
      if (extends(x, y)) out.push_back(x);
      else if (extends(y, x)) out.push_back(y);
    }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The shortest pattern: how selective a need is at worst.
std::size_t ShortestPattern(const PathNeed& n) {
  std::size_t m = std::string::npos;
  for (const auto& p : n.prefixes) m = std::min(m, p.size());
  for (const auto& p : n.suffixes) m = std::min(m, p.size());
  return m;
}

// Both needs hold. Same-kind pattern sets are intersected exactly; mixed ones keep the more
// selective side (either alone is still necessary).
PathNeed Intersect(PathNeed a, PathNeed b) {
  if (a.kind == PathNeed::Kind::kNever || b.kind == PathNeed::Kind::kAny) return a;
  if (b.kind == PathNeed::Kind::kNever || a.kind == PathNeed::Kind::kAny) return b;
  const bool a_pre = a.suffixes.empty(), b_pre = b.suffixes.empty();
  const bool a_suf = a.prefixes.empty(), b_suf = b.prefixes.empty();
  if ((a_pre && b_pre) || (a_suf && b_suf)) {
    const bool suffix = !a_pre;
    PathNeed out{PathNeed::Kind::kAtoms, {}, {}};
    auto& dst = suffix ? out.suffixes : out.prefixes;
    dst = IntersectPatterns(suffix ? a.suffixes : a.prefixes, suffix ? b.suffixes : b.prefixes, suffix);
    if (dst.empty()) return PathNeed::Never();
    return out;
  }
  return ShortestPattern(a) >= ShortestPattern(b) ? a : b;
}

PathNeed Need(const CondNode& node_in, const EventTypeSet& open_types) {
  const CondNode& node = Unwrap(node_in);
  switch (node.kind) {
    case CondNode::Kind::kConst:
      return static_cast<const ConstNode&>(node).value ? PathNeed::Any() : PathNeed::Never();
    case CondNode::Kind::kEvtType:
      return (static_cast<const EvtTypeNode&>(node).types & open_types).none() ? PathNeed::Never()
                                                                               : PathNeed::Any();
    case CondNode::Kind::kNot: {
      const CondNode& child = Unwrap(*static_cast<const NotNode&>(node).child);
      if (child.kind == CondNode::Kind::kEvtType) {
        EventTypeSet t = ~static_cast<const EvtTypeNode&>(child).types;
        return (t & open_types).none() ? PathNeed::Never() : PathNeed::Any();
      }
      return PathNeed::Any();
    }
    case CondNode::Kind::kCheck:
      return CheckNeed(static_cast<const CheckNode&>(node));
    case CondNode::Kind::kAnd: {
      // Every child is necessary: intersect what they need.
      PathNeed all = PathNeed::Any();
      for (const auto& c : static_cast<const AndNode&>(node).children) {
        all = Intersect(std::move(all), Need(*c, open_types));
        if (all.kind == PathNeed::Kind::kNever) return all;
      }
      return all;
    }
    case CondNode::Kind::kOr: {
      PathNeed all = PathNeed::Never();
      for (const auto& c : static_cast<const OrNode&>(node).children) {
        PathNeed n = Need(*c, open_types);
        if (n.kind == PathNeed::Kind::kAny) return n;
        if (n.kind == PathNeed::Kind::kNever) continue;
        all.kind = PathNeed::Kind::kAtoms;
        all.prefixes.insert(all.prefixes.end(), n.prefixes.begin(), n.prefixes.end());
        all.suffixes.insert(all.suffixes.end(), n.suffixes.begin(), n.suffixes.end());
      }
      return all;
    }
    case CondNode::Kind::kMemo:
      break;
  }
  return PathNeed::Any();
}

// True when the condition tests the caller's raw string for ".." (fd.nameraw contains
// '../'): the probe must then report every open whose raw string has "..".
bool UsesRawDotDot(const CondNode& node_in) {
  const CondNode& node = Unwrap(node_in);
  switch (node.kind) {
    case CondNode::Kind::kCheck: {
      const auto& c = static_cast<const CheckNode&>(node);
      return c.field.id == FieldId::kFdNameraw && ContainsDotDot(c);
    }
    case CondNode::Kind::kAnd:
      for (const auto& c : static_cast<const AndNode&>(node).children)
        if (UsesRawDotDot(*c)) return true;
      return false;
    case CondNode::Kind::kOr:
      for (const auto& c : static_cast<const OrNode&>(node).children)
        if (UsesRawDotDot(*c)) return true;
      return false;
    case CondNode::Kind::kNot:
      return UsesRawDotDot(*static_cast<const NotNode&>(node).child);
    default:
      return false;
  }
}

// True when the condition cannot hold for an open unless it is for writing. Branches that
// cannot match an open at all are ignored.
bool NeedsWrite(const CondNode& node_in, const EventTypeSet& open_types) {
  const CondNode& node = Unwrap(node_in);
  switch (node.kind) {
    case CondNode::Kind::kCheck: {
      const auto& c = static_cast<const CheckNode&>(node);
      return c.field.id == FieldId::kEvtIsOpenWrite && c.field.transformers.empty() &&
             c.op == CmpOp::kEq && c.operands.size() == 1 && c.operands[0].is_num &&
             c.operands[0].num == 1;
    }
    case CondNode::Kind::kAnd:
      for (const auto& c : static_cast<const AndNode&>(node).children)
        if (NeedsWrite(*c, open_types)) return true;
      return false;
    case CondNode::Kind::kOr: {
      bool any_open_branch = false;
      for (const auto& c : static_cast<const OrNode&>(node).children) {
        if ((PossibleEventTypes(*c) & open_types).none()) continue;
        if (!NeedsWrite(*c, open_types)) return false;
        any_open_branch = true;
      }
      return any_open_branch;
    }
    default:
      return false;
  }
}

// True when the condition can read an fd.* field on an event whose fd.* the user-space fd
// table answers (`table_types`: write, read, fchmod, ...). That table learns regular files
// from open events, so such a rule needs every open. `ctx`: the event types the enclosing
// conditions still allow (branches that only match opens or sockets are skipped).
bool ReadsFdTable(const CondNode& node_in, EventTypeSet ctx, const EventTypeSet& table_types) {
  const CondNode& node = Unwrap(node_in);
  ctx &= PossibleEventTypes(node);
  if ((ctx & table_types).none()) return false;
  switch (node.kind) {
    case CondNode::Kind::kCheck: {
      const auto& c = static_cast<const CheckNode&>(node);
      auto is_fd = [](const FieldRef& f) { return f.display.rfind("fd.", 0) == 0; };
      return is_fd(c.field) || (c.rhs_is_field && is_fd(c.rhs_field));
    }
    case CondNode::Kind::kAnd:
      for (const auto& c : static_cast<const AndNode&>(node).children)
        if (ReadsFdTable(*c, ctx, table_types)) return true;
      return false;
    case CondNode::Kind::kOr:
      for (const auto& c : static_cast<const OrNode&>(node).children)
        if (ReadsFdTable(*c, ctx, table_types)) return true;
      return false;
    case CondNode::Kind::kNot:
      return ReadsFdTable(*static_cast<const NotNode&>(node).child, ctx, table_types);
    default:
      return false;
  }
}

// Event types whose fd.* comes from the user-space fd table: those with an fd argument (or
// an fd result) that are neither opens nor read through a kernel socket tuple.
EventTypeSet FdTableTypes() {
  EventTypeSet s;
  for (const SyscallSpec& spec : SyscallTable::Get().specs()) {
    if (IsOpenFamily(spec.type) || IsSocketTupleEvent(spec.type) || CarriesKernelFile(spec.type)) continue;
    for (const ParamSource& p : spec.params) {
      if (p.id == ArgId::kFd || p.id == ArgId::kOldfd) s.set(static_cast<std::size_t>(spec.type));
    }
  }
  s.set(static_cast<std::size_t>(EventType::kSocket));
  s.set(static_cast<std::size_t>(EventType::kMemfdCreate));
  return s;
}

// Absolute paths the condition compares fd.name with exactly (=, in): the files a hard link
// or bind mount could reach under another name. Globs, prefixes and directories are not
// files with one identity.
void CollectExactFdNames(const CondNode& node_in, std::vector<std::string>* out) {
  const CondNode& node = Unwrap(node_in);
  switch (node.kind) {
    case CondNode::Kind::kCheck: {
      const auto& c = static_cast<const CheckNode&>(node);
      if (c.field.id != FieldId::kFdName || !c.field.transformers.empty() || c.rhs_is_field) return;
      if (c.op != CmpOp::kEq && c.op != CmpOp::kIn) return;
      for (const Operand& o : c.operands)
        if (!o.str.empty() && o.str[0] == '/' && o.str.back() != '/') out->push_back(o.str);
      return;
    }
    case CondNode::Kind::kAnd:
      for (const auto& c : static_cast<const AndNode&>(node).children) CollectExactFdNames(*c, out);
      return;
    case CondNode::Kind::kOr:
      for (const auto& c : static_cast<const OrNode&>(node).children) CollectExactFdNames(*c, out);
      return;
    default:
      return;  // a negated name is not a file the rule wants
  }
}

}  // namespace

OpenPrefilter Ruleset::DeriveOpenPrefilter() const {
  std::vector<std::string> watched;
  for (const auto& rp : impl_->rules)
    if (rp->active) CollectExactFdNames(*rp->condition, &watched);
  for (const auto& sp : impl_->sequences)
    if (sp->active)
      for (const auto& step : sp->steps) CollectExactFdNames(*step.condition, &watched);
  std::sort(watched.begin(), watched.end());
  watched.erase(std::unique(watched.begin(), watched.end()), watched.end());
  OpenPrefilter out = DerivePathFilter();
  out.watched_files = std::move(watched);
  return out;
}

OpenPrefilter Ruleset::DerivePathFilter() const {
  const EventTypeSet open_types = OpenTypes();
  const EventTypeSet table_types = FdTableTypes();
  OpenPrefilter out;
  auto disable = [&](const std::string& what, const std::string& why) {
    OpenPrefilter off;
    off.disabled_reason = what + " " + why;
    return off;
  };
  // Rules and sequence steps alike: false when the filter must be off (*off says why).
  auto consider = [&](const std::string& what, const CondNode& cond, const EventTypeSet& types,
                      OpenPrefilter* off) {
    if (ReadsFdTable(cond, types, table_types)) {
      // fd.* of those events comes from the fd table, which learns a file from the open that
      // made the fd. The table is only right when it sees every open: with opens left in the
      // kernel, an fd number keeps the name of an earlier file (closes are not all reported),
      // so even a rule testing a path (mmap of /tmp/...) would read a stale name.
      *off = disable(what, "reads fd.* on events other than opens and sockets (needs every open)");
      return false;
    }
    if ((types & open_types).none()) return true;
    if (UsesRawDotDot(cond)) out.raw_dotdot = true;
    PathNeed need = Need(cond, open_types);
    if (need.kind == PathNeed::Kind::kNever) return true;
    const bool writes = NeedsWrite(cond, open_types);
    if (need.kind == PathNeed::Kind::kAny) {
      if (!writes) {
        *off = disable(what, "can match an open of any path");
        return false;
      }
      if (!out.all_writes) out.all_writes_reason = what + " can match a write of any path";
      out.all_writes = true;
      return true;
    }
    for (auto& p : need.prefixes) out.prefixes.push_back({std::move(p), writes});
    for (auto& s : need.suffixes) out.suffixes.push_back({std::move(s), writes});
    return true;
  };
  OpenPrefilter off;
  for (const auto& rp : impl_->rules) {
    const CompiledRule& r = *rp;
    if (!r.active) continue;
    const EventTypeSet types = r.any_type ? ~EventTypeSet{} : r.types;
    if (!consider("rule '" + r.info.name + "'", *r.condition, types, &off)) return off;
  }
  for (const auto& sp : impl_->sequences) {
    if (!sp->active) continue;
    for (std::size_t i = 0; i < sp->steps.size(); ++i)
      if (!consider("sequence '" + sp->info.name + "' step " + std::to_string(i + 1), *sp->steps[i].condition,
                    sp->steps[i].types, &off))
        return off;
    if (sp->until && !consider("sequence '" + sp->info.name + "' until", *sp->until, sp->until_types, &off))
      return off;
  }
  // One entry per text; a pattern that any rule wants for reads too applies to reads.
  auto merge = [](std::vector<OpenPrefilter::Pattern>& v) {
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return a.text != b.text ? a.text < b.text : a.writes_only < b.writes_only;
    });
    v.erase(std::unique(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.text == b.text; }),
            v.end());
  };
  merge(out.prefixes);
  merge(out.suffixes);
  out.enabled = true;  // raw_dotdot as collected above
  return out;
}

}  // namespace vigil
