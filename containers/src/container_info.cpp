// container_info.cpp — image reference splitting, RFC 3339 times, lookups (container_info.h).
#include "vigil/container_info.h"

#include <time.h>

#include <cctype>
#include <cstdlib>

namespace vigil {
namespace {

std::string_view Find(const KeyValues& kv, std::string_view key) {
  for (const auto& [k, v] : kv)
    if (k == key) return v;
  return {};
}

std::size_t Str(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

}  // namespace

std::string_view ContainerInfo::Label(std::string_view key) const { return Find(labels, key); }
std::string_view ContainerInfo::PodLabel(std::string_view key) const { return Find(pod_labels, key); }

std::size_t ContainerInfo::MemoryBytes() const {
  std::size_t n = sizeof(*this);
  for (const std::string* s : {&id, &name, &image, &image_repository, &image_tag, &image_digest,
                               &image_id, &ip, &pod_name, &pod_uid, &pod_namespace, &sandbox_id,
                               &source})
    n += Str(*s);
  n += mounts.capacity() * sizeof(ContainerMount);
  for (const auto& m : mounts) n += Str(m.source) + Str(m.dest) + Str(m.mode) + Str(m.propagation);
  for (const KeyValues* kv : {&labels, &pod_labels}) {
    n += kv->capacity() * sizeof(KeyValues::value_type);
    for (const auto& [k, v] : *kv) n += Str(k) + Str(v);
  }
  return n;
}

void SplitImageRef(std::string_view ref, std::string* repository, std::string* tag,
                   std::string* digest) {
  repository->clear();
  tag->clear();
  digest->clear();
  auto at = ref.find('@');
  if (at != std::string_view::npos) {
    digest->assign(ref.substr(at + 1));
    ref = ref.substr(0, at);
  }
  auto slash = ref.rfind('/');
  auto colon = ref.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    tag->assign(ref.substr(colon + 1));
    ref = ref.substr(0, colon);
  }
  repository->assign(ref);
}

uint64_t ParseRfc3339Ns(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (s.size() < 20) return 0;
  auto num = [&](std::size_t pos, std::size_t len, int* out) {
    int v = 0;
    for (std::size_t i = pos; i < pos + len; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  struct tm tm {};
  int y, mo, d, h, mi, sec;
  if (!num(0, 4, &y) || s[4] != '-' || !num(5, 2, &mo) || s[7] != '-' || !num(8, 2, &d) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !num(11, 2, &h) || s[13] != ':' ||
      !num(14, 2, &mi) || s[16] != ':' || !num(17, 2, &sec))
    return 0;
  if (y < 1970) return 0;  // Go's zero time "0001-01-01T00:00:00Z": not started
  std::size_t i = 19;
  uint64_t frac = 0;
  int digits = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (digits < 9) {
        frac = frac * 10 + static_cast<uint64_t>(s[i] - '0');
        ++digits;
      }
      ++i;
    }
  }
  while (digits < 9) {
    frac *= 10;
    ++digits;
  }
  int64_t offset_s = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh = 0, om = 0;
    if (i + 6 > s.size() || !num(i + 1, 2, &oh) || !num(i + 4, 2, &om)) return 0;
    offset_s = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
  } else if (i >= s.size() || (s[i] != 'Z' && s[i] != 'z')) {
    return 0;
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  time_t t = timegm(&tm);
  if (t < 0) return 0;
  return static_cast<uint64_t>(t - offset_s) * 1'000'000'000ULL + frac;
}

}  // namespace vigil
