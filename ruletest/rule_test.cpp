#include "vigil/rule_test.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "vigil/event_jsonl.h"
#include "vigil/replay_evaluator.h"
#include "vigil/sequence_engine.h"

namespace vigil {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// Events in a test case get increasing timestamps when they carry no evt.time
// (2023-11-14T22:13:20Z + 1 ms per event): deterministic alert times.
constexpr uint64_t kDefaultBaseTimeNs = 1700000000000000000ULL;
constexpr uint64_t kDefaultTimeStepNs = 1000000ULL;

std::string Where(const std::string& file, const YAML::Mark& mark) {
  if (mark.is_null()) return file;
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

bool ParseInteger(const std::string& s, Json* out) {
  if (s.empty()) return false;
  std::string_view v(s);
  bool negative = false;
  if (v.front() == '-' || v.front() == '+') {
    negative = v.front() == '-';
    v.remove_prefix(1);
  }
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    base = 16;
    v.remove_prefix(2);
  } else if (v.size() > 2 && v[0] == '0' && v[1] == 'o') {
    base = 8;
    v.remove_prefix(2);
  }
  if (v.empty()) return false;
  uint64_t magnitude = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), magnitude, base);
  if (ec != std::errc() || ptr != v.data() + v.size()) return false;
  if (negative) {
    if (magnitude > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - magnitude);
  } else if (magnitude <= static_cast<uint64_t>(INT64_MAX)) {
    *out = static_cast<int64_t>(magnitude);
  } else {
    *out = magnitude;
  }
  return true;
}

// YAML -> JSON with YAML 1.2 core typing of plain scalars: null, booleans, integers
// (decimal, 0x hex, 0o octal); everything else (and every quoted scalar) is a string.
Json YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar: {
      const std::string& s = node.Scalar();
      if (node.Tag() == "!") return s;  // quoted: always a string
      if (s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      Json number;
      if (ParseInteger(s, &number)) return number;
      return s;
    }
    case YAML::NodeType::Sequence: {
      Json arr = Json::array();
      for (const auto& item : node) arr.push_back(YamlToJson(item));
      return arr;
    }
    case YAML::NodeType::Map: {
      Json obj = Json::object();
      for (const auto& kv : node) obj[kv.first.Scalar()] = YamlToJson(kv.second);
      return obj;
    }
  }
  return nullptr;
}

// A string or a list of strings.
bool StringList(const YAML::Node& node, const std::string& file, const char* key,
                std::vector<std::string>* out, std::vector<std::string>* errors) {
  if (node.IsScalar()) {
    out->push_back(node.Scalar());
    return true;
  }
  if (!node.IsSequence()) {
    errors->push_back(Where(file, node.Mark()) + ": error: " + key +
                      " must be a string or a list of strings");
    return false;
  }
  for (const auto& item : node) {
    if (!item.IsScalar()) {
      errors->push_back(Where(file, item.Mark()) + ": error: " + key +
                        " must be a list of strings");
      return false;
    }
    out->push_back(item.Scalar());
  }
  return true;
}

bool ParseExpect(const YAML::Node& node, const std::string& file, RuleTestExpect* expect,
                 std::vector<std::string>* errors) {
  if (!node.IsMap()) {
    errors->push_back(Where(file, node.Mark()) +
                      ": error: expect must be a map (fire, not_fire, output_fields)");
    return false;
  }
  bool ok = true;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    if (key == "fire") {
      ok &= StringList(kv.second, file, "expect.fire", &expect->fire, errors);
    } else if (key == "not_fire") {
      ok &= StringList(kv.second, file, "expect.not_fire", &expect->not_fire, errors);
    } else if (key == "output_fields") {
      if (!kv.second.IsMap()) {
        errors->push_back(Where(file, kv.second.Mark()) +
                          ": error: expect.output_fields must be a map of field: value");
        ok = false;
        continue;
      }
      for (const auto& f : kv.second) {
        if (!f.second.IsScalar() && !f.second.IsNull()) {
          errors->push_back(Where(file, f.second.Mark()) + ": error: output field '" +
                            f.first.Scalar() + "' must have a scalar value");
          ok = false;
          continue;
        }
        expect->output_fields.emplace_back(f.first.Scalar(),
                                           f.second.IsNull() ? "<NA>" : f.second.Scalar());
      }
    } else {
      errors->push_back(Where(file, kv.first.Mark()) + ": error: unknown key 'expect." + key +
                        "' (expected fire, not_fire, output_fields)");
      ok = false;
    }
  }
  if (ok && expect->fire.empty() && expect->not_fire.empty()) {
    errors->push_back(Where(file, node.Mark()) +
                      ": error: expect needs at least one rule in fire or not_fire");
    ok = false;
  }
  return ok;
}

