#include "vigil/install_paths.h"

#include <climits>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "vigil_config.h"

namespace vigil {

bool RunningFromBuildTree() {
  static const bool from_build = [] {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) return false;
    const auto root = std::filesystem::weakly_canonical(VIGIL_BUILD_ROOT, ec);
    if (ec) return false;
    const std::string e = exe.string(), r = root.string() + "/";
    return e.compare(0, r.size(), r) == 0;
  }();
  return from_build;
}

std::string InstalledConfigDir() { return VIGIL_SYSCONF_DIR; }

std::string DefaultConfigPath() {
  if (RunningFromBuildTree()) return "";
  const std::string path = std::string(VIGIL_SYSCONF_DIR) + "/vigil.yaml";
  std::error_code ec;
  return std::filesystem::exists(path, ec) ? path : "";
}

std::string DefaultRuleTestsDir() {
  if (RunningFromBuildTree()) return std::string(VIGIL_DEFAULT_RULES_DIR) + "/tests";
  return std::string(VIGIL_DATA_DIR) + "/rule-tests";
}

std::string SourceRulesDir() { return VIGIL_DEFAULT_RULES_DIR; }

}  // namespace vigil
