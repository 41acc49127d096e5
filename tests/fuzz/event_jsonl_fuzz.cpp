// Fuzz target: the JSON Lines event reader (state/event_jsonl.h) that `vigil replay` feeds
// untrusted recordings to. Any line must parse or fail with a message; a parsed event must
// be writable again and its re-written form must parse too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vigil/event_jsonl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  vigil::ParsedEvent parsed;
  std::string error;
  if (!vigil::ParseEventJsonl(line, &parsed, &error)) {
    if (error.empty()) std::abort();
    return 0;
  }
  if (parsed.kind == vigil::JsonlKind::kHeader) return 0;
  std::string again;
  if (parsed.kind == vigil::JsonlKind::kProcess) {
    if (!parsed.process) std::abort();
    vigil::AppendProcessRecordJsonl(*parsed.process, &again);
  } else {
    vigil::AppendEventJsonl(parsed.event, parsed.process ? &*parsed.process : nullptr, nullptr,
                            &again);
  }
  if (again.empty() || again.back() != '\n') std::abort();
  again.pop_back();
  vigil::ParsedEvent reparsed;
  if (!vigil::ParseEventJsonl(again, &reparsed, &error)) std::abort();
  return 0;
}
