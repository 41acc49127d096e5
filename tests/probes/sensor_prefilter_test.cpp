// Kernel tests: the open prefilter (open_prefilter.h) keeps opens no rule can match out of
// the ring, and reports everything it cannot check. Real opens in this test's temp dir; a
// final open of a watched path marks the end of each scenario (same thread: ring order).
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "sensor_harness.h"

namespace vigil {
namespace {

using testing::WaitFor;

class SensorPrefilter : public ::testing::Test {
 protected:
  void SetUp() override {
    sensor_ = testing::SharedSensor();
    ASSERT_NE(sensor_, nullptr);
    dir_ = testing::MakeRealTempDir("/tmp/vigil-prefilter-");
    ASSERT_FALSE(dir_.empty());
    for (const char* sub : {"/watched", "/other", "/wdir"}) ASSERT_EQ(mkdir((dir_ + sub).c_str(), 0755), 0);
    for (const char* f : {"/watched/file", "/other/file", "/other/secret.key", "/other/public.key", "/wdir/file",
                          "/marker"}) {
      int fd = open((dir_ + f).c_str(), O_CREAT | O_WRONLY, 0644);
      ASSERT_GE(fd, 0);
      close(fd);
    }
  }
  void TearDown() override {
    std::string error;
    EXPECT_TRUE(sensor_->SetOpenPrefilter(OpenPrefilter{}, &error)) << error;
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }

  OpenPrefilter Filter(bool all_writes = false) const {
    OpenPrefilter f;
    f.enabled = true;
    f.all_writes = all_writes;
    f.prefixes = {{dir_ + "/watched/", false}, {dir_ + "/marker", false}, {dir_ + "/wdir/", true}};
    f.suffixes = {{"/secret.key", false}};
    return f;
  }

  static void Open(const std::string& path, int flags) {
    int fd = open(path.c_str(), flags);
    ASSERT_GE(fd, 0) << path;
    close(fd);
  }

  // Opens the marker and returns the names of this process's opens reported up to it.
  std::multiset<std::string> ReportedUntilMarker() {
    const std::string marker = dir_ + "/marker";
    Open(marker, O_RDONLY);
    const auto me = static_cast<uint32_t>(getpid());
    auto evs = WaitFor(*sensor_, [&](const Event& ev) {
      const Arg* name = ev.Find(ArgId::kName);
      return ev.tgid == me && ev.type == EventType::kOpenat && name && name->is_str &&
             name->str == marker;
    });
    EXPECT_EQ(evs.size(), 1u) << "marker open not reported";
    std::multiset<std::string> names;
    auto& log = testing::LogOf(*sensor_);
    for (const auto& e : log) {
      if (e.tgid != me || e.type != EventType::kOpenat) continue;
      std::string name = e.Str(ArgId::kName);
      if (name.rfind(dir_, 0) == 0 && name != marker) names.insert(name.substr(dir_.size()));
    }
    log.clear();
    return names;
  }

