// Ruleset::DeriveOpenPrefilter: the patterns derived from rule conditions, the cases that
// turn the filter off, and soundness: an open the derived filter would keep in the kernel
// never matches a rule (checked over vigil's rules/ and upstream falco_rules.yaml with many
// paths, modes and processes).
#include <gtest/gtest.h>

#include <fcntl.h>

#include <cstdlib>
#include <set>
#include <string>

#include "engine_test_util.h"
#include "vigil/open_prefilter.h"
#include "vigil/ruleset.h"

namespace vigil {
namespace {

using testing::LoadYaml;
using testing::MakeProcess;
using testing::OpenEvent;

std::string Rule(const std::string& name, const std::string& cond) {
  return "- rule: " + name + "\n  desc: d\n  condition: " + cond + "\n  output: o\n  priority: WARNING\n";
}

std::set<std::string> Texts(const std::vector<OpenPrefilter::Pattern>& v, bool writes_only) {
  std::set<std::string> out;
  for (const auto& p : v)
    if (p.writes_only == writes_only) out.insert(p.text);
  return out;
}

OpenPrefilter Derive(const std::string& yaml) {
  auto r = LoadYaml(yaml);
  EXPECT_TRUE(r.ok()) << testing::DiagText(r);
  return r.ruleset ? r.ruleset->DeriveOpenPrefilter() : OpenPrefilter{};
}

const char* kOpenRead = "evt.type in (open, openat, openat2) and evt.is_open_read=true";
const char* kOpenWrite = "evt.type in (open, openat, openat2) and evt.is_open_write=true";

TEST(OpenPrefilter, NamesDirectoriesAndFilenamesBecomePrefixesAndSuffixes) {
  auto f = Derive(Rule("a", std::string(kOpenRead) + " and fd.name in (/etc/shadow, /etc/gshadow)") +
                  Rule("b", std::string(kOpenRead) + " and fd.filename = id_rsa") +
                  Rule("c", std::string(kOpenRead) + " and fd.name endswith /.aws/credentials") +
                  Rule("d", std::string(kOpenRead) + " and fd.directory in (/etc/pam.d)") +
                  Rule("e", std::string(kOpenRead) + " and fd.name glob '/opt/*/key'") +
                  Rule("f", std::string(kOpenRead) + " and fd.name pmatch (/srv/secret)"));
  ASSERT_TRUE(f.enabled) << f.disabled_reason;
  EXPECT_FALSE(f.all_writes);
  EXPECT_EQ(Texts(f.prefixes, false),
            (std::set<std::string>{"/etc/shadow", "/etc/gshadow", "/etc/pam.d", "/opt/", "/srv/secret"}));
  EXPECT_EQ(Texts(f.suffixes, false), (std::set<std::string>{"/id_rsa", "/.aws/credentials"}));
}

TEST(OpenPrefilter, WriteOnlyRulesAndIntersectionsOfConditions) {
  auto f = Derive(Rule("w", std::string(kOpenWrite) + " and fd.name startswith /etc/cron.d/") +
                  // both conditions must hold: only the more specific prefix is needed
                  Rule("and", std::string(kOpenRead) +
                                  " and fd.name startswith /etc and fd.name in (/etc/sudoers, /var/x)") +
                  // a write of any path
                  Rule("anywrite", std::string(kOpenWrite) + " and proc.name = dd"));
  ASSERT_TRUE(f.enabled) << f.disabled_reason;
  EXPECT_TRUE(f.all_writes);
  EXPECT_EQ(Texts(f.prefixes, true), (std::set<std::string>{"/etc/cron.d/"}));
  EXPECT_EQ(Texts(f.prefixes, false), (std::set<std::string>{"/etc/sudoers"}));
}

TEST(OpenPrefilter, RulesOnOtherEventsAndDotDotChecksNeedNoPattern) {
  auto f = Derive(Rule("exec", "evt.type = execve and proc.name = nc") +
                  Rule("mixed", "(evt.type = execve and proc.name = sh) or (" + std::string(kOpenRead) +
                                    " and fd.name = /etc/shadow)") +
                  // the probe reports every path with ".." itself
                  Rule("traversal", std::string(kOpenRead) + " and fd.name contains '../'"));
  ASSERT_TRUE(f.enabled) << f.disabled_reason;
  EXPECT_EQ(Texts(f.prefixes, false), (std::set<std::string>{"/etc/shadow"}));
  EXPECT_TRUE(f.suffixes.empty());
}

TEST(OpenPrefilter, RulesOnTheCallersRawString) {
  // The probe judges the kernel's path of an opened file; fd.nameraw is the caller's string
  // ("../../etc/shadow" can open /etc/shadow), so it gives no pattern...
  auto f = Derive(Rule("fine", std::string(kOpenRead) + " and fd.name = /etc/shadow") +
                  Rule("raw", std::string(kOpenRead) + " and fd.nameraw startswith /etc"));
  EXPECT_FALSE(f.enabled);
  EXPECT_NE(f.disabled_reason.find("'raw'"), std::string::npos) << f.disabled_reason;
  // ... except a test for "..": the probe then reports every open whose string has "..".
  f = Derive(Rule("fine", std::string(kOpenRead) + " and fd.name = /etc/shadow") +
             Rule("raw", std::string(kOpenRead) + " and fd.nameraw contains '../'"));
  ASSERT_TRUE(f.enabled) << f.disabled_reason;
  EXPECT_TRUE(f.raw_dotdot);
  EXPECT_FALSE(Derive(Rule("fine", std::string(kOpenRead) + " and fd.name = /etc/shadow")).raw_dotdot);
}

TEST(OpenPrefilter, OpenByHandleIsAlwaysReportedSoItsRulesNeedNoPattern) {
  // The probe reports every open_by_handle_at (no path to judge before the call): a rule on
  // it with no path condition must not turn the filter off.
  auto f = Derive(Rule("fine", std::string(kOpenRead) + " and fd.name = /etc/shadow") +
                  Rule("handle", "evt.type = open_by_handle_at and evt.rawres >= 0"));
  ASSERT_TRUE(f.enabled) << f.disabled_reason;
  EXPECT_EQ(Texts(f.prefixes, false), (std::set<std::string>{"/etc/shadow"}));
}

TEST(OpenPrefilter, WatchedFilesAreTheExactPathsRulesName) {
  // Files by identity (hard links, bind mounts): exact paths only, on or off.
  auto f = Derive(Rule("a", std::string(kOpenRead) + " and fd.name = /etc/shadow") +
                  Rule("b", std::string(kOpenRead) + " and fd.name in (/etc/sudoers, /root/.ssh/id_rsa)") +
                  Rule("c", std::string(kOpenRead) + " and fd.name startswith /etc/cron.d/") +
                  Rule("d", std::string(kOpenRead) + " and not fd.name = /tmp/allowed and fd.name = /etc/gshadow") +
                  Rule("e", std::string(kOpenRead) + " and fd.name = /etc/cron.d/"));
  EXPECT_EQ(std::set<std::string>(f.watched_files.begin(), f.watched_files.end()),
            (std::set<std::string>{"/etc/shadow", "/etc/sudoers", "/root/.ssh/id_rsa", "/etc/gshadow"}));
  auto off = Derive(Rule("a", std::string(kOpenRead) + " and fd.name = /etc/shadow") +
                    Rule("greedy", std::string(kOpenRead) + " and fd.name contains secret"));
  EXPECT_FALSE(off.enabled);
  EXPECT_EQ(off.watched_files, (std::vector<std::string>{"/etc/shadow"}));
}

TEST(OpenPrefilter, OffWhenARuleCanMatchAnyPathWithTheReason) {
  auto f = Derive(Rule("fine", std::string(kOpenRead) + " and fd.name = /etc/shadow") +
                  Rule("greedy", std::string(kOpenRead) + " and fd.name contains secret"));
  EXPECT_FALSE(f.enabled);
  EXPECT_NE(f.disabled_reason.find("'greedy'"), std::string::npos) << f.disabled_reason;
  // negations and transformers say nothing usable about the path
  EXPECT_FALSE(Derive(Rule("not", std::string(kOpenRead) + " and not fd.name startswith /tmp")).enabled);
  EXPECT_FALSE(Derive(Rule("lower", std::string(kOpenRead) + " and tolower(fd.name) = /etc/shadow")).enabled);
}

TEST(OpenPrefilter, OffWhenARuleReadsFdNamesFromTheFdTable) {
  // fd.name of an fchmod comes from the fd table, which learns files from opens: with opens
  // left in the kernel an fd number keeps an earlier file's name, so even a rule testing a
  // path needs every open. An mmap carries its file's kernel path: no table, filter stays on.
  auto f = Derive(Rule("opens", std::string(kOpenRead) + " and fd.name = /etc/shadow") +
                  Rule("fchmods", "evt.type = fchmod and fd.name startswith /etc"));
  EXPECT_FALSE(f.enabled);
  EXPECT_NE(f.disabled_reason.find("'fchmods'"), std::string::npos) << f.disabled_reason;
  EXPECT_TRUE(Derive(Rule("maps", "evt.type = mmap and fd.name pmatch (/tmp)")).enabled);
  // A socket-tuple event (connect) does not use the table.
  EXPECT_TRUE(Derive(Rule("opens", std::string(kOpenRead) + " and fd.name = /etc/shadow") +
                     Rule("net", "evt.type = connect and fd.sport = 4444"))
                  .enabled);
}

// The probe's decision (probes/syscalls/open_prefilter.bpf.h open_path_wanted), restated for
// the test. `path` is what the probe judges: the kernel's path of the opened file after a
// successful open, the caller's string after a failed one.
bool KernelReports(const OpenPrefilter& f, const std::string& path, bool write,
                   const std::string& raw = "") {
  if (!f.enabled || (write && f.all_writes)) return true;
  if (f.raw_dotdot && (raw.find("..") != std::string::npos || raw.size() >= 255)) return true;
  if (path.empty() || path[0] != '/' || path.size() >= 255) return true;
  if (path.find("..") != std::string::npos || path.find("//") != std::string::npos ||
      path.find("/./") != std::string::npos || (path.size() >= 2 && path.substr(path.size() - 2) == "/."))
    return true;
  auto allows = [&](const OpenPrefilter::Pattern& p) { return !p.writes_only || write; };
  for (const auto& p : f.prefixes)
    if (path.rfind(p.text, 0) == 0 && allows(p)) return true;
  for (const auto& p : f.suffixes)
    if (path.size() >= p.text.size() && path.compare(path.size() - p.text.size(), p.text.size(), p.text) == 0 &&
        allows(p))
      return true;
  return false;
}

// Paths worth trying against a filter: each pattern itself, extended, cut short, under
// other directories; plus everyday paths.
std::vector<std::string> CandidatePaths(const OpenPrefilter& f) {
  std::vector<std::string> out = {"/etc/hostname", "/etc/passwd", "/etc/shadow", "/tmp/x", "/root/.ssh/id_rsa",
                                  "/home/u/.bash_history", "/var/log/syslog", "/usr/bin/ls", "/proc/self/status",
                                  "/etc/sudoers.d/x", "/etc/ld.so.preload", "/root/.aws/credentials", "/dev/null"};
  for (const auto& p : f.prefixes) {
    out.push_back(p.text);
    out.push_back(p.text + "x");
    out.push_back(p.text + "/y");
    if (p.text.size() > 1) out.push_back(p.text.substr(0, p.text.size() - 1));
  }
  for (const auto& p : f.suffixes) {
    out.push_back("/home/u" + p.text);
    out.push_back("/root" + p.text);
    out.push_back("/tmp" + p.text + "x");
    out.push_back("/etc" + p.text);
  }
  return out;
}

void ExpectSound(const LoadResult& r) {
  ASSERT_TRUE(r.ruleset);
  OpenPrefilter f = r.ruleset->DeriveOpenPrefilter();
  ASSERT_TRUE(f.enabled) << f.disabled_reason;
  ProcessTable table;
  table.Upsert(MakeProcess(1, 0, "systemd", "/usr/lib/systemd/systemd"));
  table.Upsert(MakeProcess(100, 1, "bash", "/usr/bin/bash"));
  const std::vector<std::pair<std::string, std::string>> procs = {
      {"cat", "/usr/bin/cat"}, {"python3", "/usr/bin/python3"}, {"vi", "/usr/bin/vi"}, {"sh", "/bin/sh"}};
  uint32_t pid = 200;
  std::size_t matched = 0, kept_in_kernel = 0;
  for (const auto& [name, exe] : procs) {
    table.Upsert(MakeProcess(pid, 100, name, exe, {name}));
    for (const std::string& path : CandidatePaths(f)) {
      for (int64_t flags : {int64_t{O_RDONLY}, int64_t{O_WRONLY | O_CREAT | O_TRUNC}, int64_t{O_RDWR},
                            int64_t{O_RDONLY | O_TRUNC}}) {
        // The probe's judgment (open_flags_write): O_RDONLY|O_TRUNC truncates, a write.
        bool write = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0;
        // An unresolved open (the caller's string), then successful opens of the same file
        // reached through other strings: the kernel's path is the name, the string is raw.
        const std::string base = path.substr(path.rfind('/') + 1);
        const std::string raws[] = {"", path, base, "../../.." + path, "/proc/self/root" + path,
                                    "/tmp/alias/" + base, "/proc/self/fd/3"};
        for (const std::string& raw : raws) {
          Event ev = OpenEvent(pid, path, flags);
          if (!raw.empty()) {
            ev.file_resolved = true;
            ev.raw_path = raw;
            ev.AddNum(ArgId::kDev, 2049);
            ev.AddNum(ArgId::kIno, 1234);
          }
          std::size_t n = r.ruleset->CountMatches(ev, table);
          matched += n > 0;
          if (!KernelReports(f, path, write, raw)) {
            ++kept_in_kernel;
            EXPECT_EQ(n, 0u) << "the prefilter would drop an open that matches a rule: " << path
                             << " raw=" << raw << " flags=" << flags << " proc=" << name;
          }
        }
      }
    }
    ++pid;
  }
  // The check is only meaningful if both sides happen.
  EXPECT_GT(matched, 10u);
  EXPECT_GT(kept_in_kernel, 10u);
}

TEST(OpenPrefilter, NeverDropsAnOpenThatVigilsDefaultRulesMatch) {
  LoadOptions o;
  o.hostname = "testhost";
  auto r = LoadRuleFiles({std::string(std::getenv("VIGIL_SOURCE_ROOT")) + "/rules"}, o);
  ASSERT_TRUE(r.ok()) << testing::DiagText(r);
  ExpectSound(r);
}

TEST(OpenPrefilter, NeverDropsAnOpenThatUpstreamStableRulesMatch) {
  const char* shared = std::getenv("VIGIL_SHARED_DIR");
  ASSERT_NE(shared, nullptr);
  LoadOptions o;
  o.hostname = "testhost";
  auto r = LoadRuleFiles({std::string(shared) + "/falco-rules/falco_rules.yaml",
                          std::string(std::getenv("VIGIL_SOURCE_ROOT")) + "/rules"},
                         o);
  ASSERT_TRUE(r.ok()) << testing::DiagText(r);
  ExpectSound(r);
}

}  // namespace
}  // namespace vigil
