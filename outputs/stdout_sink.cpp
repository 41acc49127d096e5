#include "vigil/stdout_sink.h"

#include "vigil/unique_fd.h"

namespace vigil {

std::size_t StdoutSink::Write(std::span<const FormattedAlert> records) noexcept {
  // One write per batch keeps lines whole when other writers share the fd.
  buffer_.clear();
  for (const FormattedAlert& r : records) {
    buffer_.append(r.text);
    buffer_.push_back('\n');
  }
  return WriteAll(fd_, buffer_) ? records.size() : 0;
}

}  // namespace vigil
