#include "vigil/daemon_config.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <sys/stat.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "vigil/outputs_config.h"

namespace vigil {
namespace {

std::string WriteTemp(const std::string& text) {
  char path[] = "/tmp/vigil-config-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  return path;
}

TEST(DaemonConfig, DefaultsWithoutFile) {
  DaemonConfig cfg;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadDaemonConfig("", {}, &cfg, &errors));
  EXPECT_EQ(cfg.metrics_address, "127.0.0.1");
  EXPECT_EQ(cfg.match_mode, "all");
  ASSERT_EQ(cfg.rules_files.size(), 1u);
  EXPECT_EQ(cfg.rules_files[0], DefaultRulesDir());
}

TEST(DaemonConfig, FileValuesAndOverrides) {
  std::string path = WriteTemp(
      "rules_files: [/a.yaml]\n"
      "engine:\n  match_mode: first\n  disabled_tags: [T1059]\n"
      "metrics:\n  port: 9999\n"
      "outputs:\n  stdout: {enabled: true, format: text}\n");
  DaemonConfig cfg;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadDaemonConfig(path, {"metrics.port=1234", "rules_files=[/b.yaml,/c.yaml]",
                                      "outputs.file.enabled=true"},
                               &cfg, &errors))
      << (errors.empty() ? "" : errors[0]);
  EXPECT_EQ(cfg.match_mode, "first");
  EXPECT_EQ(cfg.metrics_port, 1234);
  ASSERT_EQ(cfg.rules_files.size(), 2u);
  EXPECT_EQ(cfg.rules_files[1], "/c.yaml");
  ASSERT_EQ(cfg.disabled_tags.size(), 1u);
  EXPECT_EQ(cfg.outputs["stdout"]["format"].as<std::string>(), "text");
  EXPECT_TRUE(cfg.outputs["file"]["enabled"].as<bool>());
  std::remove(path.c_str());
}

TEST(DaemonConfig, ErrorsArePositioned) {
  std::string path = WriteTemp("engine:\n  match_mode: sometimes\nbogus_key: 1\nmetrics:\n  port: [1]\n");
  DaemonConfig cfg;
  std::vector<std::string> errors;
  EXPECT_FALSE(LoadDaemonConfig(path, {}, &cfg, &errors));
  ASSERT_GE(errors.size(), 3u);
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  EXPECT_NE(all.find(path + ":2:15: error: engine.match_mode"), std::string::npos) << all;
  EXPECT_NE(all.find(path + ":3:1: error: unknown config key 'bogus_key'"), std::string::npos) << all;
  EXPECT_NE(all.find(path + ":5:9: error: metrics.port = (a list): expected an integer"),
            std::string::npos)
      << all;
  std::remove(path.c_str());
}

