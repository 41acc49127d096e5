// golden_alerts_test.cpp — the engine's alerts on a fixed stream do not change when the engine
// is made faster: every alert (rule and sequence: time, rule, priority, output text and
// output_fields) of `rules/` over a synthetic stream is compared line by line with
// tests/engine/golden/replay_alerts.txt.
// The stream: every rules/tests case that uses the default rules, replayed in 6 rounds with
// the process ids moved (each round is its own set of sessions) and the rounds 40 s apart,
// merged by event time so that partial matches of many keys are live at once; run twice,
// with the default caps and with tiny caps (2 keys per sequence, 1 partial per key) so that
// eviction decides too.
// A deliberate change of rules/ or of the engine's output changes the file: regenerate it with
// `VIGIL_UPDATE_GOLDEN=1 meson test -C build engine_golden_alerts` and review the diff.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "vigil/event_jsonl.h"
#include "vigil/replay_evaluator.h"
#include "vigil/rule_test.h"

namespace vigil::testing {
namespace {

using Json = nlohmann::json;

std::string SourceRoot() {
  const char* root = std::getenv("VIGIL_SOURCE_ROOT");
  return root ? root : ".";
}

constexpr int kRounds = 6;
constexpr uint64_t kRoundGapNs = 40ULL * 1000000000ULL;

bool IsPidKey(const std::string& k) {
  static const char* kKeys[] = {"pid", "ppid", "sid", "vpid", "tid", "tgid", "pgid", "vpgid",
                                "proc.pid", "proc.ppid", "proc.sid", "proc.vpid", "thread.tid"};
  for (const char* x : kKeys)
    if (k == x) return true;
  return false;
}

// Moves every process id (> 1: init stays) by `offset`, recursively.
void MovePids(Json& j, int64_t offset) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (IsPidKey(it.key()) && it.value().is_number_integer()) {
        const int64_t v = it.value().get<int64_t>();
        if (v > 1) it.value() = v + offset;
      } else {
        MovePids(it.value(), offset);
      }
    }
  } else if (j.is_array()) {
    for (auto& x : j) MovePids(x, offset);
  }
}

struct Line {
  uint64_t ts;
  std::size_t order;
  std::string json;
};

std::string Render(const Alert& a, uint64_t t0) {
  std::ostringstream o;
  o << (a.ts_ns - t0) << " | " << a.rule << " | " << PriorityName(a.priority) << " | " << a.output << " |";
  for (const auto& f : a.output_fields) {
    o << ' ' << f.name << '=';
    switch (f.kind) {
      case AlertField::Kind::kNull: o << "<NA>"; break;
      case AlertField::Kind::kString: o << f.str; break;
      case AlertField::Kind::kInt: o << f.i; break;
      case AlertField::Kind::kUint: o << f.u; break;
      case AlertField::Kind::kBool: o << (f.b ? "true" : "false"); break;
    }
  }
  return o.str();
}

TEST(GoldenAlerts, SyntheticStreamGivesTheRecordedAlerts) {
  auto r = LoadRuleFiles({SourceRoot() + "/rules"}, LoadOptions{});
  ASSERT_TRUE(r.ok()) << DiagText(r);
  ASSERT_GT(r.ruleset->sequence_count(), 0u);
  std::vector<RuleTestCase> cases;
  std::vector<std::string> errors;
  ASSERT_TRUE(LoadRuleTests(SourceRoot() + "/rules/tests", &cases, &errors));

  std::vector<Process> processes;
  std::vector<Line> lines;
  uint64_t t0 = UINT64_MAX;
  for (int round = 0; round < kRounds; ++round) {
    const int64_t offset = static_cast<int64_t>(round + 1) * 1000000;
    for (const auto& c : cases) {
      if (!c.rules.empty()) continue;  // cases with rules of their own
      for (Process p : c.processes) {
        for (uint32_t* id : {&p.pid, &p.ppid, &p.sid, &p.vpid, &p.pgid})
          if (*id > 1) *id += static_cast<uint32_t>(offset);
        processes.push_back(std::move(p));
      }
      for (const auto& text : c.events) {
        Json j = Json::parse(text, nullptr, false);
        if (j.is_discarded() || !j.contains("evt.time")) continue;
        MovePids(j, offset);
        const uint64_t ts = j["evt.time"].get<uint64_t>() + static_cast<uint64_t>(round) * kRoundGapNs;
        j["evt.time"] = ts;
        t0 = std::min(t0, ts);
        lines.push_back(Line{ts, lines.size(), j.dump()});
      }
    }
  }
  std::stable_sort(lines.begin(), lines.end(), [](const Line& a, const Line& b) { return a.ts < b.ts; });
  ASSERT_GT(lines.size(), 2000u);

  std::vector<std::string> got;
  std::size_t sequence_alerts = 0;
  const auto seq_names = r.ruleset->sequences();
  auto run = [&](const char* label, SequenceOptions options) {
    ReplayEvaluator eval(r.ruleset, options);
    for (const auto& p : processes) eval.table().Upsert(p);
    ParsedEvent parsed;
    for (const auto& l : lines) {
      std::string err;
      ASSERT_TRUE(ParseEventJsonl(l.json, &parsed, &err)) << err << ": " << l.json;
      eval.Feed(parsed, [&](const Alert& a) {
        got.push_back(std::string(label) + " | " + Render(a, t0));
        for (const auto& s : seq_names) sequence_alerts += s.name == a.rule ? 1 : 0;
      }, l.json);
    }
  };
  run("default", SequenceOptions{});
  SequenceOptions tiny;
  tiny.max_keys = 2;
  tiny.max_partials_per_key = 1;
  run("tiny-caps", tiny);
  EXPECT_GT(sequence_alerts, 20u);  // the stream exercises the sequences

  const std::string golden = SourceRoot() + "/tests/engine/golden/replay_alerts.txt";
  if (std::getenv("VIGIL_UPDATE_GOLDEN")) {
    std::ofstream out(golden);
    for (const auto& g : got) out << g << '\n';
    ASSERT_TRUE(out.good()) << golden;
    GTEST_SKIP() << "wrote " << got.size() << " alerts to " << golden;
  }
  std::ifstream in(golden);
  ASSERT_TRUE(in.good()) << golden << " missing: run with VIGIL_UPDATE_GOLDEN=1";
  std::vector<std::string> want;
  for (std::string s; std::getline(in, s);) want.push_back(s);
  EXPECT_EQ(got.size(), want.size());
  for (std::size_t i = 0, bad = 0; i < std::max(got.size(), want.size()) && bad < 10; ++i) {
    const std::string g = i < got.size() ? got[i] : "<none>";
    const std::string w = i < want.size() ? want[i] : "<none>";
    if (g != w) {
      ++bad;
      ADD_FAILURE() << "alert " << i << "\n  got:  " << g << "\n  want: " << w;
    }
  }
}

}  // namespace
}  // namespace vigil::testing
