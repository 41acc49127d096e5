// compat_syscall_table.h — the i386 syscall ABI (int $0x80, compat sysenter/syscall of a
// 64-bit task) mapped to vigil's event types, and the translation tables the probes use to
// turn a 32-bit call into the native number of the same event type (probes/lib/compat.bpf.h).
// An i386 number vigil has no event for maps to nothing: the probes drop it rather than
// decode it as the x86_64 call of the same number. socketcall is demultiplexed by its call
// number. Owner: sensor (transport). Immutable data; thread safe; not on the hot path (the
// probe tables are filled once before load).
#pragma once

#include <cstdint>
#include <optional>

#include "vigil/event_types.h"
#include "vigil/syscall_table.h"
#include "wire.h"

namespace vigil {

// Event type of an i386 syscall number; nullopt when vigil does not trace it (or it is
// socketcall, which CompatSocketcallType demultiplexes).
std::optional<EventType> CompatEventType(uint32_t i386_nr) noexcept;

// Event type of a socketcall call number (SYS_SOCKET, SYS_CONNECT... from <linux/net.h>).
std::optional<EventType> CompatSocketcallType(uint32_t call) noexcept;

// The i386 number of socketcall, -1 when the architecture has no compat ABI.
int CompatSocketcallNr() noexcept;

// Fills the probes' tables: i386 nr -> native nr of the same event type in `table`
// (VIGIL_COMPAT_NONE when none), socketcall call -> native nr.
void FillCompatTables(const SyscallTable& table, uint16_t (&nr)[VIGIL_NR_MAX],
                      uint16_t (&socketcall)[VIGIL_SOCKETCALL_MAX]) noexcept;

}  // namespace vigil
