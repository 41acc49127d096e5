// upstream_rules_fire_test.cpp — kernel tests: each upstream Falco stable rule
// (falco_rules.yaml) that applies to a host or a container without Kubernetes fires on the
// real behaviour it describes, and no other upstream rule fires for that process tree
// (unless listed as an expected co-firing). Container-scoped rules run inside a sandbox
// (cpuset cgroup named with a 64-hex id + new mount/uts/pid namespaces). See
// docs/detections.md for the per-rule table.
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fire_harness.h"

namespace vigil::fire {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kDirectoryTraversal = "Directory traversal monitored file read";
constexpr const char* kTrustedAfterStartup = "Read sensitive file trusted after startup";
constexpr const char* kUntrusted = "Read sensitive file untrusted";
constexpr const char* kRunShellUntrusted = "Run shell untrusted";
constexpr const char* kSystemUserInteractive = "System user interactive";
constexpr const char* kTerminalShellInContainer = "Terminal shell in container";
constexpr const char* kNetcatRce = "Netcat Remote Code Execution in Container";
constexpr const char* kSearchPrivateKeys = "Search Private Keys or Passwords";
constexpr const char* kClearLog = "Clear Log Activities";
constexpr const char* kRemoveBulkData = "Remove Bulk Data from Disk";
constexpr const char* kSymlinkOverSensitive = "Create Symlink Over Sensitive Files";
constexpr const char* kHardlinkOverSensitive = "Create Hardlink Over Sensitive Files";
constexpr const char* kPacketSocket = "Packet socket created in container";
constexpr const char* kRedirectStdout = "Redirect STDOUT/STDIN to Network Connection in Container";
constexpr const char* kModuleInjection = "Linux Kernel Module Injection Detected";
constexpr const char* kDebugfs = "Debugfs Launched in Privileged Container";
constexpr const char* kReleaseAgent = "Detect release_agent File Container Escapes";
constexpr const char* kPtraceAttached = "PTRACE attached to process";
constexpr const char* kPtraceAntiDebug = "PTRACE anti-debug attempt";
constexpr const char* kFindAwsCredentials = "Find AWS Credentials";
constexpr const char* kExecFromDevShm = "Execution from /dev/shm";
constexpr const char* kDropAndExecute = "Drop and execute new binary in container";
constexpr const char* kSshNonStandardPort = "Disallowed SSH Connection Non Standard Port";
constexpr const char* kFilelessMemfd = "Fileless execution via memfd_create";

class UpstreamRulesFire : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    harness_ = Harness::Start({}, &start_error_).release();
  }
  static void TearDownTestSuite() {
    delete harness_;
    harness_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(harness_, nullptr) << "harness: " << start_error_;
    ASSERT_NE(std::getenv("VIGIL_FIRE_HELPER"), nullptr) << "VIGIL_FIRE_HELPER is not set";
    ASSERT_FALSE(scratch_.path().empty());
    // Traversable by the unprivileged users some behaviours switch to.
    chmod(scratch_.path().c_str(), 0755);
  }

  static std::string Describe(const std::vector<FiredAlert>& alerts) {
    std::string s;
    for (const auto& a : alerts) {
      std::string lineage;
      for (uint32_t pid : a.lineage) lineage += " " + std::to_string(pid);
      s += "  [" + a.rule + "] lineage=" + lineage + " container=" + a.container_id +
           " | " + a.output + "\n";
    }
    return s.empty() ? "  (no alerts)\n" : s;
  }

  // Waits for every `expected` rule in root's tree, then checks that nothing else fired
  // there (besides `cofiring`) and that the alerting processes are in `container`.
  std::vector<FiredAlert> ExpectExactly(pid_t root, const std::set<std::string>& expected,
                                        const std::set<std::string>& cofiring = {},
                                        const std::string& container = "host") {
    EXPECT_GT(root, 0);
    const auto r = static_cast<uint32_t>(root);
    bool found = harness_->WaitForRules(r, expected, seconds(10));
    std::this_thread::sleep_for(milliseconds(150));  // late alerts of this tree
    std::vector<FiredAlert> alerts = harness_->AlertsOfTree(r);
    EXPECT_TRUE(found) << "expected rules did not all fire for tree " << root << ":\n"
                       << Describe(alerts) << "sensor drops=" << harness_->Stats().drops;
    std::set<std::string> seen;
    for (const auto& a : alerts) {
      seen.insert(a.rule);
      EXPECT_TRUE(expected.count(a.rule) || cofiring.count(a.rule))
          << "unexpected rule fired: " << a.rule << "\n" << Describe(alerts);
      if (expected.count(a.rule)) {
        EXPECT_EQ(a.container_id, container) << a.rule;
        std::string field = a.Field("container.id");
        if (field != "<absent>") {
          EXPECT_EQ(field, container) << a.rule;
        }
      }
    }
    for (const auto& e : expected) {
      EXPECT_TRUE(seen.count(e)) << "did not fire: " << e << " in tree " << root
                                 << "; this rule's alerts from any process:\n"
                                 << Describe(harness_->AlertsOfRule(e));
    }
    return alerts;
  }

  // Runs `body` inside a fresh container sandbox; returns the tree root's pid.
  pid_t RunInContainer(const Sandbox& box, const std::function<int()>& body, int* code) {
    return RunTree([&] { return box.EnterAndRun(body); }, code);
  }

  std::string Helper(const std::string& name) {
    std::string path = InstallHelper(scratch_.path(), name);
    EXPECT_FALSE(path.empty()) << "cannot install helper as " << name;
    return path;
  }

  // A log file (fd.filename in log_files) emptied by an open with O_TRUNC by the helper's
  // `action`: Clear Log Activities fires and nothing else. The file is a private copy named
  // auth.log: no real log is touched.
  void ExpectClearLogFires(const std::string& action) {
    std::string log = scratch_.Write("auth.log", "Nov 24 sshd[1]: Accepted password\n");
    std::string wiper = Helper("vigil-wiper");
    int code = -1;
    pid_t root = RunTree([&] { return Exec(wiper, {"vigil-wiper", action, log}); }, &code);
    ASSERT_EQ(code, 0);
    struct stat st {};
    ASSERT_EQ(stat(log.c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 0) << "the kernel did not truncate: the test proves nothing";
    auto alerts = ExpectExactly(root, {kClearLog});
    for (const auto& a : alerts) EXPECT_EQ(a.Field("fd.name"), log);
  }

  static Harness* harness_;
  static std::string start_error_;
  ScratchDir scratch_;
};

