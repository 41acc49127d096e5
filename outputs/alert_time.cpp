#include "vigil/alert_time.h"

#include <ctime>

#include <fmt/format.h>

namespace vigil {
namespace {

struct SplitTime {
  std::tm tm{};
  uint64_t nanos = 0;
};

SplitTime Split(uint64_t ts_ns) {
  SplitTime s;
  const auto secs = static_cast<std::time_t>(ts_ns / 1'000'000'000ULL);
  s.nanos = ts_ns % 1'000'000'000ULL;
  gmtime_r(&secs, &s.tm);
  return s;
}

}  // namespace

std::string FormatIso8601Nanos(uint64_t ts_ns) {
  const SplitTime s = Split(ts_ns);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", s.tm.tm_year + 1900,
                     s.tm.tm_mon + 1, s.tm.tm_mday, s.tm.tm_hour, s.tm.tm_min, s.tm.tm_sec,
                     s.nanos);
}

std::string FormatIso8601Micros(uint64_t ts_ns) {
  const SplitTime s = Split(ts_ns);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", s.tm.tm_year + 1900,
                     s.tm.tm_mon + 1, s.tm.tm_mday, s.tm.tm_hour, s.tm.tm_min, s.tm.tm_sec,
                     s.nanos / 1000);
}

std::string FormatClockNanos(uint64_t ts_ns) {
  const SplitTime s = Split(ts_ns);
  return fmt::format("{:02}:{:02}:{:02}.{:09}", s.tm.tm_hour, s.tm.tm_min, s.tm.tm_sec,
                     s.nanos);
}

std::string FormatRfc3164Time(uint64_t ts_ns) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const SplitTime s = Split(ts_ns);
  return fmt::format("{} {:>2} {:02}:{:02}:{:02}", kMonths[s.tm.tm_mon % 12], s.tm.tm_mday,
                     s.tm.tm_hour, s.tm.tm_min, s.tm.tm_sec);
}

}  // namespace vigil