// Parses a `processes:` entry (the "proc" object of the event schema) through the JSONL
// reader so both accept exactly the same keys and types.
bool ParseProcess(const YAML::Node& node, const std::string& file, Process* out,
                  std::vector<std::string>* errors) {
  if (!node.IsMap()) {
    errors->push_back(Where(file, node.Mark()) + ": error: a process must be a map");
    return false;
  }
  Json proc = YamlToJson(node);
  if (!proc.contains("pid") || !proc["pid"].is_number_integer()) {
    errors->push_back(Where(file, node.Mark()) + ": error: a process needs an integer pid");
    return false;
  }
  Json carrier = {{"evt.type", "close"}, {"proc.pid", proc["pid"]}, {"proc", proc}};
  ParsedEvent parsed;
  std::string error;
  if (!ParseEventJsonl(carrier.dump(), &parsed, &error) || !parsed.process) {
    errors->push_back(Where(file, node.Mark()) + ": error: bad process: " + error);
    return false;
  }
  *out = std::move(*parsed.process);
  return true;
}

bool ParseEvent(const YAML::Node& node, const std::string& file, std::size_t index,
                std::string* line, std::vector<std::string>* errors) {
  if (!node.IsMap()) {
    errors->push_back(Where(file, node.Mark()) + ": error: an event must be a map");
    return false;
  }
  Json ev = YamlToJson(node);
  if (ev.contains("at")) {
    // `at: 30s`: the event's time relative to the case's start (sequence windows).
    uint64_t offset = 0;
    std::string text = ev["at"].is_string() ? ev["at"].get<std::string>() : ev["at"].dump();
    const bool zero = text.find_first_not_of('0') != 0 && (text.find_first_not_of('0') == std::string::npos ||
                                                           ParseDuration("1" + text.substr(text.find_first_not_of('0')), &offset));
    if (zero) offset = 0;
    if (!zero && !ParseDuration(text, &offset)) {
      errors->push_back(Where(file, node["at"].Mark()) + ": error: 'at' must be a duration such as 0, 500ms, 30s, 2m");
      return false;
    }
    if (ev.contains("evt.time")) {
      errors->push_back(Where(file, node["at"].Mark()) + ": error: give either 'at' or 'evt.time', not both");
      return false;
    }
    ev.erase("at");
    ev["evt.time"] = kDefaultBaseTimeNs + offset;
  }
  if (!ev.contains("evt.time")) ev["evt.time"] = kDefaultBaseTimeNs + index * kDefaultTimeStepNs;
  if (!ev.contains("proc.pid") && ev.contains("proc") && ev["proc"].is_object() &&
      ev["proc"].contains("pid")) {
    ev["proc.pid"] = ev["proc"]["pid"];
  }
  *line = ev.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  ParsedEvent parsed;
  std::string error;
  if (!ParseEventJsonl(*line, &parsed, &error)) {
    errors->push_back(Where(file, node.Mark()) + ": error: bad event: " + error);
    return false;
  }
  return true;
}