Harness* UpstreamRulesFire::harness_ = nullptr;
std::string UpstreamRulesFire::start_error_;

TEST_F(UpstreamRulesFire, UpstreamStableRulesLoad) {
  EXPECT_EQ(harness_->load_errors(), 0u);
  std::set<std::string> names;
  for (const auto& info : harness_->ruleset().rules()) {
    if (info.enabled) names.insert(info.name);
  }
  for (const char* rule :
       {kDirectoryTraversal, kTrustedAfterStartup, kUntrusted, kRunShellUntrusted,
        kSystemUserInteractive, kTerminalShellInContainer, kNetcatRce, kSearchPrivateKeys,
        kClearLog, kRemoveBulkData, kSymlinkOverSensitive, kHardlinkOverSensitive, kPacketSocket,
        kRedirectStdout, kModuleInjection, kDebugfs, kReleaseAgent, kPtraceAttached,
        kPtraceAntiDebug, kFindAwsCredentials, kExecFromDevShm, kDropAndExecute,
        kSshNonStandardPort, kFilelessMemfd}) {
    EXPECT_TRUE(names.count(rule)) << "not active: " << rule;
  }
}

// ---- host behaviours -------------------------------------------------------------------

TEST_F(UpstreamRulesFire, ReadSensitiveFileUntrusted) {
  std::string reader = Helper("vigil-reader");
  int code = -1;
  pid_t root = RunTree([&] { return Exec(reader, {"vigil-reader", "read", "/etc/shadow"}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kUntrusted});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("fd.name"), "/etc/shadow");
}

TEST_F(UpstreamRulesFire, ReadSensitiveFileUntrustedThroughIoUring) {
  // IORING_OP_OPENAT is no syscall: the probe reports it as openat (evt.is_io_uring), so the
  // rule written for open/openat fires unchanged.
  std::string reader = Helper("vigil-reader");
  int code = -1;
  pid_t root =
      RunTree([&] { return Exec(reader, {"vigil-reader", "uring-read", "/etc/shadow"}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kUntrusted});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("fd.name"), "/etc/shadow");
}

