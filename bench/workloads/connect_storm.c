/* connect_storm DURATION_S — a loopback TCP listener and a client that connects, accepts
 * and closes in a loop for DURATION_S seconds; prints
 * {"workload":"connect","ops":N,"seconds":S}. One op = socket+connect+accept+2 closes. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  double duration = argc > 1 ? atof(argv[1]) : 2.0;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(ls, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(ls, 128) != 0) {
    perror("listen");
    return 1;
  }
  socklen_t len = sizeof(addr);
  getsockname(ls, (struct sockaddr *)&addr, &len);
  double start = now_s(), end = start + duration, t = start;
  unsigned long ops = 0;
  while (t < end) {
    for (int i = 0; i < 100; i++) {
      int c = socket(AF_INET, SOCK_STREAM, 0);
      /* SO_LINGER 0: close with RST so TIME_WAIT does not exhaust loopback ports. */
      struct linger lg = {1, 0};
      setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
      if (connect(c, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        perror("connect");
        return 1;
      }
      int a = accept(ls, NULL, NULL);
      close(c);
      if (a >= 0) close(a);
    }
    ops += 100;
    t = now_s();
  }
  printf("{\"workload\":\"connect\",\"ops\":%lu,\"seconds\":%.6f}\n", ops, t - start);
  close(ls);
  return 0;
}
