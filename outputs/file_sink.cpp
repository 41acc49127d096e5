#include "vigil/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vigil {

FileSink::FileSink(FileSinkOptions options) : options_(std::move(options)) {}

std::string FileSink::Open() noexcept {
  // O_RDWR: the last byte is read back below.
  fd_.reset(::open(options_.path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC,
                   static_cast<mode_t>(options_.mode)));
  if (!fd_.valid()) return options_.path + ": " + std::strerror(errno);
  // A file that does not end with a newline (an earlier write cut short, by this process or
  // one that crashed mid-write): the next record starts on a new line.
  struct stat st{};
  char last = '\n';
  torn_ = ::fstat(fd_.get(), &st) == 0 && st.st_size > 0 &&
          ::pread(fd_.get(), &last, 1, st.st_size - 1) == 1 && last != '\n';
  return {};
}

void FileSink::Reopen() noexcept { Open(); }

std::size_t FileSink::Write(std::span<const FormattedAlert> records) noexcept {
  buffer_.clear();
  for (const FormattedAlert& r : records) {
    buffer_.append(r.text);
    buffer_.push_back('\n');
  }
  if (fd_.valid() && WriteBuffer()) return records.size();
  // Disk full, file removed under us, fd never opened...: reopen once and retry.
  if (Open().empty() && WriteBuffer()) return records.size();
  return 0;
}

bool FileSink::WriteBuffer() noexcept {
  if (torn_) {
    if (!WriteAll(fd_.get(), "\n")) return false;
    torn_ = false;
  }
  std::size_t written = 0;
  if (WriteAll(fd_.get(), buffer_, false, &written)) return true;
  torn_ = written > 0;
  return false;
}

}  // namespace vigil