TEST_F(UpstreamRulesFire, ReadSensitiveFileUntrustedThroughIoUringFixedFile) {
  // An open into a registered-file slot installs no fd: the probe takes the file from the
  // ring's fixed-file table (kernel-resolved, through a symlinked directory here), reports
  // the slot as the fd, and the open rule fires unchanged.
  std::string reader = Helper("vigil-reader");
  const std::string alias = scratch_.path() + "/etc-alias";
  ASSERT_EQ(symlink("/etc", alias.c_str()), 0);
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec(reader, {"vigil-reader", "uring-fixed-read", alias + "/shadow"}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kUntrusted});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("fd.name"), "/etc/shadow");
}

TEST_F(UpstreamRulesFire, ReadSensitiveFileThroughDotDotPath) {
  // fd.name is normalised as in Falco: /tmp/../etc/shadow is /etc/shadow (sensitive_files);
  // one "../" is not a directory traversal (that macro needs two).
  std::string reader = Helper("vigil-reader");
  int code = -1;
  pid_t root =
      RunTree([&] { return Exec(reader, {"vigil-reader", "read", "/tmp/../etc/shadow"}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kUntrusted});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("fd.name"), "/etc/shadow");
}

// ---- sensor truth: the file the kernel opened, whatever name or ABI reached it ------------

TEST_F(UpstreamRulesFire, ReadSensitiveFileThroughSymlinkedDirectory) {
  // fd.name is the file the kernel opened: a symlink to /etc does not hide /etc/shadow.
  std::string reader = Helper("vigil-reader");
  const std::string alias = scratch_.path() + "/etc-alias";
  ASSERT_EQ(symlink("/etc", alias.c_str()), 0);
  int code = -1;
  pid_t root =
      RunTree([&] { return Exec(reader, {"vigil-reader", "read", alias + "/shadow"}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kUntrusted});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("fd.name"), "/etc/shadow");
}

TEST_F(UpstreamRulesFire, ReadSensitiveFileThroughBindMount) {
  // /etc/shadow bind-mounted on a file of the test's own in a private mount namespace (the
  // host's mounts are untouched): the kernel's path is the mount point, but the file is the
  // one the rule names (watched by identity), so fd.name reads /etc/shadow.
  std::string reader = Helper("vigil-reader");
  const std::string target = scratch_.Write("not-shadow", "");
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec(reader, {"vigil-reader", "bind-read", "/etc/shadow", target}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kUntrusted});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("fd.name"), "/etc/shadow");
}

TEST_F(UpstreamRulesFire, ReadSensitiveFileThroughProcSelfRoot) {
  std::string reader = Helper("vigil-reader");
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec(reader, {"vigil-reader", "read", "/proc/self/root/etc/shadow"}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kUntrusted});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("fd.name"), "/etc/shadow");
}

#if defined(__x86_64__)
TEST_F(UpstreamRulesFire, ReadSensitiveFileWithA32BitSyscall) {
  // int $0x80 open (i386 number 5) of /etc/shadow from a 64-bit program.
  std::string reader = Helper("vigil-reader");
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec(reader, {"vigil-reader", "int80-read", "/etc/shadow"}); }, &code);
  if (code == -1) {
    // Killed: this kernel refuses int $0x80 (IA32 emulation off, e.g. PVM guests). Nothing
    // was opened, so nothing may fire.
    std::this_thread::sleep_for(milliseconds(500));
    auto alerts = harness_->AlertsOfTree(static_cast<uint32_t>(root));
    EXPECT_TRUE(alerts.empty()) << Describe(alerts);
    return;
  }
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kUntrusted});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("fd.name"), "/etc/shadow");
}

