// sequence_reader.cpp — `sequence:` item shape checks (see sequence_reader.h).
#include "sequence_reader.h"

#include <charconv>
#include <set>

namespace vigil {

bool ParseDuration(const std::string& text, uint64_t* ns) {
  std::string_view s(text);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  uint64_t n = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  if (r.ec != std::errc() || r.ptr == s.data()) return false;
  std::string_view unit = s.substr(static_cast<std::size_t>(r.ptr - s.data()));
  uint64_t mult = 0;
  if (unit.empty() || unit == "s") mult = 1000000000ULL;
  else if (unit == "ms") mult = 1000000ULL;
  else if (unit == "us") mult = 1000ULL;
  else if (unit == "m") mult = 60ULL * 1000000000ULL;
  else if (unit == "h") mult = 3600ULL * 1000000000ULL;
  else if (unit == "d") mult = 86400ULL * 1000000000ULL;
  else return false;
  if (n == 0 || n > UINT64_MAX / mult) return false;
  *ns = n * mult;
  return true;
}

namespace {

class SeqReader {
 public:
  SeqReader(const SequenceReadContext& ctx, const std::string& name) : ctx_(ctx), name_(name) {}

  SourcePos Pos(const YAML::Mark& m) const {
    SourcePos p;
    p.file = ctx_.file;
    if (!m.is_null()) {
      p.line = m.line + 1;
      p.col = m.column + 1;
    }
    return p;
  }
  void Error(const YAML::Mark& m, const std::string& msg, bool warning = false) {
    SourcePos p = Pos(m);
    ctx_.diags->push_back(Diagnostic{p.file, p.line, p.col, name_, "sequence '" + name_ + "': " + msg, warning});
    if (!warning) ok_ = false;
  }
  bool String(const YAML::Node& n, const char* key, std::string* out) {
    if (!n.IsScalar()) {
      Error(n.Mark(), std::string("'") + key + "' must be a string");
      return false;
    }
    *out = n.Scalar();
    return true;
  }
  bool Condition(const YAML::Node& n, const char* key, SourceText* out) {
    if (!n.IsScalar() || n.Scalar().empty()) {
      Error(n.Mark(), std::string("'") + key + "' must be a non-empty condition string");
      return false;
    }
    *out = ctx_.located(n);
    return true;
  }
  bool Fields(const YAML::Node& n, const char* key, std::vector<std::string>* out) {
    if (n.IsScalar()) {
      out->push_back(n.Scalar());
      return true;
    }
    if (!n.IsSequence() || n.size() == 0) {
      Error(n.Mark(), std::string("'") + key + "' must be a field or a non-empty list of fields");
      return false;
    }
    for (const auto& e : n) {
      if (!e.IsScalar()) {
        Error(e.Mark(), std::string("'") + key + "' entries must be field names");
        return false;
      }
      out->push_back(e.Scalar());
    }
    return true;
  }
  bool ok() const { return ok_; }

