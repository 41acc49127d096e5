// event_jsonl.h — JSON Lines codec for decoded events: what `vigil record` writes and
// `vigil replay` reads. One object per line, Falco field names; the schema is documented in
// docs/events.md. Three kinds of line: an event (optionally with its acting process inline,
// format 1 and rule tests), a process record {"record":"proc","proc":{...}} (format 2: a
// process's details once, events then refer to it by proc.pid) and a header
// {"record":"header",...}. The reader rebuilds an identical vigil::Event (+ Process).
// Owner: sensor. Cold/warm path (allocates per event; not used by the live daemon's hot
// path). Writer functions are thread safe; a JsonlReader is single threaded.
#pragma once

#include <cstddef>
#include <deque>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/event.h"
#include "vigil/fd_info.h"
#include "vigil/process.h"

namespace vigil {

// What the writer leaves out. The environment holds secrets (tokens, passwords): a
// recording carries it only when asked for.
struct JsonlWriteOptions {
  bool with_env = true;
};

// Appends one JSON object and '\n' to *out: the event, plus "proc" (a snapshot of the acting
// process) when proc is non-null, plus "fd.num"/"fd.name"/"fd.type" when fd is non-null.
// Strings that are not valid UTF-8 have the bad bytes replaced (U+FFFD).
void AppendEventJsonl(const Event& ev, const Process* proc, const FdInfo* fd, std::string* out,
                      const JsonlWriteOptions& options = {});

// Appends a process record line: {"record":"proc","proc":{...}}.
void AppendProcessRecordJsonl(const Process& proc, std::string* out,
                              const JsonlWriteOptions& options = {});

// Appends the header line a format-2 recording starts with:
// {"record":"header","format":2,"env":<with_env>,"hostname":...,"started_ns":...}.
void AppendRecordHeaderJsonl(const std::string& hostname, uint64_t started_ns,
                             std::string* out, const JsonlWriteOptions& options = {});

// The kind of a parsed line.
enum class JsonlKind { kEvent, kProcess, kHeader };

// One parsed line: an Event whose string views point into this object's own storage.
// Not copyable or movable (the Event points into it); reuse one instance per line.
struct ParsedEvent {
  ParsedEvent() = default;
  ParsedEvent(const ParsedEvent&) = delete;
  ParsedEvent& operator=(const ParsedEvent&) = delete;

  JsonlKind kind = JsonlKind::kEvent;  // kProcess: only `process` is set; kHeader: nothing
  Event event;
  std::optional<Process> process;  // from "proc": Upsert it before Apply(event)
  ExecInfo exec;
  ForkInfo fork;
  std::deque<std::string> strings;  // owned storage for the views (stable addresses)
};

// Parses one line. On failure returns false and sets *error (without a line number).
bool ParseEventJsonl(std::string_view line, ParsedEvent* out, std::string* error);

// Reads a stream line by line (every kind of line: check ParsedEvent::kind). Malformed lines are skipped and reported with their line
// number; blank lines are ignored.
class JsonlReader {
 public:
  explicit JsonlReader(std::istream& in) : in_(in) {}
  // Parses the next good line into *out; false at end of input.
  bool Next(ParsedEvent* out);
  std::size_t line_number() const noexcept { return line_; }
  std::size_t bad_lines() const noexcept { return bad_; }
  // "line 12: <what>" for the most recent malformed line, empty if none.
  const std::string& last_error() const noexcept { return last_error_; }
  // Called for each malformed line ("line N: ..."); default: none.
  void set_error_callback(void (*cb)(const std::string&, void*), void* ctx) {
    on_error_ = cb;
    on_error_ctx_ = ctx;
  }

 private:
  std::istream& in_;
  std::string buf_;
  std::size_t line_ = 0;
  std::size_t bad_ = 0;
  std::string last_error_;
  void (*on_error_)(const std::string&, void*) = nullptr;
  void* on_error_ctx_ = nullptr;
};

}  // namespace vigil
