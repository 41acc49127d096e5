// stdout_sink.h — writes one record per line to standard output (or another inherited fd).
// Owner: a QueuedSink worker thread (see sink.h). Not thread safe by itself.
#pragma once

#include <unistd.h>

#include <string>

#include "vigil/sink.h"

namespace vigil {

class StdoutSink final : public Sink {
 public:
  // `fd` is borrowed, never closed (tests pass a pipe).
  explicit StdoutSink(int fd = STDOUT_FILENO) : fd_(fd) {}
  std::string_view kind() const noexcept override { return "stdout"; }
  std::size_t Write(std::span<const FormattedAlert> records) noexcept override;

 private:
  int fd_;
  std::string buffer_;
};

}  // namespace vigil
