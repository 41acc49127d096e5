/* uring_read_storm DURATION_S [PATH] — reads the first 64 bytes of PATH through io_uring
 * (IORING_OP_READ on an fd opened once) in a loop for DURATION_S seconds and prints
 * {"workload":"uring_read","ops":N,"seconds":S}. A vigil benchmark workload: one op = one
 * io_uring READ request (submit + wait), what the io_uring completion probe sees. */
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double duration = argc > 1 ? atof(argv[1]) : 2.0;
  const char *path = argc > 2 ? argv[2] : "/etc/hostname";
  int fd = open(path, O_RDONLY);
  struct io_uring ring;
  if (fd < 0 || io_uring_queue_init(8, &ring, 0) != 0) {
    perror("uring_read_storm: set-up");
    return 1;
  }
  char buf[64];
  double start = now_s(), t = start;
  unsigned long ops = 0;
  while (t < start + duration) {
    for (int i = 0; i < 1000; i++) {
      struct io_uring_cqe *cqe;
      io_uring_prep_read(io_uring_get_sqe(&ring), fd, buf, sizeof(buf), 0);
      if (io_uring_submit_and_wait(&ring, 1) < 1 || io_uring_peek_cqe(&ring, &cqe) != 0) {
        perror("uring_read_storm: submit");
        return 1;
      }
      io_uring_cqe_seen(&ring, cqe);
    }
    ops += 1000;
    t = now_s();
  }
  io_uring_queue_exit(&ring);
  close(fd);
  printf("{\"workload\":\"uring_read\",\"ops\":%lu,\"seconds\":%.6f}\n", ops, t - start);
  return 0;
}