TEST_F(UpstreamRulesFire, CollidingI386NumbersFireNothing) {
  // i386 rt_sigprocmask (175) and ioperm (101) are x86_64's init_module and ptrace numbers:
  // decoded as those they would raise the module and ptrace rules.
  std::string helper = Helper("vigil-int80");
  int code = -1;
  pid_t root = RunTree([&] { return Exec(helper, {"vigil-int80", "int80-collide"}); }, &code);
  EXPECT_TRUE(code == 0 || code == -1) << code;  // -1: killed, the kernel refuses int $0x80
  std::this_thread::sleep_for(milliseconds(800));
  auto alerts = harness_->AlertsOfTree(static_cast<uint32_t>(root));
  EXPECT_TRUE(alerts.empty()) << Describe(alerts);
}
#endif

TEST_F(UpstreamRulesFire, ReadSensitiveFileUntrustedNotForTrustedProgram) {
  // The same read by a program on the trusted list (read_sensitive_file_binaries) is quiet.
  std::string reader = Helper("sshd");
  int code = -1;
  pid_t root = RunTree([&] { return Exec(reader, {"sshd", "read", "/etc/shadow"}); }, &code);
  ASSERT_EQ(code, 0);
  std::this_thread::sleep_for(milliseconds(500));
  auto alerts = harness_->AlertsOfTree(static_cast<uint32_t>(root));
  EXPECT_TRUE(alerts.empty()) << Describe(alerts);
}

TEST_F(UpstreamRulesFire, ReadSensitiveFileTrustedAfterStartup) {
  // A server (nginx) reads /etc/shadow more than 5 s after it started (not proc_is_new).
  // nginx is not on the untrusted rule's allow lists either: that rule co-fires, as in Falco.
  std::string nginx = Helper("nginx");
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec(nginx, {"nginx", "sleep-read", "5600", "/etc/shadow"}); }, &code);
  ASSERT_EQ(code, 0);
  ExpectExactly(root, {kTrustedAfterStartup, kUntrusted});
}

TEST_F(UpstreamRulesFire, DirectoryTraversalMonitoredFileRead) {
  std::string reader = Helper("vigil-webapp");
  int code = -1;
  pid_t root = RunTree(
      [&] {
        return Exec(reader, {"vigil-webapp", "read", "/etc/../etc/../etc/hostname"});
      },
      &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kDirectoryTraversal});
  for (const auto& a : alerts) {
    EXPECT_EQ(a.Field("fd.name"), "/etc/hostname");
    EXPECT_EQ(a.Field("fd.nameraw"), "/etc/../etc/../etc/hostname");
  }
}

TEST_F(UpstreamRulesFire, RunShellUntrusted) {
  std::string nginx = Helper("nginx");
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec(nginx, {"nginx", "spawn", "/bin/sh", "sh", "-c", "exit 0"}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kRunShellUntrusted});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("proc.pname"), "nginx");
}

TEST_F(UpstreamRulesFire, ShellFromNonServerParentIsQuiet) {
  // The same shell below a program that is not a protected server raises nothing.
  std::string app = Helper("vigil-app");
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec(app, {"vigil-app", "spawn", "/bin/sh", "sh", "-c", "exit 0"}); }, &code);
  ASSERT_EQ(code, 0);
  std::this_thread::sleep_for(milliseconds(500));
  auto alerts = harness_->AlertsOfTree(static_cast<uint32_t>(root));
  EXPECT_TRUE(alerts.empty()) << Describe(alerts);
}

TEST_F(UpstreamRulesFire, SystemUserInteractive) {
  // A system user (nobody) runs a command below an ssh session (proc.aname=sshd).
  std::string sshd = Helper("sshd");
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec(sshd, {"sshd", "spawn-as", "65534", "/bin/true", "true"}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kSystemUserInteractive});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("user.name"), "nobody");
}

TEST_F(UpstreamRulesFire, SearchPrivateKeysWithGrep) {
  scratch_.Write("notes.txt", "nothing to see\n");
  int code = -1;
  pid_t root = RunTree(
      [&] {
        return Exec("/bin/grep",
                    {"grep", "-r", "-l", "BEGIN RSA PRIVATE", scratch_.path()});
      },
      &code);
  ASSERT_EQ(code, 1);  // grep: no match
  ExpectExactly(root, {kSearchPrivateKeys});
}

