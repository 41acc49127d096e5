// sequence_engine.h — stateful evaluation of sequence and threshold rules (the `sequence:`
// item, docs/rules.md "Sequence rules") over the event stream.
// Definitions are compiled into the immutable Ruleset (same conditions, fields, macros and
// lists as rules, steps indexed by event type); the partial matches live here, per sequence
// and per `by` key, bounded by SequenceOptions (the oldest key is evicted and counted).
// Windows use event time, so `vigil replay` of a recording gives the alerts the daemon gave.
// SetRuleset() on reload keeps the state of every sequence whose definition did not change.
// Owner: whoever feeds events (daemon event thread, ReplayEvaluator). Not thread safe: one
// instance per event stream. Process() is the hot path: it allocates nothing when no step
// matches (and nothing at all once warm unless a match creates state or an alert).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vigil/alert.h"
#include "vigil/event.h"
#include "vigil/priority.h"
#include "vigil/process_table.h"

namespace vigil {

class Ruleset;
class EvalContext;

struct SequenceInfo {
  std::string name;
  std::string description;
  Priority priority = Priority::kWarning;
  std::vector<std::string> tags;
  bool enabled = true;          // active in this ruleset
  bool threshold = false;       // threshold form (count / distinct) rather than ordered steps
  std::size_t steps = 0;
  uint64_t maxspan_ns = 0;
  std::vector<std::string> by;
  std::string file;
  int line = 0;
};

struct SequenceOptions {
  std::size_t max_keys = 10000;            // live keys per sequence; the least recently used goes
  std::size_t max_partials_per_key = 8;    // partial matches per key; the oldest goes
};

struct SequenceStats {
  uint64_t alerts = 0;
  uint64_t step_matches = 0;       // events that passed a step's condition (may create state)
  uint64_t keys_evicted = 0;       // cap reached: least recently used key dropped (metric)
  uint64_t partials_evicted = 0;   // per-key cap reached: oldest partial match dropped (metric)
  uint64_t keys_expired = 0;       // window passed (normal)
  uint64_t state_carried = 0;      // sequences whose state survived the last SetRuleset
  std::size_t keys_live = 0;
  std::size_t partials_live = 0;   // partial matches (ordered) + remembered events/values (threshold)
  std::size_t state_bytes = 0;     // approximate heap use of the state
};

// Parses a duration as sequence rules and rule tests write it: "500ms", "10s", "5m", "2h",
// "1d", "250us" (a bare number is seconds). False on anything else and on zero.
bool ParseDuration(const std::string& text, uint64_t* ns);

class SequenceEngine {
 public:
  explicit SequenceEngine(SequenceOptions options = {});
  ~SequenceEngine();
  SequenceEngine(const SequenceEngine&) = delete;
  SequenceEngine& operator=(const SequenceEngine&) = delete;

  // Installs the sequences of `ruleset` (may be null: none). State of a sequence whose name
  // and definition fingerprint are unchanged carries over; the rest starts empty. Cold path.
  void SetRuleset(std::shared_ptr<const Ruleset> ruleset);
  // Changes the caps (config reload); state above a new cap shrinks as keys are touched.
  void SetOptions(SequenceOptions options);

  // Feeds one event (after ProcessTable::Apply, like Ruleset::Evaluate). Calls on_alert for
  // each completed sequence / reached threshold; returns the number of alerts.
  // Ruleset::Evaluate(..., this) does the same inside the rules' evaluation, sharing its
  // per-event context (process/fd lookups, macro results): the daemon's path.
  std::size_t Process(const Event& ev, const ProcessTable& table,
                      const std::function<void(const Alert&)>& on_alert);

  std::size_t sequence_count() const;   // active sequences
  SequenceStats stats() const;          // walks the state for the live/bytes figures: not per event
  uint64_t step_matches() const;        // SequenceStats::step_matches without the walk

 private:
  // Ruleset::Evaluate's shared path: Begin() advances time/expiry and says whether a step
  // or until wants this event type; Run() evaluates them in `ctx` (the rules' context).
  bool Begin(const Event& ev);
  bool Uses(const Ruleset& ruleset) const;
  std::size_t Run(EvalContext& ctx, const std::function<void(const Alert&)>& on_alert);
  friend class Ruleset;

  struct State;
  std::unique_ptr<State> st_;
};

}  // namespace vigil
