// Kernel test: `vigil record` end to end — runs the real binary (VIGIL_BINARY), performs
// actions in a child, stops the recorder with SIGINT (a process this test started) and
// reads the JSON Lines back with the codec.
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "vigil/event_jsonl.h"
#include "vigil/process_table.h"

namespace vigil {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(RecordCli, RecordsChildActivityUntilSigint) {
  const char* bin = getenv("VIGIL_BINARY");
  ASSERT_NE(bin, nullptr) << "VIGIL_BINARY not set";
  char tmpl[] = "/tmp/vigil-record-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string out = dir + "/events.jsonl", err = dir + "/stderr.txt";
  const std::string marker = dir + "/marker-file";

  pid_t rec = fork();
  ASSERT_GE(rec, 0);
  if (rec == 0) {
    int fd = open(err.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0600);
    dup2(fd, 2);
    execl(bin, bin, "record", "-w", out.c_str(), "--filter-syscalls", "openat,execve,procexit",
          "--with-env",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  // wait until the recorder is attached (it prints its first line then)
  for (int i = 0; i < 200 && ReadAll(err).find("writing") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(ReadAll(err).find("writing"), std::string::npos) << ReadAll(err);

  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    execl("/bin/sh", "sh", "-c", ("echo hi > " + marker + "; exit 3").c_str(),
          static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_EQ(WEXITSTATUS(status), 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(kill(rec, SIGINT), 0);
  ASSERT_EQ(waitpid(rec, &status, 0), rec);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << ReadAll(err);
  const std::string errtext = ReadAll(err);
  EXPECT_NE(errtext.find("events written"), std::string::npos) << errtext;
  EXPECT_NE(errtext.find("drops "), std::string::npos) << errtext;

  struct stat st {};
  ASSERT_EQ(stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "a recording must not be readable by other users";

  std::ifstream in(out);
  JsonlReader reader(in);
  ParsedEvent pe;
  ProcessTable table;
  bool saw_exec = false, saw_open = false, saw_exit = false, saw_header = false;
  bool self_env = false;  // the probes do not read envp at exec: the /proc snapshot does
  const uint32_t kid = static_cast<uint32_t>(child);
  while (reader.Next(&pe)) {
    if (pe.kind == JsonlKind::kHeader) saw_header = true;
    if (pe.process) {
      // Format 2: events carry no process, process records precede them.
      EXPECT_EQ(pe.kind, JsonlKind::kProcess);
      if (pe.process->pid == static_cast<uint32_t>(getpid()) && !pe.process->env.empty())
        self_env = true;  // this test process: the child's parent, from the snapshot
      table.Upsert(*pe.process);
    }
    if (pe.kind != JsonlKind::kEvent) continue;
    table.Apply(pe.event);
    if (pe.event.tgid != kid) continue;
    const Process* proc = table.Find(kid);
    if (pe.event.type == EventType::kExecve && pe.event.exec) {
      saw_exec = pe.event.exec->exepath.find("sh") != std::string_view::npos;
      ASSERT_NE(proc, nullptr);
      EXPECT_EQ(proc->ppid, static_cast<uint32_t>(getpid()));
      EXPECT_EQ(proc->comm, "sh");
    }
    if (pe.event.type == EventType::kOpenat) {
      const Arg* name = pe.event.Find(ArgId::kName);
      if (name && name->str == marker) {
        saw_open = true;
        EXPECT_GE(pe.event.res, 0);
        ASSERT_NE(proc, nullptr);
        EXPECT_EQ(proc->cmdline.rfind("sh -c echo hi", 0), 0u) << proc->cmdline;
      }
    }
    if (pe.event.type == EventType::kProcExit) {
      saw_exit = true;
      EXPECT_EQ(pe.event.exit_code, 3);
    }
  }
  EXPECT_EQ(reader.bad_lines(), 0u) << reader.last_error();
  EXPECT_TRUE(saw_exec);
  EXPECT_TRUE(saw_open);
  EXPECT_TRUE(saw_exit);
  EXPECT_TRUE(saw_header);
  EXPECT_TRUE(self_env) << "--with-env must record the environment";
  std::string cmd = "rm -rf '" + dir + "'";
  ASSERT_EQ(system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace vigil