TEST(DaemonConfig, BadYamlSyntaxIsPositioned) {
  std::string path = WriteTemp("engine: [unclosed\n");
  DaemonConfig cfg;
  std::vector<std::string> errors;
  EXPECT_FALSE(LoadDaemonConfig(path, {}, &cfg, &errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_EQ(errors[0].rfind(path + ":", 0), 0u) << errors[0];
  std::remove(path.c_str());
}

TEST(DaemonConfig, BadOverrideIsReported) {
  DaemonConfig cfg;
  std::vector<std::string> errors;
  EXPECT_FALSE(LoadDaemonConfig("", {"novalue"}, &cfg, &errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("expected key=value"), std::string::npos);
}

TEST(DaemonConfig, WritableFilesAreRefused) {
  std::string path = WriteTemp("{}\n");
  ASSERT_EQ(chmod(path.c_str(), 0644), 0);
  EXPECT_EQ(CheckFileNotWritableByOthers(path), "");
  ASSERT_EQ(chmod(path.c_str(), 0666), 0);
  EXPECT_NE(CheckFileNotWritableByOthers(path).find("writable by group or others"),
            std::string::npos);
  std::remove(path.c_str());
}

std::string Joined(const std::vector<std::string>& errors) {
  std::string all;
  for (const auto& e : errors) all += e + "\n";
  return all;
}

TEST(DaemonConfig, LogLevelsAreCaseInsensitive) {
  for (const auto& [given, stored] : std::vector<std::pair<std::string, std::string>>{
           {"DEBUG", "debug"}, {"Info", "info"}, {"WARNING", "warn"}, {"warn", "warn"},
           {"ERROR", "error"}, {"trace", "trace"}, {"Critical", "critical"}}) {
    DaemonConfig cfg;
    std::vector<std::string> errors;
    EXPECT_TRUE(LoadDaemonConfig("", {"log.level=" + given}, &cfg, &errors)) << Joined(errors);
    EXPECT_EQ(cfg.log_level, stored) << given;
  }
}

TEST(DaemonConfig, UnknownLogLevelIsAnErrorNamingTheOverride) {
  DaemonConfig cfg;
  std::vector<std::string> errors;
  EXPECT_FALSE(LoadDaemonConfig("", {"log.level=verbose"}, &cfg, &errors));
  ASSERT_EQ(errors.size(), 1u) << Joined(errors);
  EXPECT_EQ(errors[0].rfind("-o log.level=verbose: error: log.level = 'verbose': expected one of", 0),
            0u)
      << errors[0];
  std::string path = WriteTemp("log:\n  level: loud\n");
  errors.clear();
  EXPECT_FALSE(LoadDaemonConfig(path, {}, &cfg, &errors));
  EXPECT_NE(Joined(errors).find(path + ":2:10: error: log.level = 'loud'"), std::string::npos)
      << Joined(errors);
  std::remove(path.c_str());
}

TEST(DaemonConfig, UnknownKeysInEverySectionAreErrors) {
  std::string path = WriteTemp(
      "engine:\n  match_mod: first\n"
      "sensor:\n  ring_buffer: 8\n"
      "log:\n  levle: debug\n"
      "metrics:\n  prot: 1\n");
  DaemonConfig cfg;
  std::vector<std::string> errors;
  EXPECT_FALSE(LoadDaemonConfig(path, {}, &cfg, &errors));
  std::string all = Joined(errors);
  EXPECT_EQ(errors.size(), 4u) << all;
  EXPECT_NE(all.find(path + ":2:3: error: unknown config key 'engine.match_mod'"), std::string::npos) << all;
  EXPECT_NE(all.find(path + ":4:3: error: unknown config key 'sensor.ring_buffer'"), std::string::npos) << all;
  EXPECT_NE(all.find(path + ":6:3: error: unknown config key 'log.levle'"), std::string::npos) << all;
  EXPECT_NE(all.find(path + ":8:3: error: unknown config key 'metrics.prot'"), std::string::npos) << all;
  EXPECT_NE(all.find("known in engine: match_mode,"), std::string::npos) << all;
  std::remove(path.c_str());
}

TEST(DaemonConfig, UnknownOverrideKeysAreErrors) {
  for (const auto& [o, key] : std::vector<std::pair<std::string, std::string>>{
           {"engine.typo=1", "engine.typo"},
           {"sensor.ringbuffer_mb=8", "sensor.ringbuffer_mb"},
           {"log.colour=true", "log.colour"},
           {"metrics.adress=0.0.0.0", "metrics.adress"},
           {"nosuchsection.key=1", "nosuchsection"},
           {"statsinterval=5", "statsinterval"}}) {
    DaemonConfig cfg;
    std::vector<std::string> errors;
    EXPECT_FALSE(LoadDaemonConfig("", {o}, &cfg, &errors)) << o;
    ASSERT_EQ(errors.size(), 1u) << Joined(errors);
    EXPECT_EQ(errors[0].rfind("-o " + o + ": error: unknown config key '" + key + "'", 0), 0u)
        << errors[0];
  }
}

TEST(DaemonConfig, OverrideErrorsNameArgumentKeyAndValue) {
  DaemonConfig cfg;
  std::vector<std::string> errors;
  EXPECT_FALSE(LoadDaemonConfig("", {"metrics.port=abc", "sensor.ring_buffer_mb=3"}, &cfg, &errors));
  std::string all = Joined(errors);
  EXPECT_NE(all.find("-o metrics.port=abc: error: metrics.port = 'abc': expected an integer"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("-o sensor.ring_buffer_mb=3: error: sensor.ring_buffer_mb = '3': expected a "
                     "power of two"),
            std::string::npos)
      << all;
  EXPECT_EQ(all.find("<config>"), std::string::npos) << all;
}

TEST(DaemonConfig, EventThreadPriorityDefaultsAndRange) {
  DaemonConfig cfg;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadDaemonConfig("", {}, &cfg, &errors)) << Joined(errors);
  EXPECT_EQ(cfg.event_thread.nice, -10);
  EXPECT_FALSE(cfg.event_thread.realtime);
  ASSERT_TRUE(LoadDaemonConfig("", {"sensor.event_thread_nice=5", "sensor.event_thread_realtime=true"}, &cfg,
                               &errors))
      << Joined(errors);
  EXPECT_EQ(cfg.event_thread.nice, 5);
  EXPECT_TRUE(cfg.event_thread.realtime);
  errors.clear();
  EXPECT_FALSE(LoadDaemonConfig("", {"sensor.event_thread_nice=-21", "sensor.event_thread_realtime=maybe"}, &cfg,
                                &errors));
  const std::string all = Joined(errors);
  EXPECT_NE(all.find("-o sensor.event_thread_nice=-21: error: sensor.event_thread_nice = '-21': must be in -20..19"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("sensor.event_thread_realtime = 'maybe': expected true or false"), std::string::npos) << all;
}

TEST(DaemonConfig, AnnotatedExampleConfigMatchesTheSchema) {
  const char* root = std::getenv("VIGIL_SOURCE_ROOT");
  ASSERT_NE(root, nullptr);
  DaemonConfig cfg;
  std::vector<std::string> errors;
  EXPECT_TRUE(LoadDaemonConfig(std::string(root) + "/examples/vigil.yaml", {}, &cfg, &errors))
      << Joined(errors);
}

TEST(DaemonConfig, SkipInvalidRulesIsAnExplicitOption) {
  DaemonConfig cfg;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadDaemonConfig("", {}, &cfg, &errors));
  EXPECT_FALSE(cfg.skip_invalid_rules);
  ASSERT_TRUE(LoadDaemonConfig("", {"engine.skip_invalid_rules=true"}, &cfg, &errors));
  EXPECT_TRUE(cfg.skip_invalid_rules);
}

TEST(DaemonConfig, OutputsErrorsCarryRealPositions) {
  std::string path = WriteTemp(
      "log: {level: info}\n"
      "outputs:\n"
      "  stdout: {enabled: true}\n"
      "  file:\n"
      "    enabled: maybe\n"
      "    bogus: 1\n");
  DaemonConfig cfg;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadDaemonConfig(path, {}, &cfg, &errors)) << Joined(errors);
  OutputsConfig oc;
  std::vector<std::string> oerrors;
  EXPECT_FALSE(ParseOutputsConfig(cfg.outputs, &oc, &oerrors));
  std::vector<std::string> positioned;
  for (const auto& e : oerrors) positioned.push_back(PositionOutputsError(cfg, e));
  std::string all = Joined(positioned);
  EXPECT_NE(all.find(path + ":5:14: error: outputs.file.enabled: "), std::string::npos) << all;
  EXPECT_NE(all.find("'maybe'"), std::string::npos) << all;
  EXPECT_NE(all.find(path + ":6:5: error: outputs.file.bogus: "), std::string::npos) << all;
  EXPECT_EQ(all.find(":1:1:"), std::string::npos) << all;

  // The same mistake given with -o points at the argument.
  ASSERT_TRUE(LoadDaemonConfig(path, {"outputs.file.enabled=perhaps"}, &cfg, &errors));
  oerrors.clear();
  EXPECT_FALSE(ParseOutputsConfig(cfg.outputs, &oc, &oerrors));
  positioned.clear();
  for (const auto& e : oerrors) positioned.push_back(PositionOutputsError(cfg, e));
  all = Joined(positioned);
  EXPECT_NE(all.find("-o outputs.file.enabled=perhaps: error: outputs.file.enabled: "),
            std::string::npos)
      << all;
  std::remove(path.c_str());
}

// A private directory tree under /tmp (sticky, root-owned): each level 0755 unless changed.
class InsecureDirs : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/vigil-dirs-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    ASSERT_EQ(chmod(root_.c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root_ + "/a").c_str(), 0755), 0);
    ASSERT_EQ(mkdir((root_ + "/a/rules.d").c_str(), 0755), 0);
    file_ = root_ + "/a/rules.d/r.yaml";
    std::ofstream(file_) << "[]\n";
    ASSERT_EQ(chmod(file_.c_str(), 0644), 0);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_, file_;
};

