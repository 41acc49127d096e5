// spool_record.h — the payload of one disk-spool record: the alert as the sink formatted
// it, plus the few alert fields sinks read besides the text (priority and time for the
// syslog header, hostname/rule/source/priority for the NATS subject, uuid for Redis).
// Binary, little-endian: u8 version (1), u8 priority, u64 ts_ns, 36 bytes uuid, then
// u32-length-prefixed hostname, rule, source, text.
// Owner: QueuedSink's worker thread. Pure functions, thread safe. Not on the event path.
#pragma once

#include <string>
#include <string_view>

#include "vigil/alert.h"

namespace vigil {

// Appends the record for (`alert`, its formatted `text`) to *out (cleared first).
void EncodeSpoolRecord(const Alert& alert, std::string_view text, std::string* out);
// Decodes a payload: fills alert->{priority, ts_ns, uuid, hostname, rule, source} and
// *text. Returns false if the payload is malformed (counted as corrupted by the caller).
bool DecodeSpoolRecord(std::string_view payload, Alert* alert, std::string* text);

}  // namespace vigil
