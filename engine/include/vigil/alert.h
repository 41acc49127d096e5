// alert.h — one rule match, ready for the outputs stage.
// Produced by the engine (owns all strings, so it can cross threads into sink queues).
// Plain data; the fields mirror Falco's JSON alert: time, rule, priority, source, hostname,
// output, output_fields, tags.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "vigil/priority.h"

namespace vigil {

// A field value as Falco puts it into output_fields: string, integer, or null (<NA>).
struct AlertField {
  enum class Kind : uint8_t { kNull, kString, kInt, kUint, kBool };
  std::string name;     // "proc.name"
  Kind kind = Kind::kNull;
  std::string str;
  int64_t i = 0;
  uint64_t u = 0;
  bool b = false;
};

// The field's value as Falco prints it in text: the string, the number, true/false, or
// "<NA>" when null.
std::string AlertFieldText(const AlertField& f);

struct Alert {
  uint64_t ts_ns = 0;              // event time, ns since the epoch
  std::string rule;
  Priority priority = Priority::kWarning;
  std::string source = "syscall";
  std::string hostname;
  std::string output;              // rendered output line (without time/priority prefix)
  std::vector<AlertField> output_fields;
  std::vector<std::string> tags;
  uint64_t suppressed = 0;         // dedup/throttle: alerts folded into this one
  // Idempotency key: an RFC 4122 version-4 UUID in text form ("xxxxxxxx-xxxx-4xxx-..."),
  // assigned by the outputs stage when the alert is raised and kept across disk spool and
  // replay, so receivers can drop duplicates (at-least-once delivery). All '\0' = unset.
  std::array<char, 36> uuid{};
  bool has_uuid() const noexcept { return uuid[0] != '\0'; }
};

}  // namespace vigil