TEST_F(UpstreamRulesFire, SearchPrivateKeysWithFind) {
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec("/usr/bin/find", {"find", scratch_.path(), "-name", "id_rsa"}); },
      &code);
  ASSERT_EQ(code, 0);
  ExpectExactly(root, {kSearchPrivateKeys});
}

TEST_F(UpstreamRulesFire, FindAwsCredentialsWithGrep) {
  scratch_.Write("config", "[default]\n");
  int code = -1;
  pid_t root = RunTree(
      [&] {
        return Exec("/bin/grep", {"grep", "-r", "aws_secret_access_key", scratch_.path()});
      },
      &code);
  ASSERT_EQ(code, 1);
  ExpectExactly(root, {kFindAwsCredentials});
}

TEST_F(UpstreamRulesFire, FindAwsCredentialsWithFind) {
  int code = -1;
  pid_t root = RunTree(
      [&] {
        return Exec("/usr/bin/find", {"find", scratch_.path(), "-path", "*/.aws/credentials"});
      },
      &code);
  ASSERT_EQ(code, 0);
  ExpectExactly(root, {kFindAwsCredentials});
}

TEST_F(UpstreamRulesFire, ClearLogActivities) { ExpectClearLogFires("trunc"); }  // O_WRONLY|O_TRUNC

// Another way to empty the log: O_RDONLY|O_TRUNC. Linux truncates (with write permission)
// and clears O_TRUNC from the file's flags, so the open is not FMODE_WRITE: vigil counts it as
// a write (evt.is_open_write, and the kernel prefilter's write patterns) because it is one.
TEST_F(UpstreamRulesFire, ClearLogActivitiesWithAReadOnlyTruncatingOpen) {
  ExpectClearLogFires("trunc-rdonly");
}

TEST_F(UpstreamRulesFire, RemoveBulkDataFromDisk) {
  std::string victim = scratch_.Write("data.bin", std::string(4096, 'x'));
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec("/usr/bin/shred", {"shred", "-n", "1", "-u", victim}); }, &code);
  ASSERT_EQ(code, 0);
  ExpectExactly(root, {kRemoveBulkData});
}

TEST_F(UpstreamRulesFire, CreateSymlinkOverSensitiveFiles) {
  std::string link = scratch_.path() + "/shadow-link";
  std::string helper = Helper("vigil-linker");
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec(helper, {"vigil-linker", "symlink", "/etc/shadow", link}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kSymlinkOverSensitive});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("evt.arg.target"), "/etc/shadow");
}

TEST_F(UpstreamRulesFire, CreateHardlinkOverSensitiveFiles) {
  std::string link = scratch_.path() + "/shadow-hardlink";
  std::string helper = Helper("vigil-linker");
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec(helper, {"vigil-linker", "hardlink", "/etc/shadow", link}); }, &code);
  unlink(link.c_str());
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kHardlinkOverSensitive});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("evt.arg.oldpath"), "/etc/shadow");
}

TEST_F(UpstreamRulesFire, PtraceAttachedToProcess) {
  std::string debugger = Helper("vigil-debugger");
  int code = -1;
  pid_t root =
      RunTree([&] { return Exec(debugger, {"vigil-debugger", "ptrace-attach"}); }, &code);
  ASSERT_EQ(code, 0);
  ExpectExactly(root, {kPtraceAttached});
}

TEST_F(UpstreamRulesFire, PtraceAntiDebugAttempt) {
  std::string helper = Helper("vigil-antidebug");
  int code = -1;
  pid_t root = RunTree([&] { return Exec(helper, {"vigil-antidebug", "traceme"}); }, &code);
  ASSERT_EQ(code, 0);
  ExpectExactly(root, {kPtraceAntiDebug});
}

TEST_F(UpstreamRulesFire, ExecutionFromDevShm) {
  ScratchDir shm("/dev/shm");
  ASSERT_FALSE(shm.path().empty());
  std::string dropped = InstallHelper(shm.path(), "payload");
  ASSERT_FALSE(dropped.empty());
  int code = -1;
  pid_t root = RunTree([&] { return Exec(dropped, {dropped, "read", "/dev/null"}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kExecFromDevShm});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("proc.exepath"), dropped);
}

