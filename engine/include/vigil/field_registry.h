// field_registry.h — every field a condition or output may use (Falco's names and types).
// Owned by the engine. The table is static, immutable data: thread safe, and lookups are
// cold-path only (rule compilation, `vigil list-fields`); evaluation uses pre-resolved ids.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace vigil {

// Falco's field types, as `vigil list-fields` prints them.
enum class FieldType : uint8_t {
  kCharbuf,  // string
  kInt64,
  kUint64,
  kBool,
  kIpAddr,   // IPv4/IPv6 address; compares against addresses
  kIpNet,    // address matched against CIDR networks (fd.net...)
  kPort,     // uint16
  kAbsTime,  // ns since the epoch
  kRelTime,  // ns duration
  kFlags,    // rendered symbolic flags (string ops) backed by a number
};
std::string_view FieldTypeName(FieldType t) noexcept;

// Whether and how a field takes a `[...]` argument.
enum class FieldArg : uint8_t {
  kNone,
  kIndexOptional,  // proc.aname or proc.aname[2]
  kIndexRequired,
  kKeyOptional,    // proc.env or proc.env[HOME]
  kKeyRequired,    // container.mount.dest[/etc]
  kArgName,        // evt.arg.flags, evt.arg[0], evt.rawarg.flags
};

struct FieldInfo {
  std::string_view name;
  FieldType type;
  FieldArg arg;
  std::string_view description;
  uint16_t id;  // engine-internal extractor id
};

// All fields in list-fields order.
const std::vector<FieldInfo>& AllFields();
// Exact name lookup ("proc.aname", "evt.arg"); nullptr when unknown.
const FieldInfo* FindField(std::string_view name) noexcept;

}  // namespace vigil
