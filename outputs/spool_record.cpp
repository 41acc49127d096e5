#include "vigil/spool_record.h"

#include <cstdint>
#include <cstring>

namespace vigil {
namespace {

constexpr uint8_t kVersion = 1;

void PutString(std::string_view s, std::string* out) {
  const uint32_t n = static_cast<uint32_t>(s.size());
  out->append(reinterpret_cast<const char*>(&n), 4);
  out->append(s);
}

bool GetString(std::string_view* in, std::string* s) {
  uint32_t n;
  if (in->size() < 4) return false;
  std::memcpy(&n, in->data(), 4);
  in->remove_prefix(4);
  if (in->size() < n) return false;
  s->assign(in->data(), n);
  in->remove_prefix(n);
  return true;
}

}  // namespace

void EncodeSpoolRecord(const Alert& alert, std::string_view text, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(kVersion));
  out->push_back(static_cast<char>(alert.priority));
  out->append(reinterpret_cast<const char*>(&alert.ts_ns), 8);
  out->append(alert.uuid.data(), alert.uuid.size());
  PutString(alert.hostname, out);
  PutString(alert.rule, out);
  PutString(alert.source, out);
  PutString(text, out);
}

bool DecodeSpoolRecord(std::string_view in, Alert* alert, std::string* text) {
  if (in.size() < 2 + 8 + 36 || static_cast<uint8_t>(in[0]) != kVersion) return false;
  const auto priority = static_cast<uint8_t>(in[1]);
  if (priority > static_cast<uint8_t>(Priority::kDebug)) return false;
  alert->priority = static_cast<Priority>(priority);
  std::memcpy(&alert->ts_ns, in.data() + 2, 8);
  std::memcpy(alert->uuid.data(), in.data() + 10, 36);
  in.remove_prefix(46);
  return GetString(&in, &alert->hostname) && GetString(&in, &alert->rule) &&
         GetString(&in, &alert->source) && GetString(&in, text) && in.empty();
}

}  // namespace vigil