TEST_F(UpstreamRulesFire, ExecutionFromDevShmRelativeToCwd) {
  // Branch "proc.cwd startswith /dev/shm/ and proc.exe startswith ./".
  ScratchDir shm("/dev/shm");
  ASSERT_FALSE(shm.path().empty());
  ASSERT_FALSE(InstallHelper(shm.path(), "payload").empty());
  int code = -1;
  pid_t root = RunTree(
      [&] {
        if (chdir(shm.path().c_str()) != 0) return 90;
        return Exec("./payload", {"./payload", "read", "/dev/null"});
      },
      &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kExecFromDevShm});
  for (const auto& a : alerts) EXPECT_EQ(a.Field("proc.cwd").rfind("/dev/shm/", 0), 0u);
}

TEST_F(UpstreamRulesFire, ExecutionFromDevShmThroughShell) {
  // Branch "shell_procs and proc.args startswith -c /dev/shm": the shell's exec alerts, and
  // so does the payload it starts (proc.exe startswith /dev/shm/).
  ScratchDir shm("/dev/shm");
  ASSERT_FALSE(shm.path().empty());
  std::string dropped = InstallHelper(shm.path(), "payload");
  ASSERT_FALSE(dropped.empty());
  const std::string script = dropped + " read /dev/null";
  int code = -1;
  pid_t root = RunTree([&] { return Exec("/bin/sh", {"sh", "-c", script}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kExecFromDevShm});
  std::set<std::string> procs;
  for (const auto& a : alerts) procs.insert(a.Field("proc.name"));
  EXPECT_TRUE(procs.count("sh")) << Describe(alerts);
}

TEST_F(UpstreamRulesFire, FilelessExecutionViaMemfd) {
  std::string loader = Helper("vigil-loader");
  int code = -1;
  pid_t root = RunTree(
      [&] { return Exec(loader, {"vigil-loader", "memfd-exec", "/bin/true", "true"}); }, &code);
  ASSERT_EQ(code, 0);
  ExpectExactly(root, {kFilelessMemfd});
}

TEST_F(UpstreamRulesFire, DisallowedSshConnectionNonStandardPort) {
  // The rule ignores 127.0.0.0/8 and RFC 1918 destinations: give a private network
  // namespace's loopback device a public-looking test address (198.18.0.1, RFC 2544
  // benchmarking range) and let the real ssh client connect to port 4444 there.
  int code = -1;
  pid_t root = RunTree(
      [&] {
        if (unshare(CLONE_NEWNET) != 0) return 90;
        if (RunAndWait("/usr/sbin/ip", {"ip", "link", "set", "lo", "up"}) != 0) return 91;
        if (RunAndWait("/usr/sbin/ip", {"ip", "addr", "add", "198.18.0.1/32", "dev", "lo"}) != 0)
          return 92;
        int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(4444);
        inet_pton(AF_INET, "198.18.0.1", &addr.sin_addr);
        if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
            listen(listener, 1) != 0) {
          return 93;
        }
        pid_t ssh = fork();
        if (ssh == 0) {
          int devnull = open("/dev/null", O_RDWR);
          dup2(devnull, 0);
          dup2(devnull, 1);
          dup2(devnull, 2);
          _exit(Exec("/usr/bin/ssh",
                     {"ssh", "-p", "4444", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
                      "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                      "-F", "/dev/null", "vigil@198.18.0.1", "true"}));
        }
        int conn = accept(listener, nullptr, nullptr);
        if (conn >= 0) close(conn);  // no banner: ssh gives up
        int status = 0;
        waitpid(ssh, &status, 0);
        return conn >= 0 ? 0 : 94;
      },
      &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kSshNonStandardPort});
  for (const auto& a : alerts) {
    EXPECT_EQ(a.Field("fd.rport"), "4444");
    EXPECT_EQ(a.Field("fd.name").find("198.18.0.1:4444") != std::string::npos, true)
        << a.Field("fd.name");
  }
}

// ---- container behaviours (sandbox: cgroup with a 64-hex id + namespaces) ------------

TEST_F(UpstreamRulesFire, PacketSocketCreatedInContainer) {
  Sandbox box;
  ASSERT_TRUE(box.ok()) << box.cgroup_dir();
  std::string sniffer = Helper("vigil-sniffer");
  int code = -1;
  pid_t root = RunInContainer(
      box, [&] { return Exec(sniffer, {"vigil-sniffer", "packet-socket"}); }, &code);
  ASSERT_EQ(code, 0);
  ExpectExactly(root, {kPacketSocket}, {}, box.short_id());
}

TEST_F(UpstreamRulesFire, PacketSocketOnHostIsQuiet) {
  // Same behaviour outside a container: the rule is container-scoped.
  std::string sniffer = Helper("vigil-sniffer");
  int code = -1;
  pid_t root = RunTree([&] { return Exec(sniffer, {"vigil-sniffer", "packet-socket"}); }, &code);
  ASSERT_EQ(code, 0);
  std::this_thread::sleep_for(milliseconds(500));
  auto alerts = harness_->AlertsOfTree(static_cast<uint32_t>(root));
  EXPECT_TRUE(alerts.empty()) << Describe(alerts);
}

TEST_F(UpstreamRulesFire, RedirectStdoutToNetworkConnectionInContainer) {
  Sandbox box;
  ASSERT_TRUE(box.ok()) << box.cgroup_dir();
  std::string shell = Helper("vigil-revshell");
  int code = -1;
  pid_t root = RunInContainer(
      box,
      [&] {
        // lo is down in a fresh net namespace; this sandbox keeps the host's network.
        return Exec(shell, {"vigil-revshell", "redirect-stdout"});
      },
      &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kRedirectStdout}, {}, box.short_id());
  for (const auto& a : alerts) EXPECT_EQ(a.Field("fd.type"), "ipv4");
}

TEST_F(UpstreamRulesFire, RedirectStdoutViaFcntlDupfdInContainer) {
  // fcntl(F_DUPFD) is reported as dup: the rule written for dup/dup2/dup3 fires.
  Sandbox box;
  ASSERT_TRUE(box.ok()) << box.cgroup_dir();
  std::string shell = Helper("vigil-revshell");
  int code = -1;
  pid_t root = RunInContainer(
      box, [&] { return Exec(shell, {"vigil-revshell", "redirect-stdout-fcntl"}); }, &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kRedirectStdout}, {}, box.short_id());
  for (const auto& a : alerts) EXPECT_EQ(a.Field("fd.type"), "ipv4");
}

