// record_writer.h — writes a `vigil record` stream (format 2, docs/events.md): a header line,
// then for each event the process records it needs (the acting process and its ancestors,
// each written once and again only when its details change: exec, setuid, chdir, pid reuse),
// then the event line, which refers to its process by proc.pid. The environment is left out
// unless options.with_env. Owner: `vigil record`. Cold/warm path (allocates per event, like
// the JSONL codec); not thread safe: one writer per recording.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "vigil/event.h"
#include "vigil/event_jsonl.h"
#include "vigil/fd_info.h"
#include "vigil/process.h"
#include "vigil/process_table.h"

namespace vigil {

class RecordWriter {
 public:
  explicit RecordWriter(JsonlWriteOptions options) : options_(options) {}

  // The first line of a recording.
  void AppendHeader(const std::string& hostname, uint64_t started_ns, std::string* out) const;

  // Appends the event, preceded by the process records the reader does not have yet.
  // `proc` is the acting process after table.Apply(ev) (may be null); ancestors are looked
  // up in `table` (up to kMaxAncestors) so proc.pname/aname work on replay.
  void Append(const Event& ev, const Process* proc, const FdInfo* fd, const ProcessTable& table,
              std::string* out);

  std::size_t process_records() const noexcept { return process_records_; }
  static constexpr int kMaxAncestors = 8;

 private:
  void EnsureProcess(const Process& p, std::string* out);

  JsonlWriteOptions options_;
  std::unordered_map<uint32_t, Process> written_;  // pid -> details last written
  std::size_t process_records_ = 0;
};

// True when a and b would be written as the same process record (env compared only when
// with_env; the `exited` bookkeeping flag is ignored).
bool SameProcessRecord(const Process& a, const Process& b, bool with_env);

}  // namespace vigil
