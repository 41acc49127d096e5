// sequence_engine.cpp — partial matches per sequence and key, windows on event time,
// bounded state with LRU eviction (see sequence_engine.h).
#include "vigil/sequence_engine.h"

#include <algorithm>
#include <array>
#include <unordered_map>

#include "compiled_rule.h"
#include "vigil/ruleset.h"

namespace vigil {
namespace {

struct Partial {
  uint64_t first_ts = 0;
  uint32_t next = 0;                 // index of the step it waits for
  std::vector<CapturedValue> caps;   // one per capture slot (filled as steps match)
};

struct KeyState {
  const std::string* key = nullptr;  // the map's key (node-stable)
  uint64_t last_ts = 0;
  std::vector<Partial> partials;                          // ordered form, oldest first
  std::vector<uint64_t> times;                            // threshold count
  std::vector<std::pair<std::string, uint64_t>> values;   // threshold distinct
  KeyState* newer = nullptr;         // LRU list: head = most recently touched
  KeyState* older = nullptr;
};

struct SeqRuntime {
  const CompiledSequence* def = nullptr;
  std::unordered_map<std::string, KeyState> keys;
  KeyState* head = nullptr;  // newest
  KeyState* tail = nullptr;  // oldest

  void Unlink(KeyState* k) {
    if (k->newer) k->newer->older = k->older;
    else head = k->older;
    if (k->older) k->older->newer = k->newer;
    else tail = k->newer;
    k->newer = k->older = nullptr;
  }
  void PushHead(KeyState* k) {
    k->older = head;
    k->newer = nullptr;
    if (head) head->newer = k;
    head = k;
    if (!tail) tail = k;
  }
  void Touch(KeyState* k, uint64_t ts) {
    if (ts > k->last_ts) k->last_ts = ts;
    if (head == k) return;
    Unlink(k);
    PushHead(k);
  }
  void Erase(KeyState* k) {
    Unlink(k);
    auto it = keys.find(*k->key);
    if (it != keys.end()) keys.erase(it);
  }
};

struct Entry {
  uint32_t seq;             // index into State::seqs
  int32_t step;             // -1: until
  const CondNode* cond;     // the step's (or until's) condition specialised for the bucket's type
};

}  // namespace

struct SequenceEngine::State {
  SequenceOptions options;
  std::shared_ptr<const Ruleset> ruleset;
  std::vector<std::unique_ptr<SeqRuntime>> seqs;
  std::array<std::vector<Entry>, kEventTypeCount> by_type;
  EvalMemo memo;
  std::string key;    // scratch key of the current event (capacity kept: no allocation once warm)
  std::string value;  // scratch distinct value (threshold form), same
  Partial scratch;  // scratch first-step match (capacity kept)
  uint64_t now = 0;
  uint64_t events = 0;
  SequenceStats counters;

  void Expire(SeqRuntime& sr) {
    const uint64_t span = sr.def->maxspan_ns;
    while (sr.tail && sr.tail->last_ts + span < now) {
      sr.Erase(sr.tail);
      ++counters.keys_expired;
    }
  }

  // The key is the `by` values in a fixed binary form (kind, then 8 bytes of a number or the
  // length and bytes of a string or address): nothing is rendered, a numeric key (proc.sid,
  // proc.pid, user.uid) is 9 bytes (kept inline by std::string, hashed as such), and equal
  // values give equal keys exactly as their text did. The text form (%seq.key) is rendered
  // from the event only when an alert is built.
  static void AppendBinary(const Value& v, std::string* out) {
    out->push_back(static_cast<char>(v.kind));
    if (v.kind == Value::Kind::kStr || v.kind == Value::Kind::kIp) {
      const auto len = static_cast<uint32_t>(v.str.size());
      out->append(reinterpret_cast<const char*>(&len), sizeof len);
      out->append(v.str.data(), v.str.size());
    } else {
      out->append(reinterpret_cast<const char*>(&v.num), sizeof v.num);
    }
  }