 private:
  const SequenceReadContext& ctx_;
  const std::string& name_;
  bool ok_ = true;
};

}  // namespace

bool ReadSequenceItem(const YAML::Node& item, const SequenceReadContext& ctx, SequenceItem* out) {
  out->pos = SeqReader(ctx, "").Pos(item["sequence"].Mark());
  if (!item["sequence"].IsScalar() || item["sequence"].Scalar().empty()) {
    ctx.diags->push_back(Diagnostic{out->pos.file, out->pos.line, out->pos.col, "",
                                    "'sequence' must be a non-empty name", false});
    return false;
  }
  out->name = item["sequence"].Scalar();
  SeqReader r(ctx, out->name);
  static const std::set<std::string> kKeys = {"sequence", "desc", "by", "maxspan", "steps", "until",
                                              "condition", "threshold", "distinct", "output",
                                              "priority", "enabled", "tags"};
  for (const auto& kv : item) {
    if (!kv.first.IsScalar() || !kKeys.count(kv.first.Scalar()))
      r.Error(kv.first.Mark(), "unknown key '" + (kv.first.IsScalar() ? kv.first.Scalar() : std::string("?")) +
                                   "' (expected desc, by, maxspan, steps, until, condition, threshold, "
                                   "distinct, output, priority, enabled, tags)");
  }
  if (item["enabled"]) {
    const std::string s = item["enabled"].IsScalar() ? item["enabled"].Scalar() : "";
    if (s == "true" || s == "True" || s == "yes") out->enabled = true;
    else if (s == "false" || s == "False" || s == "no") out->enabled = false;
    else r.Error(item["enabled"].Mark(), "'enabled' must be true or false");
    if (item.size() == 2) {
      out->enabled_only = true;
      return r.ok();
    }
  }
  std::string s;
  if (item["desc"]) r.String(item["desc"], "desc", &out->desc);
  if (!item["output"]) r.Error(item.Mark(), "has no 'output'");
  else if (r.String(item["output"], "output", &out->output)) out->output_pos = r.Pos(item["output"].Mark());
  if (item["priority"] && r.String(item["priority"], "priority", &s)) {
    auto p = ParsePriority(s);
    if (!p) r.Error(item["priority"].Mark(), "invalid priority '" + s +
                                                  "' (expected EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL or DEBUG)");
    else out->priority = *p;
  }
  if (item["tags"]) {
    if (!item["tags"].IsSequence()) r.Error(item["tags"].Mark(), "'tags' must be a list");
    else
      for (const auto& t : item["tags"]) {
        if (t.IsScalar()) out->tags.push_back(t.Scalar());
        else r.Error(t.Mark(), "'tags' entries must be strings");
      }
  }
  if (!item["by"]) r.Error(item.Mark(), "has no 'by' (the fields every step must share, e.g. by: [proc.pid])");
  else if (r.Fields(item["by"], "by", &out->by)) out->by_pos = r.Pos(item["by"].Mark());
  if (!item["maxspan"]) {
    r.Error(item.Mark(), "has no 'maxspan' (the window, e.g. maxspan: 60s)");
  } else {
    out->maxspan_pos = r.Pos(item["maxspan"].Mark());
    if (!item["maxspan"].IsScalar() || !ParseDuration(item["maxspan"].Scalar(), &out->maxspan_ns))
      r.Error(item["maxspan"].Mark(), "'maxspan' must be a positive duration such as 500ms, 30s, 5m, 1h");
  }
  const bool has_steps = static_cast<bool>(item["steps"]);
  const bool has_threshold = item["threshold"] || item["condition"] || item["distinct"];
  if (has_steps && has_threshold) {
    r.Error(item["steps"].Mark(), "give either 'steps' (ordered form) or 'condition' + 'threshold' "
                                  "(threshold form), not both");
  } else if (has_steps) {
    const YAML::Node steps = item["steps"];
    if (!steps.IsSequence() || steps.size() < 2) {
      r.Error(steps.Mark(), "'steps' must be a list of at least two steps (use 'condition' + 'threshold' "
                            "for one kind of event)");
    } else {
      for (const auto& st : steps) {
        SequenceStepItem step;
        step.pos = r.Pos(st.Mark());
        if (!st.IsMap() || !st["condition"]) {
          r.Error(st.Mark(), "each step must be a map with a 'condition' (and optionally 'by')");
          continue;
        }
        for (const auto& kv : st)
          if (!kv.first.IsScalar() || (kv.first.Scalar() != "condition" && kv.first.Scalar() != "by"))
            r.Error(kv.first.Mark(), "unknown step key '" + (kv.first.IsScalar() ? kv.first.Scalar() : std::string("?")) +
                                         "' (expected condition, by)");
        r.Condition(st["condition"], "condition", &step.condition);
        if (st["by"] && r.Fields(st["by"], "by", &step.by)) {
          step.by_pos = r.Pos(st["by"].Mark());
          if (!out->by.empty() && step.by.size() != out->by.size())
            r.Error(st["by"].Mark(), "a step's 'by' must list as many fields as the sequence's 'by' (" +
                                         std::to_string(out->by.size()) + ")");
        }
        out->steps.push_back(std::move(step));
      }
    }
    if (item["until"]) {
      SourceText until;
      if (r.Condition(item["until"], "until", &until)) out->until = std::move(until);
    }
  } else if (has_threshold) {
    if (!item["condition"]) r.Error(item.Mark(), "the threshold form needs a 'condition'");
    else {
      SourceText c;
      if (r.Condition(item["condition"], "condition", &c)) out->condition = std::move(c);
    }
    if (!item["threshold"]) {
      r.Error(item.Mark(), "the threshold form needs 'threshold: N' (at least N events or distinct values)");
    } else {
      out->threshold_pos = r.Pos(item["threshold"].Mark());
      const std::string t = item["threshold"].IsScalar() ? item["threshold"].Scalar() : "";
      uint64_t n = 0;
      auto res = std::from_chars(t.data(), t.data() + t.size(), n);
      if (res.ec != std::errc() || res.ptr != t.data() + t.size() || n < 2 || n > 100000)
        r.Error(item["threshold"].Mark(), "'threshold' must be a whole number from 2 to 100000");
      else out->threshold = n;
    }
    if (item["distinct"] && r.String(item["distinct"], "distinct", &out->distinct))
      out->distinct_pos = r.Pos(item["distinct"].Mark());
    if (item["until"]) r.Error(item["until"].Mark(), "'until' belongs to the ordered form (steps)");
  } else {
    r.Error(item.Mark(), "needs 'steps' (ordered form) or 'condition' + 'threshold' (threshold form)");
  }
  return r.ok();
}

}  // namespace vigil
