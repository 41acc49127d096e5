#include "vigil/replay_evaluator.h"

#include <utility>

namespace vigil {

ReplayEvaluator::ReplayEvaluator(std::shared_ptr<const Ruleset> ruleset)
    : ruleset_(std::move(ruleset)) {}

std::size_t ReplayEvaluator::Feed(const ParsedEvent& parsed, const AlertCallback& on_alert) {
  if (parsed.process) table_.Upsert(*parsed.process);
  table_.Apply(parsed.event);
  ++stats_.events;
  if (!ruleset_) return 0;
  std::size_t n = ruleset_->Evaluate(parsed.event, table_, on_alert);
  stats_.alerts += n;
  return n;
}

const ReplayStats& ReplayEvaluator::ReplayStream(std::istream& in, const AlertCallback& on_alert,
                                                 const ReplayErrorCallback& on_error) {
  JsonlReader reader(in);
  if (on_error) {
    reader.set_error_callback(
        [](const std::string& message, void* ctx) {
          (*static_cast<const ReplayErrorCallback*>(ctx))(message);
        },
        const_cast<ReplayErrorCallback*>(&on_error));
  }
  ParsedEvent parsed;
  while (reader.Next(&parsed)) Feed(parsed, on_alert);
  stats_.bad_lines += reader.bad_lines();
  return stats_;
}

}  // namespace vigil
