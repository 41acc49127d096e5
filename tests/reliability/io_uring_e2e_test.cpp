// Kernel suite (issue 13): io_uring reads and writes of files the rules watch, through the
// real daemon (open prefilter on, as installed). The fds come from opens the daemon never
// saw: made before it started and inherited by the child that does the io_uring work, so
// only the request's own file can name them. The child is this test's own; alerts are
// matched by its pid and the test's temporary paths.
#include <fcntl.h>
#include <liburing.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../support/vigil_process.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::FindAlert;
using testing::ReadJsonLines;
using testing::TempDir;
using testing::VigilProcess;
using testing::WaitUntil;

// In a child: one io_uring READ of rfd and one WRITE to wfd (both inherited). Returns the
// child's pid; *ok is false when a request failed.
pid_t UringReadWrite(int rfd, int wfd, bool* ok) {
  pid_t pid = fork();
  if (pid == 0) {
    io_uring ring{};
    if (io_uring_queue_init(4, &ring, 0) != 0) _exit(3);
    auto run = [&] {
      io_uring_cqe* cqe = nullptr;
      if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe) != 0) return -1;
      int res = cqe->res;
      io_uring_cqe_seen(&ring, cqe);
      return res;
    };
    char buf[8];
    io_uring_prep_read(io_uring_get_sqe(&ring), rfd, buf, sizeof(buf), 0);
    if (run() <= 0) _exit(4);
    io_uring_prep_write(io_uring_get_sqe(&ring), wfd, "entry\n", 6, 0);
    if (run() != 6) _exit(5);
    io_uring_queue_exit(&ring);
    _exit(0);
  }
  int status = -1;
  waitpid(pid, &status, 0);
  *ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return pid;
}


TEST(IoUringE2E, ReadsAndWritesOfWatchedFilesThroughInheritedFdsAlert) {
  TempDir dir;
  const std::string secret = dir.Write("secret", "top secret\n");
  const std::string log = dir.Write("audit.log", "");
  const std::string other = dir.Write("other", "not watched\n");
  // Opened before the daemon starts: it never sees these opens.
  int rfd = open(secret.c_str(), O_RDONLY | O_CLOEXEC);
  int wfd = open(log.c_str(), O_WRONLY | O_CLOEXEC);
  int ofd = open(other.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(rfd, 0);
  ASSERT_GE(wfd, 0);
  ASSERT_GE(ofd, 0);
  std::string rules = dir.Write(
      "rules.yaml",
      "- rule: IoUring Watched Read\n  desc: test rule\n"
      "  condition: evt.type in (read, readv) and fd.name = " + secret + "\n"
      "  output: read (file=%fd.name uring=%evt.is_io_uring pid=%proc.pid)\n"
      "  priority: WARNING\n"
      "- rule: IoUring Watched Write\n  desc: test rule\n"
      "  condition: evt.type in (write, writev) and fd.name = " + log + "\n"
      "  output: write (file=%fd.name uring=%evt.is_io_uring pid=%proc.pid)\n"
      "  priority: WARNING\n");
  std::string config = dir.Write("vigil.yaml", "rules_files: [" + rules + "]\n"
                                               "sensor: {ring_buffer_mb: 8}\n"
                                               "outputs:\n"
                                               "  stdout: {enabled: false}\n"
                                               "  file: {enabled: true, path: " +
                                                   dir.path() + "/alerts.jsonl}\n");
  VigilProcess vigil({"run", "-c", config}, dir.path() + "/vigil.log");
  ASSERT_TRUE(vigil.WaitForLog("probes attached", 60s)) << vigil.Log();
  const std::string alerts_path = dir.path() + "/alerts.jsonl";

  const nlohmann::json* rd = nullptr;
  const nlohmann::json* wr = nullptr;
  std::vector<nlohmann::json> alerts;
  pid_t child = -1;
  // The first requests may race the daemon's last set-up steps: repeat until seen.
  WaitUntil(
      [&] {
        bool ok = false;
        child = UringReadWrite(rfd, wfd, &ok);
        EXPECT_TRUE(ok) << "io_uring requests failed in the child";
        return WaitUntil(
            [&] {
              alerts = ReadJsonLines(alerts_path);
              rd = FindAlert(alerts, "IoUring Watched Read", child);
              wr = FindAlert(alerts, "IoUring Watched Write", child);
              return rd && wr;
            },
            1500ms);
      },
      15s);
  ASSERT_NE(rd, nullptr) << vigil.Log();
  ASSERT_NE(wr, nullptr) << vigil.Log();
  EXPECT_EQ((*rd)["output_fields"]["fd.name"], secret);
  EXPECT_EQ((*rd)["output_fields"]["evt.is_io_uring"], true);
  EXPECT_EQ((*wr)["output_fields"]["fd.name"], log);
  close(rfd);
  close(wfd);
  close(ofd);
  EXPECT_EQ(vigil.Stop(), 0);
}

}  // namespace
}  // namespace vigil
