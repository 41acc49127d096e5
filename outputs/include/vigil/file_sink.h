// file_sink.h — appends one record per line (JSON Lines) to a file.
// Reopen() closes and reopens the path (after logrotate renamed it; the daemon calls it on
// SIGUSR1/SIGHUP). A failed write is counted and the file is reopened once and the write
// retried. A write cut short (disk full, or a crash mid-write found when the file is opened)
// leaves a torn line: the next write starts on a new line, so later records stay parseable.
// Owner: a QueuedSink worker thread. Not thread safe by itself.
#pragma once

#include <string>

#include "vigil/sink.h"
#include "vigil/unique_fd.h"

namespace vigil {

struct FileSinkOptions {
  std::string path = "/var/log/vigil/alerts.jsonl";
  unsigned mode = 0640;  // permissions when the file is created
};

class FileSink final : public Sink {
 public:
  explicit FileSink(FileSinkOptions options);
  // Opens the file now so configuration errors surface at start-up. "" when it opened,
  // else "path: strerror".
  std::string Open() noexcept;
  std::string_view kind() const noexcept override { return "file"; }
  std::size_t Write(std::span<const FormattedAlert> records) noexcept override;
  void Reopen() noexcept override;

 private:
  bool WriteBuffer() noexcept;

  FileSinkOptions options_;
  UniqueFd fd_;
  std::string buffer_;
  bool torn_ = false;  // the file ends inside a record: start the next write with '\n'
};

}  // namespace vigil
