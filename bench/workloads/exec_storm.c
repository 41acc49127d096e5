/* exec_storm DURATION_S — fork + exec /bin/true in a loop for DURATION_S seconds and
 * prints {"workload":"exec","ops":N,"seconds":S}. One op = fork, execve, exit, wait. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double duration = argc > 1 ? atof(argv[1]) : 2.0;
  double start = now_s(), end = start + duration, t = start;
  unsigned long ops = 0;
  while (t < end) {
    pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/true", "true", (char *)NULL);
      _exit(127);
    }
    if (pid < 0) return 1;
    int st;
    waitpid(pid, &st, 0);
    ops++;
    t = now_s();
  }
  printf("{\"workload\":\"exec\",\"ops\":%lu,\"seconds\":%.6f}\n", ops, t - start);
  return 0;
}
