// Fuzz target: the kernel record decoder (transport/record_decoder.h). Any bytes must decode
// or be rejected without reading outside the record; every string view of a decoded event
// must be readable (ASan checks each byte), and the event must survive the JSON Lines
// writer and reader (what `vigil record` / `vigil replay` do with it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "vigil/event_jsonl.h"
#include "vigil/record_decoder.h"

namespace {

volatile unsigned char g_sink;

void Touch(std::string_view s) {
  unsigned char acc = 0;
  for (char c : s) acc = static_cast<unsigned char>(acc ^ static_cast<unsigned char>(c));
  g_sink = acc;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The ring hands out 8-byte aligned records: copy to an exact-size aligned buffer so
  // ASan flags any read past `size`.
  std::vector<uint64_t> aligned((size + 7) / 8 + 1);
  std::memcpy(aligned.data(), data, size);
  static vigil::RecordDecoder decoder(0);
  vigil::Event ev;
  vigil::DecodeResult r = decoder.Decode(aligned.data(), size, &ev);
  if (r != vigil::DecodeResult::kEvent) return 0;
  if (ev.nargs > ev.args.size()) std::abort();
  for (uint8_t i = 0; i < ev.nargs; ++i) {
    if (ev.args[i].is_str) Touch(ev.args[i].str);
  }
  if (ev.exec) {
    for (std::string_view s : {ev.exec->filename, ev.exec->exepath, ev.exec->comm, ev.exec->args,
                               ev.exec->env, ev.exec->cwd, ev.exec->cgroup})
      Touch(s);
  }
  std::string line;
  vigil::AppendEventJsonl(ev, nullptr, nullptr, &line);
  if (line.empty() || line.back() != '\n') std::abort();
  vigil::ParsedEvent parsed;
  std::string error;
  line.pop_back();
  (void)vigil::ParseEventJsonl(line, &parsed, &error);
  return 0;
}
