// arg_render.h — renders numeric syscall arguments the way Falco prints them (O_* open flags,
// S_I* modes, PTRACE_* requests, AF_* domains, CLONE_* flags, BPF_* commands, SIG* signals,
// CAP_* sets, errno names). Engine-internal; hot path: writes into a caller buffer, never
// allocates. Thread safe (pure functions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "vigil/event.h"

namespace vigil {

// A bounded output buffer; Append() truncates silently when full.
struct CharSink {
  char* data;
  std::size_t cap;
  std::size_t len = 0;
  void Append(std::string_view s) noexcept {
    std::size_t n = s.size() < cap - len ? s.size() : cap - len;
    for (std::size_t i = 0; i < n; ++i) data[len + i] = s[i];
    len += n;
  }
  void AppendChar(char c) noexcept {
    if (len < cap) data[len++] = c;
  }
  void AppendInt(int64_t v) noexcept;
  std::string_view view() const noexcept { return {data, len}; }
};

// True when the argument has a symbolic rendering for this event type; writes it to out.
// Returns false for plain numbers (the caller prints the decimal value).
bool RenderSymbolicArg(EventType type, ArgId id, int64_t value, CharSink* out) noexcept;

// "CAP_CHOWN CAP_KILL ..." (Falco's order: by capability number).
void RenderCapabilities(uint64_t caps, CharSink* out) noexcept;

// open, openat, openat2, creat: events that open a path (fd.* comes from their arguments).
bool IsOpenFamily(EventType t) noexcept;

// Events whose fd.* comes from the socket tuple the probe read (not the user-space fd table).
bool IsSocketTupleEvent(EventType t) noexcept;

// "ENOENT" for -2 / 2; empty when unknown.
std::string_view ErrnoName(int64_t res) noexcept;

// Open family helpers on raw O_* bits.
bool OpenFlagsRead(int64_t flags) noexcept;
bool OpenFlagsWrite(int64_t flags) noexcept;
bool OpenFlagsCreate(int64_t flags) noexcept;
bool OpenFlagsDirectory(int64_t flags) noexcept;

}  // namespace vigil
