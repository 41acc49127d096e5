// ruleset.cpp — evaluation and alert building (see ruleset.h).
#include <unistd.h>

#include <algorithm>

#include "compiled_rule.h"
#include "condition_specialize.h"
#include "vigil/ruleset.h"

namespace vigil {
namespace {

Alert MakeAlert(const CompiledRule& rule, EvalContext& ctx, const std::string& hostname) {
  Alert a;
  a.ts_ns = ctx.ev().ts_ns;
  a.rule = rule.info.name;
  a.priority = rule.info.priority;
  a.source = rule.info.source;
  a.hostname = hostname;
  a.tags = rule.info.tags;
  Value values[EvalContext::kMaxValues];
  for (const auto& seg : rule.output.segments) {
    if (!seg.is_field) {
      a.output += seg.literal;
      continue;
    }
    int n = ExtractValues(seg.field, ctx, values);
    a.output += RenderValue(seg.field, n > 0 ? values[0] : Value{}, ctx);
  }
  for (std::size_t idx : rule.output.unique_fields) {
    const FieldRef& f = rule.output.segments[idx].field;
    // Falco's JSON output_fields carry the time fields as integer ns since the epoch
    // (libsinsp extract_as_js); the text output keeps the formatted string.
    if (f.transformers.empty() && (f.id == FieldId::kEvtTime || f.id == FieldId::kEvtTimeS ||
                                   f.id == FieldId::kEvtTimeIso || f.id == FieldId::kEvtDatetime)) {
      AlertField af;
      af.name = f.display;
      af.kind = AlertField::Kind::kUint;
      af.u = ctx.ev().ts_ns;
      a.output_fields.push_back(std::move(af));
      continue;
    }
    int n = ExtractValues(f, ctx, values);
    a.output_fields.push_back(MakeAlertField(f, n > 0 ? &values[0] : nullptr, ctx));
  }
  return a;
}

// `seq` (optional): the sequence engine to run in the same context after the rules.
template <typename OnMatch, typename OnSequences>
std::size_t EvaluateImpl(const Ruleset::Impl& impl, const Event& ev, const ProcessTable& table,
                         const ContainerStore* containers, OnMatch&& on_match, bool with_sequences,
                         OnSequences&& on_sequences) {
  auto t = static_cast<std::size_t>(ev.type);
  if (t >= kEventTypeCount) return 0;
  const auto& bucket = impl.by_type[t];
  if (bucket.empty() && !with_sequences) return 0;
  if (impl.users) impl.users->MaybeRefresh();
  EvalContext ctx(ev, table, impl.users.get(), impl.hostname);
  ctx.set_containers(containers);
  // One memo per thread; it only grows (first event on a thread, or a bigger ruleset).
  thread_local EvalMemo memo;
  thread_local int depth = 0;  // Evaluate() called from inside an on_match callback
  struct DepthGuard {
    int& d;
    explicit DepthGuard(int& x) : d(x) { ++d; }
    ~DepthGuard() { --d; }
  } guard(depth);
  if (depth > 1) {
    // Nested evaluation on this thread: the outer event owns the memo; go without.
  } else if (memo.gen.size() < impl.memo_slots) {
    memo.gen.assign(impl.memo_slots, 0);
    memo.value.assign(impl.memo_slots, 0);
    memo.current = 0;
  }
  if (depth == 1) {
    if (++memo.current == 0) {  // wrapped: invalidate everything
      std::fill(memo.gen.begin(), memo.gen.end(), 0);
      memo.current = 1;
    }
    ctx.set_memo(&memo);
  }
  std::size_t matches = 0;
  for (const TypedRule& tr : bucket) {
    if (!tr.condition->Eval(ctx)) continue;
    ++matches;
    on_match(*tr.rule, ctx);
    if (impl.mode == MatchMode::kFirst) break;
  }
  if (with_sequences) matches += on_sequences(ctx);
  return matches;
}

struct NoSequences {
  std::size_t operator()(EvalContext&) const { return 0; }
};

}  // namespace

AlertField MakeAlertField(const FieldRef& f, const Value* v, EvalContext& ctx) {
  AlertField af;
  af.name = f.display;
  if (!v) return af;
  switch (v->kind) {
    case Value::Kind::kNone: break;
    case Value::Kind::kStr:
    case Value::Kind::kIp:
      af.kind = AlertField::Kind::kString;
      af.str = std::string(RenderValue(f, *v, ctx));
      break;
    case Value::Kind::kBool:
      af.kind = AlertField::Kind::kBool;
      af.b = v->num != 0;
      break;
    case Value::Kind::kNum:
      if (f.type == FieldType::kUint64 || f.type == FieldType::kAbsTime || f.type == FieldType::kPort) {
        af.kind = AlertField::Kind::kUint;
        af.u = static_cast<uint64_t>(v->num);
      } else {
        af.kind = AlertField::Kind::kInt;
        af.i = v->num;
      }
      break;
  }
  return af;
}

Ruleset::Ruleset(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Ruleset::~Ruleset() = default;

std::size_t Ruleset::Evaluate(const Event& ev, const ProcessTable& table,
                              const std::function<void(const Alert&)>& on_match,
                              const ContainerStore* containers) const {
  return Evaluate(ev, table, on_match, containers, nullptr);
}

std::size_t Ruleset::Evaluate(const Event& ev, const ProcessTable& table,
                              const std::function<void(const Alert&)>& on_match,
                              const ContainerStore* containers, SequenceEngine* sequences) const {
  auto rule_alert = [&](const CompiledRule& rule, EvalContext& ctx) {
    Alert a = MakeAlert(rule, ctx, impl_->hostname);
    if (on_match) on_match(a);
  };
  if (sequences && !sequences->Uses(*this)) {  // another ruleset's sequences: separately
    std::size_t n = EvaluateImpl(*impl_, ev, table, containers, rule_alert, false, NoSequences{});
    return n + sequences->Process(ev, table, on_match);
  }
  const bool with = sequences && sequences->Begin(ev);
  return EvaluateImpl(*impl_, ev, table, containers, rule_alert, with,
                      [&](EvalContext& ctx) { return sequences->Run(ctx, on_match); });
}

std::size_t Ruleset::CountMatches(const Event& ev, const ProcessTable& table,
                                  const ContainerStore* containers) const {
  return EvaluateImpl(*impl_, ev, table, containers, [](const CompiledRule&, EvalContext&) {}, false,
                      NoSequences{});
}

std::size_t Ruleset::SpecialisationMismatches(const Event& ev, const ProcessTable& table) const {
  const auto t = static_cast<std::size_t>(ev.type);
  if (t >= kEventTypeCount) return 0;
  std::size_t bad = 0;
  auto check = [&](const CondNode& original, const CondNode* specialised) {
    EvalContext a(ev, table, impl_->users.get(), impl_->hostname);
    EvalContext b(ev, table, impl_->users.get(), impl_->hostname);
    const bool want = original.Eval(a);
    const bool got = specialised ? specialised->Eval(b) : false;  // absent: folded to false
    bad += want != got ? 1 : 0;
  };
  for (const auto& r : impl_->rules) {
    if (!r->active || !r->types.test(t)) continue;
    const CondNode* spec = nullptr;
    for (const TypedRule& tr : impl_->by_type[t])
      if (tr.rule == r.get()) spec = tr.condition.get();
    check(*r->condition, spec);
  }
  for (uint32_t i = 0; i < impl_->sequences.size(); ++i) {
    const CompiledSequence& d = *impl_->sequences[i];
    if (!d.active) continue;
    auto find = [&](int32_t step) -> const CondNode* {
      for (const TypedStep& ts : impl_->steps_by_type[t])
        if (ts.seq == i && ts.step == step) return ts.condition.get();
      return nullptr;
    };
    if (d.until && d.until_types.test(t)) check(*d.until, find(-1));
    for (std::size_t j = 0; j < d.steps.size(); ++j)
      if (d.steps[j].types.test(t)) check(*d.steps[j].condition, find(static_cast<int32_t>(j)));
  }
  return bad;
}

std::bitset<kEventTypeCount> Ruleset::InterestingEventTypes() const { return impl_->interesting; }
bool Ruleset::ReadsProcessEnv() const { return impl_->reads_env; }
std::size_t Ruleset::rule_count() const { return impl_->active; }
std::size_t Ruleset::sequence_count() const {
  std::size_t n = 0;
  for (const auto& s : impl_->sequences) n += s->active ? 1 : 0;
  return n;
}
std::vector<SequenceInfo> Ruleset::sequences() const {
  std::vector<SequenceInfo> out;
  for (const auto& s : impl_->sequences) {
    out.push_back(s->info);
    out.back().enabled = s->active;
  }
  return out;
}
MatchMode Ruleset::mode() const { return impl_->mode; }
const std::string& Ruleset::hostname() const { return impl_->hostname; }

std::vector<RuleInfo> Ruleset::rules() const {
  std::vector<RuleInfo> out;
  out.reserve(impl_->rules.size());
  for (const auto& r : impl_->rules) {
    out.push_back(r->info);
    out.back().enabled = r->active;
  }
  return out;
}

namespace {

bool IsEnvField(const FieldRef& f) { return f.id == FieldId::kProcEnv; }

bool ConditionReadsEnv(const CondNode* n) {
  if (n == nullptr) return false;
  switch (n->kind) {
    case CondNode::Kind::kCheck: {
      const auto& c = static_cast<const CheckNode&>(*n);
      return IsEnvField(c.field) || (c.rhs_is_field && IsEnvField(c.rhs_field));
    }
    case CondNode::Kind::kMemo: return ConditionReadsEnv(static_cast<const MemoNode&>(*n).body.get());
    case CondNode::Kind::kNot: return ConditionReadsEnv(static_cast<const NotNode&>(*n).child.get());
    case CondNode::Kind::kAnd:
      for (const auto& c : static_cast<const AndNode&>(*n).children)
        if (ConditionReadsEnv(c.get())) return true;
      return false;
    case CondNode::Kind::kOr:
      for (const auto& c : static_cast<const OrNode&>(*n).children)
        if (ConditionReadsEnv(c.get())) return true;
      return false;
    default: return false;
  }
}

bool RuleReadsEnv(const CompiledRule& r) {
  if (ConditionReadsEnv(r.condition.get())) return true;
  for (const auto& seg : r.output.segments)
    if (seg.is_field && IsEnvField(seg.field)) return true;
  return false;
}

bool SequenceReadsEnv(const CompiledSequence& s) {
  for (const auto& st : s.steps) {
    if (ConditionReadsEnv(st.condition.get())) return true;
    for (const auto& f : st.by)
      if (IsEnvField(f)) return true;
  }
  if (ConditionReadsEnv(s.until.get())) return true;
  for (const auto& f : s.until_by)
    if (IsEnvField(f)) return true;
  for (const auto& c : s.captures)
    if (IsEnvField(c.field)) return true;
  for (const auto& seg : s.output)
    if (IsEnvField(seg.field)) return true;
  return IsEnvField(s.distinct_field);
}

}  // namespace

std::shared_ptr<const Ruleset> RulesetBuilder::Build(std::unique_ptr<Ruleset::Impl> impl) {
  impl->active = 0;
  impl->reads_env = false;
  impl->interesting.reset();
  for (auto& b : impl->by_type) b.clear();
  for (auto& b : impl->steps_by_type) b.clear();
  for (const auto& r : impl->rules) {
    if (!r->active) continue;
    ++impl->active;
    impl->interesting |= r->types;
    impl->reads_env = impl->reads_env || RuleReadsEnv(*r);
  }
  for (const auto& s : impl->sequences) {
    if (!s->active) continue;
    impl->reads_env = impl->reads_env || SequenceReadsEnv(*s);
    for (const auto& st : s->steps) impl->interesting |= st.types;
    impl->interesting |= s->until_types;
  }
  // Each rule and step specialised for each event type it can match: evt.type tests folded,
  // dead branches gone, cheap operands first. A rule whose specialisation is `false` (its
  // evt.type inference was coarser than its branches) leaves the bucket.
  SpecializeShared shared;
  for (std::size_t t = 0; t < kEventTypeCount; ++t) {
    TypeSpecializer spec(t, &shared);
    for (const auto& r : impl->rules) {
      if (!r->active || !r->types.test(t)) continue;
      CondNodePtr c = spec.Specialize(r->condition);
      if (IsConst(*c, false)) continue;
      impl->by_type[t].push_back(TypedRule{r.get(), std::move(c)});
    }
    for (uint32_t i = 0; i < impl->sequences.size(); ++i) {
      const CompiledSequence& d = *impl->sequences[i];
      if (!d.active) continue;
      if (d.until && d.until_types.test(t)) {
        CondNodePtr c = spec.Specialize(d.until);
        if (!IsConst(*c, false)) impl->steps_by_type[t].push_back(TypedStep{i, -1, std::move(c)});
      }
      for (std::size_t j = d.steps.size(); j-- > 0;) {
        if (!d.steps[j].types.test(t)) continue;
        CondNodePtr c = spec.Specialize(d.steps[j].condition);
        if (IsConst(*c, false)) continue;
        impl->steps_by_type[t].push_back(TypedStep{i, static_cast<int32_t>(j), std::move(c)});
      }
    }
  }
  return std::shared_ptr<const Ruleset>(new Ruleset(std::move(impl)));
}

}  // namespace vigil
