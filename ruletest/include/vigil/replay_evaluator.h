// replay_evaluator.h — evaluates a ruleset over recorded events (the JSON Lines stream that
// `vigil record` writes, see state/include/vigil/event_jsonl.h and docs/events.md).
// For each event: Upsert the acting-process snapshot (when the line has one), then
// ProcessTable::Apply(event), then Ruleset::Evaluate, then the sequence engine (sequence and
// threshold rules, windows on event time) — the same order as the live daemon.
// Owner: ruletest (used by `vigil replay` and `vigil test`). Cold/warm path: allocates per
// event (the JSONL reader does). Not thread safe: one instance per thread.
#pragma once

#include <cstddef>
#include <functional>
#include <istream>
#include <memory>
#include <string>
#include <string_view>

#include "vigil/alert.h"
#include "vigil/event_jsonl.h"
#include "vigil/process_table.h"
#include "vigil/ruleset.h"
#include "vigil/sequence_engine.h"

namespace vigil {

struct ReplayStats {
  std::size_t events = 0;     // good events evaluated
  std::size_t process_records = 0;  // {"record":"proc"} lines (format 2)
  std::size_t alerts = 0;     // alerts produced
  std::size_t bad_lines = 0;  // malformed lines skipped
};

using AlertCallback = std::function<void(const Alert&)>;
// Receives "line N: what" for each malformed line.
using ReplayErrorCallback = std::function<void(const std::string&)>;

class ReplayEvaluator {
 public:
  explicit ReplayEvaluator(std::shared_ptr<const Ruleset> ruleset, SequenceOptions sequence_options = {});

  // Upserts parsed.process (if any); for an event line, applies the event, evaluates it
  // (a process record or header line stops after the upsert). Returns the number of
  // alerts passed to on_alert. `raw_line` (the JSON the event came from, optional) lets an fd
  // the table does not know be seeded from the line's fd.num/fd.name/fd.type.
  std::size_t Feed(const ParsedEvent& parsed, const AlertCallback& on_alert,
                   std::string_view raw_line = {});

  // Reads a whole JSON Lines stream (blank lines ignored, malformed lines reported through
  // on_error and skipped). Stats accumulate over calls.
  const ReplayStats& ReplayStream(std::istream& in, const AlertCallback& on_alert,
                                  const ReplayErrorCallback& on_error);

  ProcessTable& table() noexcept { return table_; }
  SequenceEngine& sequences() noexcept { return sequences_; }
  const ReplayStats& stats() const noexcept { return stats_; }

 private:
  void SeedUnknownFd(const ParsedEvent& parsed, std::string_view raw_line);

  std::shared_ptr<const Ruleset> ruleset_;
  ProcessTable table_;
  SequenceEngine sequences_;
  ReplayStats stats_;
};

}  // namespace vigil
