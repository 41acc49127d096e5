// alert_time.h — timestamp renderings used by the alert formats (UTC, nanoseconds).
// Owner: outputs stage. Pure functions, thread safe, no allocation beyond the result.
#pragma once

#include <cstdint>
#include <string>

namespace vigil {

// "2026-11-24T15:37:51.123456789Z" (Falco's JSON "time", ECS "@timestamp").
std::string FormatIso8601Nanos(uint64_t ts_ns);
// "2026-11-24T15:37:51.123456Z" (RFC 5424 allows at most 6 fraction digits).
std::string FormatIso8601Micros(uint64_t ts_ns);
// "15:37:51.123456789" (Falco's %evt.time, used as the prefix of the output line).
std::string FormatClockNanos(uint64_t ts_ns);
// "Nov 24 15:37:51" (RFC 3164 timestamp for the local /dev/log socket).
std::string FormatRfc3164Time(uint64_t ts_ns);

}  // namespace vigil
