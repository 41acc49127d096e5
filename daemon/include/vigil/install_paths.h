// install_paths.h — where vigil finds its configuration and default rules. A binary run from
// its meson build tree (build/vigil, tests) uses the source tree's rules/ and no default
// config; an installed binary (meson install, the .deb) uses only the install paths baked
// at configure time (sysconfdir, e.g. /etc/vigil/vigil.yaml and /etc/vigil/rules.d), never
// the build tree. Owner: daemon (config) and the CLI. Cold path; thread safe (reads only).
#pragma once

#include <string>

namespace vigil {

// True when this process's executable lives under the meson build directory it was built
// in (resolved once from /proc/self/exe).
bool RunningFromBuildTree();

// The config `vigil run` reads when no -c is given: "" from the build tree (built-in
// defaults), else <sysconfdir>/vigil/vigil.yaml ("" when that file does not exist).
std::string DefaultConfigPath();

// <sysconfdir>/vigil — the installed configuration directory (e.g. /etc/vigil).
std::string InstalledConfigDir();

// The rule test cases `vigil test` runs by default: the source tree's rules/tests from the
// build tree, else the installed <datadir>/vigil/rule-tests.
std::string DefaultRuleTestsDir();

// The source tree's rules/ directory (what the build-tree binary loads by default).
std::string SourceRulesDir();

}  // namespace vigil
