// record_decoder.h — turns one binary ring-buffer record (probes/wire.h) into a vigil::Event.
// Owner: sensor (transport). Hot path: no allocation, no exceptions; malformed input is
// reported as a result (callers count it), never trusted. Not thread safe: one decoder
// per consuming thread. The decoded Event's string views point into the record and into
// this decoder's own buffers: valid until the next Decode() call.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vigil/event.h"

namespace vigil {

enum class DecodeResult : uint8_t {
  kEvent,      // *out holds an event
  kSkipped,    // well-formed but nothing to report (syscall vigil does not know)
  kMalformed,  // truncated / corrupt record: dropped and counted
};

class RecordDecoder {
 public:
  // boot_to_wall_ns: added to the probes' boot-time stamps to get wall-clock ns.
  explicit RecordDecoder(int64_t boot_to_wall_ns = BootToWallOffsetNs()) noexcept
      : boot_to_wall_ns_(boot_to_wall_ns) {}
  RecordDecoder(const RecordDecoder&) = delete;
  RecordDecoder& operator=(const RecordDecoder&) = delete;

  DecodeResult Decode(const void* data, std::size_t size, Event* out) noexcept;

  // CLOCK_REALTIME - CLOCK_BOOTTIME, sampled now (cold path; call once at start).
  static int64_t BootToWallOffsetNs() noexcept;
  int64_t boot_to_wall_ns() const noexcept { return boot_to_wall_ns_; }

 private:
  DecodeResult DecodeSyscall(const unsigned char* p, std::size_t size, Event* out) noexcept;
  DecodeResult DecodeExec(const unsigned char* p, std::size_t size, Event* out) noexcept;
  DecodeResult DecodeFork(const unsigned char* p, std::size_t size, Event* out) noexcept;
  DecodeResult DecodeExit(const unsigned char* p, std::size_t size, Event* out) noexcept;
  DecodeResult DecodeThrottle(const unsigned char* p, std::size_t size, Event* out) noexcept;
  // Joins dir + "/" + rel with "." / ".." folded into the arena; rel alone when no dir.
  // rooted: dir is a chroot's root and rel is under it even when absolute (JoinPath).
  std::string_view Resolve(std::string_view dir, std::string_view rel, bool rooted = false) noexcept;
  // "<truncated>" + tail in the arena: a path walk that stopped before the root.
  std::string_view TruncatedPath(std::string_view tail) noexcept;

  int64_t boot_to_wall_ns_;
  ExecInfo exec_;
  ForkInfo fork_;
  static constexpr std::size_t kArenaBytes = 3 * 8192;
  std::array<char, kArenaBytes> arena_{};
  std::size_t arena_used_ = 0;
  std::array<char, 256> throttle_types_{};  // "openat=17000 connect=3 other=0"
};

// Path normalisation used by the decoder: joins `dir` and `rel` (rel may be absolute, then
// dir is ignored) into buf, folding "//", "." and "..". `rooted`: dir is the caller's root
// directory (a chroot) and rel, even absolute, is under it; ".." stops at that root as the
// kernel's lookup does. Returns a view into buf, or rel unchanged when buf is too small.
// Exposed for tests.
std::string_view JoinPath(std::string_view dir, std::string_view rel, char* buf,
                          std::size_t cap, bool rooted = false) noexcept;

}  // namespace vigil