TEST_F(InsecureDirs, SecureTreeUnderStickyTmpPasses) {
  EXPECT_EQ(CheckFileNotWritableByOthers(file_), "");
  EXPECT_EQ(CheckFileNotWritableByOthers(root_ + "/a/rules.d"), "");
}

TEST_F(InsecureDirs, WorldWritableParentIsRefused) {
  ASSERT_EQ(chmod((root_ + "/a").c_str(), 0777), 0);
  for (const std::string& p : {file_, root_ + "/a/rules.d"}) {
    std::string why = CheckFileNotWritableByOthers(p);
    EXPECT_NE(why.find("directory " + root_ + "/a is writable by group or others"), std::string::npos)
        << p << ": " << why;
  }
  // Sticky (like /tmp): others cannot rename or delete root's entries, so it passes.
  ASSERT_EQ(chmod((root_ + "/a").c_str(), 01777), 0);
  EXPECT_EQ(CheckFileNotWritableByOthers(file_), "");
}

TEST_F(InsecureDirs, GroupWritableOrForeignOwnedAncestorIsRefused) {
  ASSERT_EQ(chmod(root_.c_str(), 0775), 0);
  EXPECT_NE(CheckFileNotWritableByOthers(file_).find("directory " + root_ + " is writable"),
            std::string::npos);
  ASSERT_EQ(chmod(root_.c_str(), 0755), 0);
  ASSERT_EQ(chown((root_ + "/a").c_str(), 65534, 65534), 0);
  EXPECT_NE(CheckFileNotWritableByOthers(file_).find("directory " + root_ + "/a is not owned by root"),
            std::string::npos);
}

TEST_F(InsecureDirs, SymlinkInInsecureDirectoryIsRefused) {
  ASSERT_EQ(mkdir((root_ + "/open").c_str(), 0777), 0);
  ASSERT_EQ(chmod((root_ + "/open").c_str(), 0777), 0);
  const std::string link = root_ + "/open/rules.yaml";
  ASSERT_EQ(symlink(file_.c_str(), link.c_str()), 0);
  EXPECT_NE(CheckFileNotWritableByOthers(link).find("directory " + root_ + "/open is writable"),
            std::string::npos);
  // And a secure link to a file in an insecure directory is refused through its target.
  const std::string target = root_ + "/open/real.yaml";
  std::ofstream(target) << "[]\n";
  ASSERT_EQ(chmod(target.c_str(), 0644), 0);
  const std::string safe_link = root_ + "/a/link.yaml";
  ASSERT_EQ(symlink(target.c_str(), safe_link.c_str()), 0);
  EXPECT_NE(CheckFileNotWritableByOthers(safe_link).find("directory " + root_ + "/open is writable"),
            std::string::npos);
}

}  // namespace
}  // namespace vigil
