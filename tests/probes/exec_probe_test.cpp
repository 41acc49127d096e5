// Kernel test: loads the real probes, execs a child with a unique argv, reads the exec
// record back from the ring buffer. Fails (never skips) when the kernel refuses the probes.
#include <bpf/libbpf.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "vigil.skel.h"
#include "wire.h"

namespace {

struct Seen {
  pid_t child = 0;
  bool found = false;
  std::string filename;
  uint32_t ppid = 0;
};

int OnRecord(void* ctx, void* data, size_t size) {
  auto* seen = static_cast<Seen*>(ctx);
  if (size < sizeof(vigil_hdr)) return 0;
  const auto* hdr = static_cast<const vigil_hdr*>(data);
  if (hdr->type != VIGIL_REC_EXEC || size < sizeof(vigil_exec_rec)) return 0;
  const auto* rec = static_cast<const vigil_exec_rec*>(data);
  if (static_cast<pid_t>(hdr->tgid) == seen->child) {
    seen->found = true;
    seen->filename.assign(rec->filename, strnlen(rec->filename, sizeof(rec->filename)));
    seen->ppid = rec->ppid;
  }
  return 0;
}

TEST(ExecProbe, SeesChildExec) {
  vigil_bpf* skel = vigil_bpf__open();
  ASSERT_NE(skel, nullptr) << "open: " << strerror(errno);
  skel->rodata->self_tgid = 0;
  int err = vigil_bpf__load(skel);
  ASSERT_EQ(err, 0) << "load refused: " << strerror(-err);
  err = vigil_bpf__attach(skel);
  ASSERT_EQ(err, 0) << "attach refused: " << strerror(-err);

  Seen seen;
  ring_buffer* rb = ring_buffer__new(bpf_map__fd(skel->maps.events), OnRecord, &seen, nullptr);
  ASSERT_NE(rb, nullptr);

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    execl("/bin/true", "true", "vigil-exec-probe-marker", static_cast<char*>(nullptr));
    _exit(127);
  }
  seen.child = child;
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!seen.found && std::chrono::steady_clock::now() < deadline) {
    ring_buffer__poll(rb, 100);
  }
  ring_buffer__free(rb);
  vigil_bpf__destroy(skel);

  ASSERT_TRUE(seen.found) << "no exec record for child " << child;
  EXPECT_EQ(seen.filename, "/bin/true");
  EXPECT_EQ(seen.ppid, static_cast<uint32_t>(getpid()));
}

}  // namespace
