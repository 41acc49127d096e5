#include "vigil/replay_evaluator.h"

#include <sys/socket.h>

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace vigil {
namespace {

// Events that create their fd: Apply() fills the table from the event itself.
bool CreatesFd(EventType t) {
  switch (t) {
    case EventType::kOpen: case EventType::kOpenat: case EventType::kOpenat2:
    case EventType::kCreat: case EventType::kSocket: case EventType::kAccept:
    case EventType::kAccept4: case EventType::kMemfdCreate:
      return true;
    default:
      return false;
  }
}

bool FdTypeFromName(std::string_view name, FdType* out) {
  for (int i = 0; i <= static_cast<int>(FdType::kIoUring); ++i) {
    const auto t = static_cast<FdType>(i);
    if (name == FdTypeName(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

}  // namespace

ReplayEvaluator::ReplayEvaluator(std::shared_ptr<const Ruleset> ruleset, SequenceOptions sequence_options)
    : ruleset_(std::move(ruleset)), sequences_(sequence_options) {
  sequences_.SetRuleset(ruleset_);
}

void ReplayEvaluator::SeedUnknownFd(const ParsedEvent& parsed, std::string_view raw_line) {
  const Event& ev = parsed.event;
  // Cheap checks first: most lines name no fd, or one the table already knows.
  if (CreatesFd(ev.type) || raw_line.find("\"fd.name\"") == std::string_view::npos) return;
  if (table_.Find(ev.tgid) == nullptr) return;  // never invent a process
  const nlohmann::json j = nlohmann::json::parse(raw_line.begin(), raw_line.end(), nullptr, false);
  if (!j.is_object()) return;
  const auto num = j.find("fd.num");
  const auto name = j.find("fd.name");
  if (num == j.end() || !num->is_number_integer() || name == j.end() || !name->is_string()) return;
  const int64_t fd = num->get<int64_t>();
  if (table_.FindFd(ev.tgid, fd) != nullptr) return;
  FdInfo info;
  info.name = name->get<std::string>();
  if (const auto type = j.find("fd.type"); type != j.end() && type->is_string()) {
    FdTypeFromName(type->get<std::string>(), &info.type);
  }
  if (info.type == FdType::kIpv4) info.family = AF_INET;
  if (info.type == FdType::kIpv6) info.family = AF_INET6;
  if (info.type == FdType::kUnix) info.family = AF_UNIX;
  table_.SetFd(ev.tgid, fd, std::move(info));
}

std::size_t ReplayEvaluator::Feed(const ParsedEvent& parsed, const AlertCallback& on_alert,
                                  std::string_view raw_line) {
  if (parsed.process) table_.Upsert(*parsed.process);
  if (parsed.kind != JsonlKind::kEvent) {  // a process record or the header: no event
    if (parsed.kind == JsonlKind::kProcess) ++stats_.process_records;
    return 0;
  }
  if (!raw_line.empty()) SeedUnknownFd(parsed, raw_line);
  table_.Apply(parsed.event);
  ++stats_.events;
  if (!ruleset_) return 0;
  const std::size_t n = ruleset_->Evaluate(parsed.event, table_, on_alert, nullptr, &sequences_);
  stats_.alerts += n;
  return n;
}

const ReplayStats& ReplayEvaluator::ReplayStream(std::istream& in, const AlertCallback& on_alert,
                                                 const ReplayErrorCallback& on_error) {
  // Same line handling as JsonlReader (blank lines skipped, trailing CR/space trimmed,
  // "line N: what" errors), keeping the raw line for SeedUnknownFd.
  std::string buf;
  std::size_t line_number = 0;
  ParsedEvent parsed;
  std::string error;
  while (std::getline(in, buf)) {
    ++line_number;
    std::string_view v(buf);
    while (!v.empty() && (v.back() == '\r' || v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
    if (v.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (!ParseEventJsonl(v, &parsed, &error)) {
      ++stats_.bad_lines;
      if (on_error) on_error("line " + std::to_string(line_number) + ": " + error);
      continue;
    }
    Feed(parsed, on_alert, v);
  }
  return stats_;
}

}  // namespace vigil
