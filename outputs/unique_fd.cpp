#include "vigil/unique_fd.h"

#include <sys/socket.h>

#include <cerrno>

namespace vigil {

bool WriteAll(int fd, std::string_view data, bool is_socket, std::size_t* written) noexcept {
  if (written) *written = 0;
  while (!data.empty()) {
    const ssize_t n = is_socket ? ::send(fd, data.data(), data.size(), MSG_NOSIGNAL)
                                : ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
    if (written) *written += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace vigil
