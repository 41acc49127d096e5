// `vigil validate` and `vigil list-fields` through the real binary ($VIGIL_BINARY).
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct CmdResult {
  int status = -1;
  std::string out;  // stdout + stderr
};

CmdResult Exec(const std::string& args) {
  const char* bin = std::getenv("VIGIL_BINARY");
  EXPECT_NE(bin, nullptr) << "VIGIL_BINARY not set";
  CmdResult r;
  if (!bin) return r;
  std::string cmd = std::string(bin) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  while (std::fgets(buf.data(), buf.size(), p)) r.out += buf.data();
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string path = std::filesystem::temp_directory_path() / ("vigil-validate-" + std::to_string(getpid()) + "-" + name);
  std::ofstream(path) << text;
  return path;
}

TEST(ValidateCli, UpstreamRulesPassWithCounts) {
  const char* shared = std::getenv("VIGIL_SHARED_DIR");
  ASSERT_NE(shared, nullptr);
  std::string d = std::string(shared) + "/falco-rules/";
  CmdResult r = Exec("validate -r " + d + "falco_rules.yaml " + d + "falco-incubating_rules.yaml " + d +
               "falco-sandbox_rules.yaml");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("OK: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" macros, "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(" lists loaded"), std::string::npos) << r.out;
}

TEST(ValidateCli, BadRuleIsReportedWithPositionAndExitOne) {
  std::string f = WriteTemp("bad.yaml",
                            "- rule: Broken one\n  desc: d\n  condition: evt.type = open and (proc.name = a\n"
                            "  output: o\n  priority: INFO\n");
  CmdResult r = Exec("validate -r " + f);
  EXPECT_EQ(r.status, 1) << r.out;
  EXPECT_NE(r.out.find(f + ":3:34: error: rule 'Broken one': unbalanced parenthesis"), std::string::npos) << r.out;
  std::filesystem::remove(f);
}

TEST(ValidateCli, LintsWarnWithPositions) {
  std::string f = WriteTemp("lint.yaml",
                            "- rule: Lint\n  desc: d\n"
                            "  condition: evt.type in (execve, exceve) and proc.name in (shell_binaries)"
                            " and evt.res >= 0\n"
                            "  output: o\n  priority: INFO\n");
  CmdResult r = Exec("validate -r " + f);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find(f + ":3:35: warning: 'Lint': unknown evt.type 'exceve'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(f + ":3:61: warning: 'Lint': 'shell_binaries' looks like a list name"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("'evt.res >= 0' compares text, not numbers"), std::string::npos) << r.out;
  std::filesystem::remove(f);
}

TEST(ValidateCli, WarningsDoNotFail) {
  std::string f = WriteTemp("warn.yaml", "- rule: Any\n  desc: d\n  condition: proc.name = a\n  output: o\n  priority: INFO\n");
  CmdResult r = Exec("validate -r " + f);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("warning: rule 'Any' has no evt.type restriction"), std::string::npos) << r.out;
  std::filesystem::remove(f);
}

TEST(ValidateCli, ShowPrefilterPrintsThePatternsOrTheRuleThatTurnsItOff) {
  std::string watched = WriteTemp("watched.yaml",
                                  "- rule: Key read\n  desc: d\n  condition: evt.type = openat and "
                                  "fd.name startswith /srv/keys/\n  output: o\n  priority: INFO\n"
                                  "- rule: Key write\n  desc: d\n  condition: evt.type = openat and "
                                  "evt.is_open_write = true and fd.filename = id_rsa\n  output: o\n"
                                  "  priority: INFO\n");
  CmdResult r = Exec("validate --show-prefilter -r " + watched);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("open prefilter: 1 path prefixes, 1 suffixes\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  prefix /srv/keys/\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  suffix /id_rsa  (writes)\n"), std::string::npos) << r.out;
  std::string greedy = WriteTemp("greedy.yaml",
                                 "- rule: Any secret\n  desc: d\n  condition: evt.type = openat and "
                                 "fd.name contains secret\n  output: o\n  priority: INFO\n");
  r = Exec("validate -r " + greedy);
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("open prefilter: off (rule 'Any secret' can match an open of any path)"),
            std::string::npos)
      << r.out;
  std::filesystem::remove(watched);
  std::filesystem::remove(greedy);
}

TEST(ListFieldsCli, PrintsTextAndJson) {
  CmdResult text = Exec("list-fields");
  EXPECT_EQ(text.status, 0);
  EXPECT_NE(text.out.find("proc.aname[n]"), std::string::npos);
  EXPECT_NE(text.out.find("fd.sip"), std::string::npos);
  CmdResult json = Exec("list-fields --json");
  EXPECT_EQ(json.status, 0);
  EXPECT_NE(json.out.find("\"name\": \"evt.arg\""), std::string::npos) << json.out.substr(0, 400);
}

}  // namespace
