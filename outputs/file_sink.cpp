#include "vigil/file_sink.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace vigil {

FileSink::FileSink(FileSinkOptions options) : options_(std::move(options)) {}

std::string FileSink::Open() noexcept {
  fd_.reset(::open(options_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
                   static_cast<mode_t>(options_.mode)));
  if (fd_.valid()) return {};
  return options_.path + ": " + std::strerror(errno);
}

void FileSink::Reopen() noexcept { Open(); }

std::size_t FileSink::Write(std::span<const FormattedAlert> records) noexcept {
  buffer_.clear();
  for (const FormattedAlert& r : records) {
    buffer_.append(r.text);
    buffer_.push_back('\n');
  }
  if (fd_.valid() && WriteAll(fd_.get(), buffer_)) return records.size();
  // Disk full, file removed under us, fd never opened...: reopen once and retry.
  // (A partial line from the failed attempt may precede the retried batch.)
  if (Open().empty() && WriteAll(fd_.get(), buffer_)) return records.size();
  return 0;
}

}  // namespace vigil
