#include "vigil/daemon_config.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

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
  EXPECT_NE(all.find(path + ":5:9: error: 'port' has the wrong type"), std::string::npos) << all;
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

}  // namespace
}  // namespace vigil
