// ruleset.h — a compiled, immutable set of rules indexed by event type, and evaluation.
// Built by rule_loader.h. Owned through shared_ptr<const Ruleset>; every method is const
// and thread safe (the user database refresh inside is internally synchronised).
// Evaluate() is the hot path: it allocates nothing when no rule matches (scratch space is
// on the stack), and builds one Alert per match.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vigil/alert.h"
#include "vigil/container_store.h"
#include "vigil/event.h"
#include "vigil/event_types.h"
#include "vigil/open_prefilter.h"
#include "vigil/priority.h"
#include "vigil/process_table.h"
#include "vigil/sequence_engine.h"

namespace vigil {

enum class MatchMode : uint8_t {
  kAll,    // every matching rule alerts (default)
  kFirst,  // only the first matching rule, in load order
};

struct RuleInfo {
  std::string name;
  std::string description;
  Priority priority = Priority::kWarning;
  std::vector<std::string> tags;
  std::string source = "syscall";
  bool enabled = true;     // active in this ruleset
  std::string condition;   // the condition as written (after append/override)
  std::string file;        // where the rule was defined
  int line = 0;
  std::vector<std::string> event_types;  // empty = every type
};

class Ruleset {
 public:
  ~Ruleset();
  Ruleset(const Ruleset&) = delete;
  Ruleset& operator=(const Ruleset&) = delete;

  // Calls on_match for each matching active rule (one call in MatchMode::kFirst).
  // Returns the number of matches. `containers` (optional) supplies container.*/k8s.*
  // metadata; without it those fields read <NA> (container.id still works).
  std::size_t Evaluate(const Event& ev, const ProcessTable& table,
                       const std::function<void(const Alert&)>& on_match,
                       const ContainerStore* containers = nullptr) const;
  // The daemon's path: the rules, then `sequences` (which must have been given this ruleset;
  // otherwise it is fed separately, as by SequenceEngine::Process) in the same per-event
  // context, so the process/fd lookups and shared macro results are computed once. Rule
  // alerts come first, then sequence alerts, all through on_match; returns their number.
  // Sequence steps see container metadata from `containers` like rules do.
  std::size_t Evaluate(const Event& ev, const ProcessTable& table,
                       const std::function<void(const Alert&)>& on_match,
                       const ContainerStore* containers, SequenceEngine* sequences) const;
  // Counts matching rules without building alerts (benchmarks, tests); never allocates.
  std::size_t CountMatches(const Event& ev, const ProcessTable& table,
                           const ContainerStore* containers = nullptr) const;

  // Event types some active rule or sequence step can match (kernel syscall-interest bitmap).
  // A rule without an evt.type restriction makes every type interesting.
  std::bitset<kEventTypeCount> InterestingEventTypes() const;

  // The kernel open prefilter these rules allow (open_prefilter.h): the opened paths and
  // modes some active rule can match. Disabled (with the reason) when a rule needs every
  // open. Also lists the files the rules name exactly (watched_files), on or off. Cold path.
  OpenPrefilter DeriveOpenPrefilter() const;

  // Some active rule or sequence reads proc.env (condition, output, key or capture): the
  // sensor then captures each new process's environment at exec (Sensor::SetEnvCapture).
  bool ReadsProcessEnv() const;

  std::size_t rule_count() const;          // active rules
  // Sequence and threshold rules (`sequence:` items), evaluated by a SequenceEngine.
  std::size_t sequence_count() const;      // active sequences
  std::vector<SequenceInfo> sequences() const;  // every compiled sequence, load order

  // Self-check (tests): evaluates, on `ev`, every active rule's and sequence step's condition
  // as compiled and as specialised for ev's event type (what Evaluate and the sequence
  // engine run), without memo; returns how many disagree (0 when the specialisation is
  // right; `%stepN` comparisons are evaluated as the prefilter, without captures). Cold path.
  std::size_t SpecialisationMismatches(const Event& ev, const ProcessTable& table) const;

  std::vector<RuleInfo> rules() const;     // every compiled rule, active or not, load order
  MatchMode mode() const;
  const std::string& hostname() const;

  struct Impl;

 private:
  explicit Ruleset(std::unique_ptr<Impl> impl);
  OpenPrefilter DerivePathFilter() const;  // DeriveOpenPrefilter without watched_files
  std::unique_ptr<Impl> impl_;
  friend class RulesetBuilder;
  friend class SequenceEngine;
};

}  // namespace vigil