  bool BuildKey(const std::vector<FieldRef>& by, EvalContext& ctx) {
    key.clear();
    Value v[EvalContext::kMaxValues];
    for (const auto& f : by) {
      if (ExtractValues(f, ctx, v) == 0) return false;  // no key: cannot correlate
      AppendBinary(v[0], &key);
    }
    return true;
  }

  // %seq.key: the `by` values of the alerting event as text, separated by spaces.
  static std::string KeyText(const std::vector<FieldRef>& by, EvalContext& ctx) {
    std::string text;
    Value v[EvalContext::kMaxValues];
    for (const auto& f : by) {
      const int n = ExtractValues(f, ctx, v);
      text.append(RenderValue(f, n > 0 ? v[0] : Value{}, ctx));
      text.push_back(' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
  }

  KeyState* FindOrCreate(SeqRuntime& sr) {
    auto it = sr.keys.find(key);
    if (it != sr.keys.end()) return &it->second;
    while (sr.keys.size() >= options.max_keys && sr.tail) {
      sr.Erase(sr.tail);
      ++counters.keys_evicted;
    }
    it = sr.keys.emplace(key, KeyState{}).first;
    it->second.key = &it->first;
    sr.PushHead(&it->second);
    return &it->second;
  }

  static void Capture(const CompiledSequence& d, const CompiledStep& step, EvalContext& ctx, Partial* p) {
    Value v[EvalContext::kMaxValues];
    for (uint16_t c : step.captures) {
      CapturedValue& cv = p->caps[c];
      const FieldRef& f = d.captures[c].field;
      if (ExtractValues(f, ctx, v) == 0) {
        cv = CapturedValue{};
        continue;
      }
      cv.kind = v[0].kind;
      cv.num = v[0].num;
      cv.str.assign(v[0].str.data(), v[0].str.size());
    }
  }

  Alert MakeAlert(const CompiledSequence& d, const std::vector<FieldRef>& by, EvalContext& ctx,
                  const CapturedValue* caps, uint64_t count) {
    Alert a;
    a.ts_ns = ctx.ev().ts_ns;
    a.rule = d.info.name;
    a.priority = d.info.priority;
    a.source = "syscall";
    a.hostname = ruleset->hostname();
    a.tags = d.info.tags;
    Value values[EvalContext::kMaxValues];
    std::string key_text;
    for (const auto& seg : d.output)
      if (seg.kind == SequenceOutputSegment::Kind::kKey) key_text = KeyText(by, ctx);
    for (const auto& seg : d.output) {
      switch (seg.kind) {
        case SequenceOutputSegment::Kind::kLiteral:
          a.output += seg.literal;
          break;
        case SequenceOutputSegment::Kind::kField: {
          int n = ExtractValues(seg.field, ctx, values);
          a.output += RenderValue(seg.field, n > 0 ? values[0] : Value{}, ctx);
          if (seg.first_use) a.output_fields.push_back(MakeAlertField(seg.field, n > 0 ? &values[0] : nullptr, ctx));
          break;
        }
        case SequenceOutputSegment::Kind::kCapture: {
          const FieldRef& f = d.captures[static_cast<std::size_t>(seg.capture)].field;
          Value v = caps ? caps[seg.capture].view() : Value{};
          a.output += RenderValue(f, v, ctx);
          if (seg.first_use) {
            AlertField af = MakeAlertField(f, v.kind == Value::Kind::kNone ? nullptr : &v, ctx);
            af.name = seg.name;
            a.output_fields.push_back(std::move(af));
          }
          break;
        }
        case SequenceOutputSegment::Kind::kCount:
          a.output += std::to_string(count);
          if (seg.first_use) {
            AlertField af;
            af.name = seg.name;
            af.kind = AlertField::Kind::kUint;
            af.u = count;
            a.output_fields.push_back(std::move(af));
          }
          break;
        case SequenceOutputSegment::Kind::kKey:
          a.output += key_text;
          if (seg.first_use) {
            AlertField af;
            af.name = seg.name;
            af.kind = AlertField::Kind::kString;
            af.str = key_text;
            a.output_fields.push_back(std::move(af));
          }
          break;
      }
    }
    return a;
  }

  std::size_t Step(SeqRuntime& sr, std::size_t j, const CondNode& cond, EvalContext& ctx,
                   const std::function<void(const Alert&)>& on_alert) {
    const CompiledSequence& d = *sr.def;
    const CompiledStep& step = d.steps[j];
    const uint64_t ts = ctx.ev().ts_ns;
    if (j == 0) {
      KeyState* ks = FindOrCreate(sr);
      sr.Touch(ks, ts);
      auto& ps = ks->partials;
      ps.erase(std::remove_if(ps.begin(), ps.end(), [&](const Partial& p) { return p.first_ts + d.maxspan_ns < now; }),
               ps.end());
      // Captured into a reused scratch first: repeating the same first step (a downloader
      // writing the same file again) restarts its window without allocating.
      Partial& fresh = scratch;
      fresh.first_ts = ts;
      fresh.next = 1;
      if (fresh.caps.size() != d.captures.size()) fresh.caps.resize(d.captures.size());
      Capture(d, step, ctx, &fresh);
      for (auto& p : ps) {
        if (p.next != 1) continue;
        bool same = true;
        for (uint16_t c : step.captures)
          same &= p.caps[c].kind == fresh.caps[c].kind && p.caps[c].num == fresh.caps[c].num && p.caps[c].str == fresh.caps[c].str;
        if (same) {  // the same first step again: restart its window
          p.first_ts = ts;
          return 0;
        }
      }
      while (!ps.empty() && ps.size() >= options.max_partials_per_key) {
        ps.erase(ps.begin());
        ++counters.partials_evicted;
      }
      ps.push_back(fresh);
      for (auto& c : ps.back().caps) c.str.shrink_to_fit();
      return 0;
    }
    auto it = sr.keys.find(key);
    if (it == sr.keys.end()) return 0;
    KeyState* ks = &it->second;
    bool advanced = false, completed = false;
    std::size_t alerts = 0;
    for (auto& p : ks->partials) {
      if (p.next != j || ts - p.first_ts > d.maxspan_ns || ts < p.first_ts) continue;
      if (step.uses_captures) {
        ctx.set_captures(p.caps.data());
        const bool ok = cond.Eval(ctx);
        ctx.set_captures(nullptr);
        if (!ok) continue;
      }
      Capture(d, step, ctx, &p);
      advanced = true;
      if (j + 1 < d.steps.size()) {
        p.next = static_cast<uint32_t>(j + 1);
        continue;
      }
      p.next = UINT32_MAX;  // completed: removed below
      if (!completed) {  // one alert per key and event
        completed = true;
        ++alerts;
        if (on_alert) on_alert(MakeAlert(d, step.by, ctx, p.caps.data(), d.steps.size()));
      }
    }
    if (!advanced) return 0;
    sr.Touch(ks, ts);
    if (completed) {
      auto& ps = ks->partials;
      ps.erase(std::remove_if(ps.begin(), ps.end(), [](const Partial& p) { return p.next == UINT32_MAX; }), ps.end());
      if (ps.empty()) sr.Erase(ks);
    }
    return alerts;
  }

  std::size_t Threshold(SeqRuntime& sr, EvalContext& ctx, const std::function<void(const Alert&)>& on_alert) {
    const CompiledSequence& d = *sr.def;
    const uint64_t ts = ctx.ev().ts_ns;
    const uint64_t floor = ts > d.maxspan_ns ? ts - d.maxspan_ns : 0;
    if (d.distinct) {  // the value in the key's binary form
      Value v[EvalContext::kMaxValues];
      if (ExtractValues(d.distinct_field, ctx, v) == 0) return 0;
      value.clear();
      AppendBinary(v[0], &value);
    }
    KeyState* ks = FindOrCreate(sr);
    sr.Touch(ks, ts);
    std::size_t n = 0;
    if (d.distinct) {
      auto& vs = ks->values;
      vs.erase(std::remove_if(vs.begin(), vs.end(), [&](const auto& x) { return x.second < floor; }), vs.end());
      auto found = std::find_if(vs.begin(), vs.end(), [&](const auto& x) { return x.first == value; });
      if (found != vs.end()) found->second = ts;
      else vs.emplace_back(value, ts);
      n = vs.size();
    } else {
      auto& tv = ks->times;
      tv.erase(std::remove_if(tv.begin(), tv.end(), [&](uint64_t t) { return t < floor; }), tv.end());
      tv.push_back(ts);
      n = tv.size();
    }
    if (n < d.count) return 0;
    if (on_alert) on_alert(MakeAlert(d, d.steps[0].by, ctx, nullptr, n));
    sr.Erase(ks);  // start counting afresh
    return 1;
  }
};

SequenceEngine::SequenceEngine(SequenceOptions options) : st_(std::make_unique<State>()) {
  if (options.max_keys == 0) options.max_keys = 1;
  if (options.max_partials_per_key == 0) options.max_partials_per_key = 1;
  st_->options = options;
}
SequenceEngine::~SequenceEngine() = default;

void SequenceEngine::SetOptions(SequenceOptions options) {
  if (options.max_keys == 0) options.max_keys = 1;
  if (options.max_partials_per_key == 0) options.max_partials_per_key = 1;
  st_->options = options;
}

void SequenceEngine::SetRuleset(std::shared_ptr<const Ruleset> ruleset) {
  State& s = *st_;
  std::vector<std::unique_ptr<SeqRuntime>> next;
  s.counters.state_carried = 0;
  if (ruleset) {
    for (const auto& def : ruleset->impl_->sequences) {
      if (!def->active) continue;
      auto rt = std::make_unique<SeqRuntime>();
      rt->def = def.get();
      for (auto& old : s.seqs) {
        if (!old || old->def->info.name != def->info.name || old->def->fingerprint != def->fingerprint) continue;
        rt = std::move(old);  // same definition: keep its partial matches
        rt->def = def.get();
        ++s.counters.state_carried;
        break;
      }
      next.push_back(std::move(rt));
    }
  }
  s.seqs = std::move(next);
  for (auto& b : s.by_type) b.clear();
  if (ruleset) {
    // The ruleset's per-type step lists (specialised conditions; until first, later steps
    // before earlier ones), renumbered to the runtimes of the active sequences.
    const Ruleset::Impl& impl = *ruleset->impl_;
    std::vector<int64_t> runtime_of(impl.sequences.size(), -1);
    for (uint32_t i = 0; i < s.seqs.size(); ++i)
      for (std::size_t k = 0; k < impl.sequences.size(); ++k)
        if (impl.sequences[k].get() == s.seqs[i]->def) runtime_of[k] = i;
    for (std::size_t t = 0; t < kEventTypeCount; ++t)
      for (const TypedStep& ts : impl.steps_by_type[t])
        if (runtime_of[ts.seq] >= 0)
          s.by_type[t].push_back(Entry{static_cast<uint32_t>(runtime_of[ts.seq]), ts.step, ts.condition.get()});
  }
  const uint32_t slots = ruleset ? ruleset->impl_->memo_slots : 0;
  s.memo.gen.assign(slots, 0);
  s.memo.value.assign(slots, 0);
  s.memo.current = 0;
  s.ruleset = std::move(ruleset);
}

bool SequenceEngine::Begin(const Event& ev) {
  State& s = *st_;
  const auto t = static_cast<std::size_t>(ev.type);
  if (t >= kEventTypeCount || !s.ruleset) return false;
  if (ev.ts_ns > s.now) s.now = ev.ts_ns;
  if ((++s.events & 1023) == 0)
    for (auto& sr : s.seqs) s.Expire(*sr);
  return !s.by_type[t].empty();
}

bool SequenceEngine::Uses(const Ruleset& ruleset) const { return st_->ruleset.get() == &ruleset; }

std::size_t SequenceEngine::Process(const Event& ev, const ProcessTable& table,
                                    const std::function<void(const Alert&)>& on_alert) {
  if (!Begin(ev)) return 0;
  State& s = *st_;
  const Ruleset::Impl& impl = *s.ruleset->impl_;
  EvalContext ctx(ev, table, impl.users.get(), impl.hostname);
  if (++s.memo.current == 0) {
    std::fill(s.memo.gen.begin(), s.memo.gen.end(), 0);
    s.memo.current = 1;
  }
  ctx.set_memo(&s.memo);
  return Run(ctx, on_alert);
}

std::size_t SequenceEngine::Run(EvalContext& ctx, const std::function<void(const Alert&)>& on_alert) {
  State& s = *st_;
  const auto& bucket = s.by_type[static_cast<std::size_t>(ctx.ev().type)];
  std::size_t alerts = 0;
  for (const Entry& e : bucket) {
    SeqRuntime& sr = *s.seqs[e.seq];
    const CompiledSequence& d = *sr.def;
    if (e.step != 0 && sr.keys.empty()) continue;  // nothing to advance or end
    if (sr.tail) s.Expire(sr);
    if (e.step < 0) {
      if (!e.cond->Eval(ctx) || !s.BuildKey(d.until_by, ctx)) continue;
      auto it = sr.keys.find(s.key);
      if (it != sr.keys.end()) sr.Erase(&it->second);
      continue;
    }
    const CompiledStep& step = d.steps[static_cast<std::size_t>(e.step)];
    if (!e.cond->Eval(ctx)) continue;  // %stepN checks pass here: a prefilter
    ++s.counters.step_matches;
    if (!s.BuildKey(step.by, ctx)) continue;
    alerts += d.threshold ? s.Threshold(sr, ctx, on_alert)
                          : s.Step(sr, static_cast<std::size_t>(e.step), *e.cond, ctx, on_alert);
  }
  s.counters.alerts += alerts;
  return alerts;
}

std::size_t SequenceEngine::sequence_count() const { return st_->seqs.size(); }
uint64_t SequenceEngine::step_matches() const { return st_->counters.step_matches; }

SequenceStats SequenceEngine::stats() const {
  SequenceStats out = st_->counters;
  out.keys_live = out.partials_live = out.state_bytes = 0;
  for (const auto& sr : st_->seqs) {
    out.keys_live += sr->keys.size();
    // Hash table buckets + one node per key (key string, state, list links).
    out.state_bytes += sr->keys.bucket_count() * sizeof(void*);
    for (const auto& [k, ks] : sr->keys) {
      out.state_bytes += sizeof(std::pair<const std::string, KeyState>) + 2 * sizeof(void*);
      if (k.capacity() > 15) out.state_bytes += k.capacity() + 1;
      out.partials_live += ks.partials.size() + ks.times.size() + ks.values.size();
      out.state_bytes += ks.partials.capacity() * sizeof(Partial) + ks.times.capacity() * sizeof(uint64_t) +
                         ks.values.capacity() * sizeof(std::pair<std::string, uint64_t>);
      for (const auto& p : ks.partials) {
        out.state_bytes += p.caps.capacity() * sizeof(CapturedValue);
        for (const auto& c : p.caps)
          if (c.str.capacity() > 15) out.state_bytes += c.str.capacity() + 1;
      }
      for (const auto& v : ks.values)
        if (v.first.capacity() > 15) out.state_bytes += v.first.capacity() + 1;
    }
  }
  return out;
}

}  // namespace vigil