bool ParseCase(const YAML::Node& node, const std::string& file, RuleTestCase* test,
               std::vector<std::string>* errors) {
  if (!node.IsMap()) {
    errors->push_back(Where(file, node.Mark()) + ": error: a test case must be a map");
    return false;
  }
  test->file = file;
  test->line = node.Mark().is_null() ? 0 : node.Mark().line + 1;
  const fs::path base = fs::path(file).parent_path();
  bool ok = true;
  bool has_events = false, has_expect = false;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& value = kv.second;
    if (key == "name") {
      test->name = value.IsScalar() ? value.Scalar() : "";
    } else if (key == "desc" || key == "description") {
      // documentation only
    } else if (key == "rules") {
      std::vector<std::string> rules;
      ok &= StringList(value, file, "rules", &rules, errors);
      for (const auto& r : rules) {
        fs::path p(r);
        test->rules.push_back(p.is_absolute() ? p.string() : (base / p).lexically_normal().string());
      }
    } else if (key == "processes") {
      if (!value.IsSequence()) {
        errors->push_back(Where(file, value.Mark()) + ": error: processes must be a list");
        ok = false;
        continue;
      }
      for (const auto& p : value) {
        Process proc;
        if (ParseProcess(p, file, &proc, errors)) test->processes.push_back(std::move(proc));
        else ok = false;
      }
    } else if (key == "events") {
      if (!value.IsSequence() || value.size() == 0) {
        errors->push_back(Where(file, value.Mark()) + ": error: events must be a non-empty list");
        ok = false;
        continue;
      }
      has_events = true;
      for (const auto& e : value) {
        std::string line;
        if (ParseEvent(e, file, test->events.size(), &line, errors)) {
          test->events.push_back(std::move(line));
          test->event_lines.push_back(e.Mark().is_null() ? 0 : e.Mark().line + 1);
        } else {
          ok = false;
        }
      }
    } else if (key == "expect") {
      has_expect = true;
      ok &= ParseExpect(value, file, &test->expect, errors);
    } else {
      errors->push_back(Where(file, kv.first.Mark()) + ": error: unknown key '" + key +
                        "' (expected name, desc, rules, processes, events, expect)");
      ok = false;
    }
  }
  if (test->name.empty()) {
    errors->push_back(Where(file, node.Mark()) + ": error: a test case needs a name");
    ok = false;
  }
  if (!has_events) {
    errors->push_back(Where(file, node.Mark()) + ": error: test '" + test->name +
                      "' has no events");
    ok = false;
  }
  if (!has_expect) {
    errors->push_back(Where(file, node.Mark()) + ": error: test '" + test->name +
                      "' has no expect");
    ok = false;
  }
  return ok;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out = "[";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += names[i];
  }
  return out + "]";
}

}  // namespace

bool ParseRuleTests(const std::string& yaml_text, const std::string& file,
                    std::vector<RuleTestCase>* cases, std::vector<std::string>* errors) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    errors->push_back(Where(file, e.mark) + ": error: " + e.msg);
    return false;
  }
  if (root.IsNull()) return true;  // empty file
  if (!root.IsSequence()) {
    errors->push_back(Where(file, root.Mark()) + ": error: a test file must be a list of cases");
    return false;
  }
  bool ok = true;
  try {
    for (const auto& node : root) {
      RuleTestCase test;
      if (ParseCase(node, file, &test, errors)) cases->push_back(std::move(test));
      else ok = false;
    }
  } catch (const YAML::Exception& e) {
    errors->push_back(Where(file, e.mark) + ": error: " + e.msg);
    ok = false;
  }
  return ok;
}