TEST_F(UpstreamRulesFire, LinuxKernelModuleInjectionInContainer) {
  Sandbox box;
  ASSERT_TRUE(box.ok()) << box.cgroup_dir();
  std::string insmod = Helper("insmod");
  int code = -1;
  pid_t root = RunInContainer(box, [&] { return Exec(insmod, {"insmod", "module"}); }, &code);
  ASSERT_EQ(code, 0);
  ExpectExactly(root, {kModuleInjection}, {}, box.short_id());
}

TEST_F(UpstreamRulesFire, ReleaseAgentContainerEscapeAttempt) {
  // The write target is a private file named release_agent (the rule keys on the name):
  // the real cgroup v1 release_agent is never touched.
  Sandbox box;
  ASSERT_TRUE(box.ok()) << box.cgroup_dir();
  std::string target = scratch_.path() + "/release_agent";
  std::string helper = Helper("vigil-escape");
  int code = -1;
  pid_t root = RunInContainer(
      box, [&] { return Exec(helper, {"vigil-escape", "open-write", target}); }, &code);
  ASSERT_EQ(code, 0);
  ExpectExactly(root, {kReleaseAgent}, {}, box.short_id());
}

TEST_F(UpstreamRulesFire, NetcatRemoteCodeExecutionInContainer) {
  Sandbox box;
  ASSERT_TRUE(box.ok()) << box.cgroup_dir();
  int code = -1;
  pid_t root = RunInContainer(
      box,
      [&] {
        int devnull = open("/dev/null", O_RDWR);
        dup2(devnull, 2);
        // OpenBSD nc refuses -e (exit 1); the exec attempt is what the rule detects.
        return Exec("/usr/bin/nc", {"nc", "-e", "/bin/sh", "127.0.0.1", "9"});
      },
      &code);
  ASSERT_NE(code, 127) << "nc missing (netcat-openbsd)";
  ExpectExactly(root, {kNetcatRce}, {}, box.short_id());
}

