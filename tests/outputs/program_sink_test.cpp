#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_alerts.h"
#include "vigil/program_sink.h"
#include "vigil/queued_sink.h"

namespace vigil {
namespace {

using namespace std::chrono_literals;
using testing::SampleAlert;

std::shared_ptr<const Alert> Shared(std::string output) {
  return std::make_shared<const Alert>(SampleAlert(std::move(output)));
}

std::size_t LineCount(const std::string& path) { return testing::SplitLines(testing::ReadFile(path)).size(); }

// Children of this test process that are still running (not zombies) and whose command
// line mentions `marker`.
int LiveChildrenMentioning(const std::string& marker) {
  int live = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = testing::ReadFile(entry.path() / "stat");
    const std::size_t paren = stat.rfind(')');
    if (paren == std::string::npos) continue;
    char state = 0;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + paren + 1, " %c %d", &state, &ppid) != 2) continue;
    if (ppid != getpid() || state == 'Z') continue;
    if (testing::ReadFile(entry.path() / "cmdline").find(marker) != std::string::npos) ++live;
  }
  return live;
}

TEST(ProgramSink, PipesAlertsToAProgramWithoutAShell) {
  testing::ScratchDir dir;
  // Shell metacharacters stay literal: no shell interprets the argv. (bs= makes dd
  // write each read at once instead of collecting 512-byte output blocks.)
  const std::string path = dir.File("out;echo $HOME.txt");
  ProgramSinkOptions options;
  options.command = {"/usr/bin/dd", "of=" + path, "oflag=append", "conv=notrunc", "bs=65536", "status=none"};
  {
    QueuedSink sink({.name = "program"}, std::make_unique<ProgramSink>(options));
    for (int i = 0; i < 3; ++i) sink.Submit(Shared("alert " + std::to_string(i)));
    ASSERT_TRUE(sink.Flush(5s));
    EXPECT_EQ(sink.Stats().sent, 3u);
    ASSERT_TRUE(testing::WaitFor([&] { return LineCount(path) == 3; }));
    EXPECT_EQ(LiveChildrenMentioning(path), 1);  // one program serves every alert
  }  // stopping the sink closes the program's stdin; dd exits and is reaped
  EXPECT_EQ(LiveChildrenMentioning(path), 0);
  const auto lines = testing::SplitLines(testing::ReadFile(path));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(nlohmann::json::parse(lines[2])["output"], "15:37:51.123456789: Warning alert 2");
}

TEST(ProgramSink, RestartsTheProgramAfterItExits) {
  testing::ScratchDir dir;
  const std::string path = dir.File("out.txt");
  ProgramSinkOptions options;
  // Each instance takes exactly one line and exits: every later line proves a restart.
  options.command = {"head -n 1 >>", "'" + path + "'"};
  options.shell = true;
  options.restart_backoff = 20ms;
  QueuedSink sink({.name = "program", .format = OutputFormat::kText},
                  std::make_unique<ProgramSink>(options));
  for (std::size_t i = 1; i <= 3; ++i) {
    sink.Submit(Shared("alert " + std::to_string(i)));
    ASSERT_TRUE(sink.Flush(5s));
    ASSERT_TRUE(testing::WaitFor([&] { return LineCount(path) == i; })) << "line " << i;
    // The next alert must go to a new instance, not into the pipe of one about to exit.
    ASSERT_TRUE(testing::WaitFor([&] { return LiveChildrenMentioning(path) == 0; }));
  }
  const auto lines = testing::SplitLines(testing::ReadFile(path));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "15:37:51.123456789: Warning alert 1");
  EXPECT_EQ(lines[2], "15:37:51.123456789: Warning alert 3");
  EXPECT_EQ(sink.Stats().sent, 3u);
  EXPECT_EQ(sink.Stats().failed, 0u);
}

TEST(ProgramSink, CountsFailuresWhenTheProgramCannotStart) {
  ProgramSinkOptions options;
  options.command = {"/nonexistent/vigil-test-program"};
  options.restart_backoff = 10ms;
  QueuedSink sink({.name = "program"}, std::make_unique<ProgramSink>(options));
  for (int i = 0; i < 3; ++i) {
    sink.Submit(Shared("x"));
    ASSERT_TRUE(sink.Flush(5s));
    std::this_thread::sleep_for(20ms);
  }
  // exec fails in the child: the sink learns it through its close-on-exec status pipe,
  // so nothing is reported sent into a program that never ran.
  const SinkStats stats = sink.Stats();
  EXPECT_EQ(stats.sent, 0u);
  EXPECT_EQ(stats.failed, 3u);
}

}  // namespace
}  // namespace vigil