bool LoadRuleTests(const std::string& path, std::vector<RuleTestCase>* cases,
                   std::vector<std::string>* errors) {
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml"))
        files.push_back(entry.path().string());
    }
    if (ec) {
      errors->push_back(path + ": error: cannot list directory: " + ec.message());
      return false;
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  bool ok = true;
  for (const auto& f : files) {
    std::ifstream in(f);
    if (!in) {
      errors->push_back(f + ": error: cannot open test file");
      ok = false;
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    ok &= ParseRuleTests(text.str(), f, cases, errors);
  }
  return ok;
}

RuleTestRunner::RuleTestRunner(RuleTestOptions options) : options_(std::move(options)) {}

std::shared_ptr<const Ruleset> RuleTestRunner::RulesetFor(const std::vector<std::string>& files,
                                                          std::string* error) {
  auto it = cache_.find(files);
  if (it == cache_.end()) {
    Loaded loaded;
    LoadResult r = LoadRuleFiles(files, options_.load);
    if (r.ok()) {
      loaded.ruleset = r.ruleset;
    } else {
      for (const auto& d : r.diagnostics) {
        if (d.warning) continue;
        loaded.error = d.ToString();
        break;
      }
      if (r.errors() > 1) loaded.error += " (and " + std::to_string(r.errors() - 1) + " more)";
    }
    it = cache_.emplace(files, std::move(loaded)).first;
  }
  *error = it->second.error;
  return it->second.ruleset;
}

RuleTestResult RuleTestRunner::Run(const RuleTestCase& test) {
  RuleTestResult result;
  result.name = test.name;
  result.file = test.file;
  result.line = test.line;
  const std::vector<std::string>& files = !options_.override_rules.empty() ? options_.override_rules
                                          : !test.rules.empty()           ? test.rules
                                                                          : options_.default_rules;
  std::string error;
  std::shared_ptr<const Ruleset> ruleset = RulesetFor(files, &error);
  if (!ruleset) {
    result.detail = "rules did not load: " + error;
    return result;
  }

  std::vector<std::string> problems;
  // A misspelt rule name would make a not_fire expectation pass vacuously: refuse it.
  std::set<std::string> active, inactive;
  for (const auto& info : ruleset->rules()) (info.enabled ? active : inactive).insert(info.name);
  for (const auto& info : ruleset->sequences()) (info.enabled ? active : inactive).insert(info.name);
  auto check_known = [&](const std::vector<std::string>& names) {
    for (const auto& n : names) {
      if (active.count(n)) continue;
      problems.push_back(inactive.count(n) ? "rule '" + n + "' is loaded but disabled"
                                           : "no rule named '" + n + "' in the loaded rules");
    }
  };
  check_known(test.expect.fire);
  check_known(test.expect.not_fire);
  if (!problems.empty()) {
    for (std::size_t i = 0; i < problems.size(); ++i)
      result.detail += (i ? "; " : "") + problems[i];
    return result;
  }

  ReplayEvaluator evaluator(ruleset);
  for (const auto& p : test.processes) evaluator.table().Upsert(p);
  std::vector<Alert> alerts;
  auto on_alert = [&](const Alert& a) {
    alerts.push_back(a);
    if (std::find(result.fired.begin(), result.fired.end(), a.rule) == result.fired.end())
      result.fired.push_back(a.rule);
  };
  ParsedEvent parsed;
  for (std::size_t i = 0; i < test.events.size(); ++i) {
    std::string parse_error;
    if (!ParseEventJsonl(test.events[i], &parsed, &parse_error)) {
      ++result.bad_events;
      problems.push_back("event " + std::to_string(i + 1) + " is malformed: " + parse_error);
      continue;
    }
    evaluator.Feed(parsed, on_alert);
  }
  result.alerts = alerts.size();

  auto fired = [&](const std::string& rule) {
    return std::find(result.fired.begin(), result.fired.end(), rule) != result.fired.end();
  };
  for (const auto& r : test.expect.fire)
    if (!fired(r)) problems.push_back("expected '" + r + "' to fire, it did not");
  for (const auto& r : test.expect.not_fire)
    if (fired(r)) problems.push_back("'" + r + "' fired but must not");
  for (const auto& [field, want] : test.expect.output_fields) {
    std::vector<std::string> seen;
    bool matched = false;
    for (const auto& a : alerts) {
      if (!test.expect.fire.empty() &&
          std::find(test.expect.fire.begin(), test.expect.fire.end(), a.rule) ==
              test.expect.fire.end()) {
        continue;
      }
      for (const auto& f : a.output_fields) {
        if (f.name != field) continue;
        std::string got = AlertFieldText(f);
        if (got == want) matched = true;
        else seen.push_back(got);
      }
    }
    if (!matched) {
      problems.push_back("output field " + field + ": expected '" + want + "', got " +
                         (seen.empty() ? std::string("no such field in the alerts")
                                       : JoinNames(seen)));
    }
  }
  result.passed = problems.empty();
  for (std::size_t i = 0; i < problems.size(); ++i)
    result.detail += (i ? "; " : "") + problems[i];
  if (!result.passed) result.detail += " (fired: " + JoinNames(result.fired) + ")";
  return result;
}

std::string FormatRuleTestResult(const RuleTestResult& result) {
  std::string out = result.passed ? "PASS  " : "FAIL  ";
  out += result.file + ":" + std::to_string(result.line) + "  " + result.name;
  if (!result.passed) out += ": " + result.detail;
  return out;
}

}  // namespace vigil