TEST_F(UpstreamRulesFire, TerminalShellInContainer) {
  // The container's entrypoint (runc) starts a shell on a pseudo terminal.
  Sandbox box;
  ASSERT_TRUE(box.ok()) << box.cgroup_dir();
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  ASSERT_GE(master, 0);
  ASSERT_EQ(grantpt(master), 0);
  ASSERT_EQ(unlockpt(master), 0);
  std::string pty = ptsname(master);
  std::string runc = Helper("runc");
  int code = -1;
  pid_t root = RunInContainer(
      box,
      [&] { return Exec(runc, {"runc", "tty-spawn", pty, "/bin/sh", "sh", "-c", "exit 0"}); },
      &code);
  close(master);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kTerminalShellInContainer}, {}, box.short_id());
  for (const auto& a : alerts) EXPECT_NE(a.Field("proc.tty"), "0");
}

TEST_F(UpstreamRulesFire, ShellInContainerWithoutTerminalIsQuiet) {
  // Same entrypoint and shell, no terminal (proc.tty = 0): not an interactive shell.
  Sandbox box;
  ASSERT_TRUE(box.ok()) << box.cgroup_dir();
  std::string runc = Helper("runc");
  int code = -1;
  pid_t root = RunInContainer(
      box,
      [&] {
        setsid();  // no controlling terminal, whatever the test runner has
        return Exec(runc, {"runc", "spawn", "/bin/sh", "sh", "-c", "exit 0"});
      },
      &code);
  ASSERT_EQ(code, 0);
  std::this_thread::sleep_for(milliseconds(500));
  auto alerts = harness_->AlertsOfTree(static_cast<uint32_t>(root));
  EXPECT_TRUE(alerts.empty()) << Describe(alerts);
}

// A container root filesystem is an overlay: the image is the lower layer, files written
// at run time land in the upper layer. The sandbox mounts its own overlay, runs a binary
// shipped in the "image" (quiet), then drops a new binary into the merged tree and runs it
// (its overlay inode has an upper dentry: proc.is_exe_upper_layer=true).
TEST_F(UpstreamRulesFire, DropAndExecuteNewBinaryInContainer) {
  Sandbox box;
  ASSERT_TRUE(box.ok()) << box.cgroup_dir();
  const std::string base = scratch_.path();
  for (const char* d : {"/lower", "/upper", "/work", "/merged"}) {
    ASSERT_EQ(mkdir((base + d).c_str(), 0755), 0) << d;
  }
  ASSERT_FALSE(InstallHelper(base + "/lower", "from-image").empty());
  int code = -1;
  pid_t root = RunInContainer(
      box,
      [&] {
        std::string opts = "lowerdir=" + base + "/lower,upperdir=" + base +
                           "/upper,workdir=" + base + "/work";
        if (mount("overlay", (base + "/merged").c_str(), "overlay", 0, opts.c_str()) != 0)
          return 90;
        int rc = RunAndWait(base + "/merged/from-image", {"from-image", "read", "/dev/null"});
        std::string dropped = InstallHelper(base + "/merged", "dropped");
        if (dropped.empty()) return 91;
        if (rc == 0) rc = RunAndWait(dropped, {"dropped", "read", "/dev/null"});
        umount2((base + "/merged").c_str(), MNT_DETACH);
        return rc;
      },
      &code);
  ASSERT_EQ(code, 0);
  auto alerts = ExpectExactly(root, {kDropAndExecute}, {}, box.short_id());
  for (const auto& a : alerts) EXPECT_EQ(a.Field("proc.exe"), "dropped");
}

// container.privileged is derived from the container process's effective capabilities
// (the set only --privileged grants; see docs/rules.md): the sandbox runs as full root.
TEST_F(UpstreamRulesFire, DebugfsLaunchedInPrivilegedContainer) {
  Sandbox box;
  ASSERT_TRUE(box.ok()) << box.cgroup_dir();
  int code = -1;
  pid_t root = RunInContainer(
      box, [&] { return Exec("/usr/sbin/debugfs", {"debugfs", "-R", "stats", "/dev/null"}); },
      &code);
  ExpectExactly(root, {kDebugfs}, {}, box.short_id());
}

}  // namespace
}  // namespace vigil::fire
