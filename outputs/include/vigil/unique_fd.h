// unique_fd.h — RAII owner of a file descriptor (closes on destruction), plus WriteAll.
// Owner: outputs stage. Not thread safe (one owner). Used on sink worker threads.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <string_view>
#include <utility>

namespace vigil {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const noexcept { return fd_; }
  bool valid() const noexcept { return fd_ >= 0; }
  int release() noexcept { return std::exchange(fd_, -1); }
  void reset(int fd = -1) noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Writes all of `data` (retrying EINTR and short writes). Sockets use send(MSG_NOSIGNAL).
// Returns false with errno set on failure; `written` (optional) gets the bytes written.
bool WriteAll(int fd, std::string_view data, bool is_socket = false,
              std::size_t* written = nullptr) noexcept;

}  // namespace vigil
