// field_extract.h — per-event evaluation context and field extraction (the hot path).
// Engine-internal. An EvalContext lives on the evaluating thread's stack for one event; it
// caches the process / parent / fd lookups and owns a fixed scratch arena for rendered
// values, so extraction never allocates. Not thread safe (one per evaluation).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "field_table.h"
#include "vigil/container_store.h"
#include "vigil/event.h"
#include "vigil/field_registry.h"
#include "vigil/process_table.h"
#include "vigil/user_db.h"

namespace vigil {

struct IpAddr {
  uint8_t len = 0;  // 4 or 16; 0 = none
  std::array<uint8_t, 16> bytes{};
};

// One extracted value. Small and trivially copyable (hot path): an address (kIp) is a
// view of its 4 or 16 bytes in `str`.
struct Value {
  enum class Kind : uint8_t { kNone, kStr, kNum, kBool, kIp };
  Kind kind = Kind::kNone;
  int64_t num = 0;
  std::string_view str;
  const uint8_t* ip_bytes() const noexcept { return reinterpret_cast<const uint8_t*>(str.data()); }
};

enum class Transformer : uint8_t { kToLower, kToUpper, kB64, kBasename, kLen };

// A field reference resolved at compile time.
// What extraction reads on every event comes first (one cache line with the check using it).
struct FieldRef {
  FieldId id = FieldId::kCount;
  FieldType type = FieldType::kCharbuf;  // type after transformers
  ArgId arg = ArgId::kCount;             // evt.arg.<name> resolved
  bool arg_by_index = false;             // evt.arg[n]
  bool multi = false;                    // may yield several values (any-of semantics)
  int index = -1;                        // [n] argument (-1: none)
  std::vector<Transformer> transformers; // innermost first
  std::string key;                       // [key] argument / evt.arg.<name>
  std::string display;                   // "proc.aname[2]" as written (without transformers)
};

// The file/socket view of the event (fd.* fields), computed once per event.
struct FdView {
  bool valid = false;
  char typechar = 'o';
  std::string_view type_name;
  int64_t num = -1;
  bool has_num = false;
  std::string_view name, nameraw;
  uint16_t family = 0;
  uint8_t l4proto = 0;
  bool has_addrs = false;
  IpAddr local, remote;
  uint16_t lport = 0, rport = 0;
  bool is_server = false;
  bool connected = false;
};

// A field value remembered by a sequence step (`%step1.fd.name`), owned by the sequence
// engine's partial match: strings and addresses keep their bytes in `str`.
struct CapturedValue {
  Value::Kind kind = Value::Kind::kNone;
  int64_t num = 0;
  std::string str;
  Value view() const noexcept {
    Value v;
    v.kind = kind;
    v.num = num;
    v.str = str;
    return v;
  }
};

// Per-thread memo of shared sub-tree results, invalidated per event by bumping `current`.
struct EvalMemo {
  std::vector<uint32_t> gen;
  std::vector<uint8_t> value;
  uint32_t current = 0;
};

class EvalContext {
 public:
  static constexpr std::size_t kArenaSize = 16384;
  static constexpr int kMaxValues = 32;
  static constexpr int kMaxAncestors = 64;

  EvalContext(const Event& ev, const ProcessTable& table, const UserDb* users,
              std::string_view hostname) noexcept
      : ev_(ev), table_(table), users_(users), hostname_(hostname) {}

  const Event& ev() const noexcept { return ev_; }
  EvalMemo* memo() const noexcept { return memo_; }
  void set_memo(EvalMemo* m) noexcept { memo_ = m; }
  const ProcessTable& table() const noexcept { return table_; }
  // Captured step values of the sequence partial match being tested (nullptr: none, then a
  // `%stepN` comparison is optimistically true, which makes the condition a prefilter).
  const CapturedValue* captures() const noexcept { return captures_; }
  void set_captures(const CapturedValue* c) noexcept { captures_ = c; }
  std::string_view hostname() const noexcept { return hostname_; }

  const Process* proc() noexcept;
  const Process* parent() noexcept;
  const Process* Ancestor(int n) noexcept;  // 0 = self
  const FdView& fd() noexcept;
  const UserDb::Snapshot* users() noexcept;
  // The metadata of the event process's container (nullptr: host, no store, not fetched yet).
  const ContainerInfo* container() noexcept;
  void set_containers(const ContainerStore* store) noexcept { containers_ = store; }

  // Scratch memory valid until the context dies; nullptr when exhausted.
  char* Alloc(std::size_t n) noexcept;
  std::string_view Store(std::string_view s) noexcept;
  std::size_t arena_exhausted() const noexcept { return arena_exhausted_; }

 private:
  void ComputeFd() noexcept;
  std::string_view AbsPath(std::string_view path, int64_t dirfd) noexcept;

  const Event& ev_;
  const ProcessTable& table_;
  const UserDb* users_;
  std::string_view hostname_;
  EvalMemo* memo_ = nullptr;
  const CapturedValue* captures_ = nullptr;
  bool proc_done_ = false, parent_done_ = false, fd_done_ = false, users_done_ = false;
  const Process* proc_ = nullptr;
  const Process* parent_ = nullptr;
  FdView fd_;
  std::shared_ptr<const UserDb::Snapshot> user_snap_;
  const ContainerStore* containers_ = nullptr;
  bool container_done_ = false;
  std::shared_ptr<const ContainerInfo> container_;
  std::size_t arena_used_ = 0;
  std::size_t arena_exhausted_ = 0;
  char arena_[kArenaSize];

  friend std::string_view AbsolutePathFor(EvalContext& ctx, std::string_view path, int64_t dirfd) noexcept;
};

// container.* / k8s.* fields that need runtime metadata (container_fields.cpp); returns the
// value count like ExtractValues.
int ExtractContainerField(const FieldRef& ref, EvalContext& ctx, Value* out) noexcept;

// Makes `path` absolute against dirfd (AT_FDCWD: the process cwd); result in the arena.
std::string_view AbsolutePathFor(EvalContext& ctx, std::string_view path, int64_t dirfd) noexcept;

// Extracts up to EvalContext::kMaxValues values of `ref` (transformers applied); returns the
// count (0 = <NA>).
int ExtractValues(const FieldRef& ref, EvalContext& ctx, Value* out) noexcept;

// Renders one value as output text ("<NA>" for none) into the arena.
std::string_view RenderValue(const FieldRef& ref, const Value& v, EvalContext& ctx) noexcept;

// Resolves "proc.aname[2]" / "evt.arg.flags" / transformers into a FieldRef. On failure
// returns false and sets *error.
struct FieldRefAst;
bool ResolveFieldRef(const FieldRefAst& ast, FieldRef* out, std::string* error);

// Parses an IPv4/IPv6 address.
bool ParseIp(std::string_view s, IpAddr* out);

}  // namespace vigil
