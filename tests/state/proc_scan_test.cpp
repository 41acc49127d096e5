// Unit tests for the /proc snapshot: this process and a child with a known argv (real
// /proc), and a crafted proc root with awkward contents (comm with ") ", deleted memfd exe,
// v1 cpuset cgroup with a container id).
#include "vigil/proc_scan.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>

namespace vigil {
namespace {

TEST(ProcScan, ReadsOwnProcess) {
  auto p = ReadProcProcess(static_cast<uint32_t>(getpid()));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->pid, static_cast<uint32_t>(getpid()));
  EXPECT_EQ(p->ppid, static_cast<uint32_t>(getppid()));
  EXPECT_EQ(p->sid, static_cast<uint32_t>(getsid(0)));
  EXPECT_EQ(p->uid, getuid());
  char exe[PATH_MAX];
  ASSERT_NE(realpath("/proc/self/exe", exe), nullptr);
  EXPECT_EQ(p->exepath, exe);
  char cwd[PATH_MAX];
  ASSERT_NE(getcwd(cwd, sizeof(cwd)), nullptr);
  EXPECT_EQ(p->cwd, cwd);
  struct stat st {};
  ASSERT_EQ(stat(exe, &st), 0);
  EXPECT_EQ(p->exe_ino, st.st_ino);
  EXPECT_TRUE(p->from_snapshot);
  EXPECT_FALSE(p->cgroup.empty());
  EXPECT_FALSE(p->env.empty());
  EXPECT_GT(p->start_ts_ns, 0u);
}

TEST(ProcScan, ReadsChildArgvAndScanFindsIt) {
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    execl("/bin/sleep", "sleep", "30", static_cast<char*>(nullptr));
    _exit(127);
  }
  std::optional<Process> p;
  // exec sets comm before the new argv is in place (begin_new_exec runs before the ELF loader
  // fills mm->arg_start): wait for both, and long enough for a loaded machine.
  for (int i = 0; i < 1000; ++i) {
    p = ReadProcProcess(static_cast<uint32_t>(child));
    if (p && p->comm == "sleep" && !p->args.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto all = ScanProc();
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->comm, "sleep");
  EXPECT_EQ(p->exe, "sleep");
  EXPECT_EQ(p->args, std::vector<std::string>{"30"});
  EXPECT_EQ(p->cmdline, "sleep 30");
  EXPECT_EQ(p->ppid, static_cast<uint32_t>(getpid()));
  bool found = false;
  for (const auto& q : all) found = found || q.pid == static_cast<uint32_t>(child);
  EXPECT_TRUE(found);
  EXPECT_GT(all.size(), 2u);
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

TEST(ProcScan, ParsesCraftedProcRoot) {
  char tmpl[] = "/tmp/vigil-proc-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  const std::string dir = root + "/4242";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  Write(dir + "/stat",
        "4242 (we(ird) name) S 77 4242 4240 34817 4242 4194304 1 2 3 4 5 6 7 8 20 0 1 0 "
        "100 1000 10 18446744073709551615\n");
  Write(dir + "/status",
        "Name:\tx\nTgid:\t4242\nUid:\t1000\t1001\t1000\t1000\nGid:\t50\t51\t50\t50\n"
        "NSpid:\t4242\t7\nNSpgid:\t4242\t7\nCapInh:\t0000000000000000\n"
        "CapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n");
  Write(dir + "/cmdline", std::string("/usr/bin/x\0--flag\0value with space\0", 35));
  Write(dir + "/cgroup",
        "12:pids:/docker/abcdefabcdef0123456789\n5:cpuset:/docker/"
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n0::/\n");
  Write(dir + "/loginuid", "1000");
  Write(dir + "/environ", std::string("HOME=/root\0PATH=/bin\0", 21));
  ASSERT_EQ(symlink("/memfd:payload (deleted)", (dir + "/exe").c_str()), 0);
  ASSERT_EQ(symlink("/srv", (dir + "/cwd").c_str()), 0);
  ProcScanOptions o;
  o.proc_root = root;
  o.boot_wall_ns = 1000000000LL;
  auto p = ReadProcProcess(4242, o);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->comm, "we(ird) name");
  EXPECT_EQ(p->ppid, 77u);
  EXPECT_EQ(p->pgid, 4242u);
  EXPECT_EQ(p->sid, 4240u);
  EXPECT_EQ(p->tty, 34817u);
  EXPECT_EQ(p->uid, 1000u);
  EXPECT_EQ(p->euid, 1001u);
  EXPECT_EQ(p->gid, 50u);
  EXPECT_EQ(p->egid, 51u);
  EXPECT_EQ(p->vpid, 7u);
  EXPECT_EQ(p->cap_effective, 0xa80425fbULL);
  EXPECT_EQ(p->exe, "/usr/bin/x");
  EXPECT_EQ(p->args, (std::vector<std::string>{"--flag", "value with space"}));
  EXPECT_EQ(p->exepath, "/memfd:payload");
  EXPECT_TRUE(p->exe_from_memfd);
  EXPECT_EQ(p->cwd, "/srv");
  EXPECT_EQ(p->cgroup, "/docker/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  EXPECT_EQ(p->container_id, "0123456789ab");
  EXPECT_EQ(p->loginuid, 1000u);
  EXPECT_EQ(p->env, (std::vector<std::string>{"HOME=/root", "PATH=/bin"}));
  const long hz = sysconf(_SC_CLK_TCK);
  EXPECT_EQ(p->start_ts_ns, 1000000000ULL + 100ULL * (1000000000ULL / static_cast<uint64_t>(hz)));
  // a missing pid and a truncated stat are not processes
  EXPECT_FALSE(ReadProcProcess(4243, o).has_value());
  Write(dir + "/stat", "4242 (x) S 1");
  EXPECT_FALSE(ReadProcProcess(4242, o).has_value());
  ProcessTable table;
  table.SetResolver(ProcResolver(o));
  EXPECT_EQ(table.FindOrResolve(4242), nullptr);
  std::string cmd = "rm -rf '" + root + "'";
  ASSERT_EQ(system(cmd.c_str()), 0);
}

TEST(ProcScan, ResolverFillsUnknownTgids) {
  ProcessTable table;
  table.SetResolver(ProcResolver());
  const Process* p = table.FindOrResolve(static_cast<uint32_t>(getpid()));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->ppid, static_cast<uint32_t>(getppid()));
  EXPECT_GE(SnapshotProcesses(table), 2u);
  EXPECT_NE(table.Find(1), nullptr);
}

}  // namespace
}  // namespace vigil
