/* open_close_storm DURATION_S [PATH] [RATE] — opens and closes PATH in a loop for
 * DURATION_S seconds and prints {"workload":"open_close","ops":N,"seconds":S}. With RATE
 * (ops per second, 0 = as fast as possible) the loop is paced in 1 ms slices, for
 * sustained-rate drop tests. A vigil benchmark workload: one op = one openat + one close. */
#include <fcntl.h>
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
  double rate = argc > 3 ? atof(argv[3]) : 0.0;
  double start = now_s(), end = start + duration, t = start;
  unsigned long ops = 0;
  while (t < end) {
    if (rate > 0) {
      /* Paced: catch up to where the schedule says we should be, then sleep 1 ms. */
      unsigned long due = (unsigned long)((t - start) * rate);
      while (ops < due) {
        int fd = open(path, O_RDONLY);
        if (fd >= 0) close(fd);
        ops++;
      }
      struct timespec nap = {0, 1000000};
      nanosleep(&nap, NULL);
    } else {
      for (int i = 0; i < 1000; i++) {
        int fd = open(path, O_RDONLY);
        if (fd >= 0) close(fd);
      }
      ops += 1000;
    }
    t = now_s();
  }
  printf("{\"workload\":\"open_close\",\"ops\":%lu,\"seconds\":%.6f}\n", ops, t - start);
  return 0;
}