  Sensor* sensor_ = nullptr;
  std::string dir_;
};

TEST_F(SensorPrefilter, ReportsOnlyOpensMatchingAPatternForTheirMode) {
  std::string error;
  ASSERT_TRUE(sensor_->SetOpenPrefilter(Filter(), &error)) << error;
  testing::Drain(*sensor_);
  testing::LogOf(*sensor_).clear();
  const uint64_t filtered_before = sensor_->Stats().prefiltered;

  Open(dir_ + "/watched/file", O_RDONLY);     // prefix
  Open(dir_ + "/other/file", O_RDONLY);       // nothing matches: stays in the kernel
  Open(dir_ + "/other/secret.key", O_RDONLY); // suffix
  Open(dir_ + "/other/public.key", O_RDONLY); // same last bytes as the suffix, no match
  Open(dir_ + "/wdir/file", O_RDONLY);        // write-only prefix, read: stays in the kernel
  Open(dir_ + "/wdir/file", O_WRONLY);        // write-only prefix, write
  Open(dir_ + "/other/file", O_WRONLY);       // no pattern, write: stays in the kernel
  Open(dir_ + "/wdir/file", O_RDONLY | O_TRUNC);  // truncates the file: a write (FMODE_WRITE
                                                  // is not set, the kernel drops O_TRUNC)

  auto got = ReportedUntilMarker();
  EXPECT_EQ(got, (std::multiset<std::string>{"/watched/file", "/other/secret.key", "/wdir/file",
                                             "/wdir/file"}));
  EXPECT_GE(sensor_->Stats().prefiltered - filtered_before, 4u);
}

TEST_F(SensorPrefilter, JudgesTheFileTheKernelOpenedNotTheCallersString) {
  std::string error;
  ASSERT_TRUE(sensor_->SetOpenPrefilter(Filter(), &error)) << error;
  ASSERT_EQ(symlink((dir_ + "/watched").c_str(), (dir_ + "/link").c_str()), 0);
  testing::Drain(*sensor_);
  testing::LogOf(*sensor_).clear();

  // "..", "//", "." and relative paths: the kernel's path of the opened file is judged, so
  // the ones that reach /other/file are filtered and the ones that reach a watched file are
  // reported under the watched path.
  Open(dir_ + "/watched/../other/file", O_RDONLY);
  Open(dir_ + "//other/file", O_RDONLY);
  Open(dir_ + "/./other/file", O_RDONLY);
  Open(dir_ + "/other/../watched/file", O_RDONLY);
  Open(dir_ + "/link/file", O_RDONLY);  // a symlinked directory
  char cwd[PATH_MAX];
  ASSERT_NE(getcwd(cwd, sizeof cwd), nullptr);
  ASSERT_EQ(chdir((dir_ + "/other").c_str()), 0);
  Open("file", O_RDONLY);
  Open("../watched/file", O_RDONLY);
  ASSERT_EQ(chdir(cwd), 0);
  // /proc/self/root reaches the same file
  Open("/proc/self/root" + dir_ + "/watched/file", O_RDONLY);
  // A failed open has no file: its string (made absolute) is judged.
  EXPECT_LT(open((dir_ + "/watched/missing").c_str(), O_RDONLY), 0);
  EXPECT_LT(open((dir_ + "/other/missing").c_str(), O_RDONLY), 0);

  EXPECT_EQ(ReportedUntilMarker(),
            (std::multiset<std::string>{"/watched/file", "/watched/file", "/watched/file",
                                        "/watched/file", "/watched/missing"}));
}

TEST_F(SensorPrefilter, RawDotDotModeReportsStringsWithDotDot) {
  // A rule on fd.nameraw contains '../' (upstream's directory traversal rule): opens whose
  // caller string has ".." are reported whatever file they reach.
  OpenPrefilter f = Filter();
  f.raw_dotdot = true;
  std::string error;
  ASSERT_TRUE(sensor_->SetOpenPrefilter(f, &error)) << error;
  testing::Drain(*sensor_);
  testing::LogOf(*sensor_).clear();
  Open(dir_ + "/watched/../other/file", O_RDONLY);
  Open(dir_ + "/other/file", O_RDONLY);
  EXPECT_EQ(ReportedUntilMarker(), (std::multiset<std::string>{"/other/file"}));
}

TEST_F(SensorPrefilter, AllWritesAndSwitchingOffReportEverything) {
  std::string error;
  ASSERT_TRUE(sensor_->SetOpenPrefilter(Filter(/*all_writes=*/true), &error)) << error;
  testing::Drain(*sensor_);
  testing::LogOf(*sensor_).clear();
  Open(dir_ + "/other/file", O_WRONLY);  // every write is wanted
  Open(dir_ + "/other/file", O_RDONLY);  // reads still filtered
  EXPECT_EQ(ReportedUntilMarker(), (std::multiset<std::string>{"/other/file"}));

  // Switching it off (what a reload does when a rule needs every open).
  ASSERT_TRUE(sensor_->SetOpenPrefilter(OpenPrefilter{}, &error)) << error;
  Open(dir_ + "/wdir/file", O_RDONLY);
  EXPECT_EQ(ReportedUntilMarker(), (std::multiset<std::string>{"/wdir/file"}));
}

TEST_F(SensorPrefilter, ShortPatternsMatchWhereTheHashedBitmapsWouldSkip) {
  // The probe looks a path of 8 bytes or more up in a trie only when a pattern shorter than
  // 8 bytes shares its two head (tail) bytes or a longer one its first (last) 8 bytes
  // (wire.h struct vigil_opf_bits). Here the only long patterns share the head and tail
  // bytes of this test's paths but not their first or last 8 bytes, so every report below
  // depends on the short-pattern bitmaps; the long ones must not make a match be dropped.
  ASSERT_EQ(dir_.rfind("/tmp/vi", 0), 0u) << dir_;
  OpenPrefilter f;
  f.enabled = true;
  f.prefixes = {{"/tmp/vi", /*writes_only=*/true}, {"/tmp/zzzz-vigil-nothing/", false}};
  f.suffixes = {{"/marker", false}, {"/.pem", false}, {"/zzzz-nothing.pem", false}};
  std::string error;
  ASSERT_TRUE(sensor_->SetOpenPrefilter(f, &error)) << error;
  ASSERT_EQ(mkdir((dir_ + "/other/sub").c_str(), 0755), 0);
  for (const char* name : {"/other/.pem", "/other/x.pem"}) {
    int fd = open((dir_ + name).c_str(), O_CREAT | O_WRONLY, 0644);
    ASSERT_GE(fd, 0);
    close(fd);
  }
  testing::Drain(*sensor_);
  testing::LogOf(*sensor_).clear();
  const uint64_t filtered_before = sensor_->Stats().prefiltered;

  Open(dir_ + "/other/file", O_RDONLY);   // short prefix is write-only: dropped
  Open(dir_ + "/other/file", O_WRONLY);   // short prefix "/tmp/vi"
  Open(dir_ + "/other/.pem", O_RDONLY);   // short suffix "/.pem"
  Open(dir_ + "/other/x.pem", O_RDONLY);  // same tail bytes, no suffix: dropped
  // Failed opens judge the caller's string with the same bitmaps.
  EXPECT_LT(open((dir_ + "/other/sub/missing/.pem").c_str(), O_RDONLY), 0);
  EXPECT_LT(open((dir_ + "/other/missing").c_str(), O_WRONLY), 0);
  EXPECT_LT(open((dir_ + "/other/missing").c_str(), O_RDONLY), 0);

  EXPECT_EQ(ReportedUntilMarker(),
            (std::multiset<std::string>{"/other/file", "/other/.pem", "/other/sub/missing/.pem",
                                        "/other/missing"}));
  EXPECT_GE(sensor_->Stats().prefiltered - filtered_before, 3u);
}

TEST_F(SensorPrefilter, RawTpFallbackFiltersTheSame) {
  SensorOptions o = testing::TestOptions();
  o.hook_mode = "raw_tp";
  std::string error;
  auto raw = Sensor::Open(o, &error);
  ASSERT_NE(raw, nullptr) << error;
  ASSERT_TRUE(raw->SetOpenPrefilter(Filter(), &error)) << error;
  Sensor* shared = sensor_;
  sensor_ = raw.get();
  Open(dir_ + "/other/file", O_RDONLY);
  Open(dir_ + "/watched/file", O_RDONLY);
  Open(dir_ + "/wdir/file", O_RDWR);
  EXPECT_EQ(ReportedUntilMarker(), (std::multiset<std::string>{"/watched/file", "/wdir/file"}));
  EXPECT_GE(raw->Stats().prefiltered, 1u);
  sensor_ = shared;
}

}  // namespace
}  // namespace vigil
