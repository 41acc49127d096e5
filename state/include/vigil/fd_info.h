// fd_info.h — what vigil knows about one open file descriptor of a process.
// Owned by FdTable; read by the engine's fd.* extractors. Plain data, not thread safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace vigil {

enum class FdType : uint8_t {
  kUnknown, kFile, kDirectory, kIpv4, kIpv6, kUnix, kPipe, kEvent, kSignalfd, kEventpoll,
  kInotify, kTimerfd, kNetlink, kMemfd, kBpf, kUserfaultfd, kIoUring
};

// Falco's fd.typechar letter ('f', '4', '6', 'u', 'p', 'e', 's', 'l', 'i', 't', 'n', 'm', 'b', 'o').
char FdTypeChar(FdType t) noexcept;
// Falco's fd.type word ("file", "ipv4", "ipv6", "unix", "pipe", ...).
const char* FdTypeName(FdType t) noexcept;

struct FdInfo {
  FdType type = FdType::kUnknown;
  std::string name;         // path, or "sip:sport->dip:dport", or unix path
  uint64_t open_flags = 0;
  uint16_t family = 0;
  uint8_t l4proto = 0;      // IPPROTO_*
  std::array<uint8_t, 16> sip{}, dip{};  // client/server as Falco: s* = local for client role
  uint16_t sport = 0, dport = 0;
  bool is_server = false;   // accepted / listening side
  bool connected = false;
};

}  // namespace vigil
