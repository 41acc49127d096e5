// rule_reader.cpp — YAML rules document -> typed items (see rule_reader.h).
#include "rule_reader.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "sequence_reader.h"

namespace vigil {
namespace {

class Reader {
 public:
  Reader(const std::string& file, const std::string& text, std::vector<Diagnostic>* diags)
      : file_(file), text_(text), diags_(diags) {
    std::size_t start = 0;
    while (start <= text_.size()) {
      std::size_t e = text_.find('\n', start);
      if (e == std::string::npos) e = text_.size();
      lines_.push_back(std::string_view(text_).substr(start, e - start));
      start = e + 1;
    }
  }

  RuleFileItems Run() {
    RuleFileItems out;
    YAML::Node root;
    try {
      root = YAML::Load(text_);
    } catch (const YAML::Exception& e) {
      Error(e.mark, "", "invalid YAML: " + e.msg);
      return out;
    }
    if (!root || root.IsNull()) return out;  // empty file
    if (!root.IsSequence()) {
      Error(root.Mark(), "", "a rules file must be a YAML sequence of items (- rule: ..., - macro: ..., - list: ...)");
      return out;
    }
    for (const auto& item : root) {
      try {
        ReadItem(item, &out);
      } catch (const YAML::Exception& e) {
        Error(e.mark.is_null() ? item.Mark() : e.mark, "", "invalid item: " + e.msg);
      }
    }
    return out;
  }

 private:
  SourcePos Pos(const YAML::Mark& m) const {
    SourcePos p;
    p.file = file_;
    if (!m.is_null()) {
      p.line = m.line + 1;
      p.col = m.column + 1;
    }
    return p;
  }
  void Error(const YAML::Mark& m, const std::string& name, const std::string& msg, bool warning = false) {
    SourcePos p = Pos(m);
    diags_->push_back(Diagnostic{p.file, p.line, p.col, name, msg, warning});
  }

  bool GetString(const YAML::Node& n, const std::string& key, const std::string& item, std::string* out) {
    if (!n.IsScalar()) {
      Error(n.Mark(), item, "'" + key + "' must be a string");
      return false;
    }
    *out = n.Scalar();
    return true;
  }
  bool GetBool(const YAML::Node& n, const std::string& key, const std::string& item, bool* out) {
    if (!n.IsScalar()) {
      Error(n.Mark(), item, "'" + key + "' must be true or false");
      return false;
    }
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "TRUE" || s == "yes") *out = true;
    else if (s == "false" || s == "False" || s == "FALSE" || s == "no") *out = false;
    else {
      Error(n.Mark(), item, "'" + key + "' must be true or false, got '" + s + "'");
      return false;
    }
    return true;
  }
  bool GetStringList(const YAML::Node& n, const std::string& key, const std::string& item,
                     std::vector<std::string>* out) {
    if (n.IsNull()) return true;
    if (!n.IsSequence()) {
      Error(n.Mark(), item, "'" + key + "' must be a list");
      return false;
    }
    for (const auto& e : n) {
      if (!e.IsScalar()) {
        Error(e.Mark(), item, "'" + key + "' entries must be strings");
        return false;
      }
      out->push_back(e.Scalar());
    }
    return true;
  }

  // Maps a scalar's text to its source positions (handles quoted, plain and block scalars).
  SourceText Located(const YAML::Node& n) const {
    SourceText st;
    st.text = n.Scalar();
    const YAML::Mark m = n.Mark();
    if (m.is_null() || m.line < 0 || static_cast<std::size_t>(m.line) >= lines_.size()) {
      st.spans.push_back({0, SourcePos{file_, m.is_null() ? 0 : m.line + 1, m.is_null() ? 0 : m.column + 1}});
      return st;
    }
    std::string_view first = lines_[static_cast<std::size_t>(m.line)];
    std::size_t col = static_cast<std::size_t>(m.column);
    char c = col < first.size() ? first[col] : ' ';
    if (c == '|' || c == '>') {
      // Block scalar: content on the following lines at a common indentation.
      std::size_t offset = 0;
      std::size_t indent = std::string_view::npos;
      for (std::size_t l = static_cast<std::size_t>(m.line) + 1; l < lines_.size(); ++l) {
        std::string_view line = lines_[l];
        std::size_t ind = line.find_first_not_of(' ');
        if (ind == std::string_view::npos) {
          offset += 1;
          continue;
        }
        if (indent == std::string_view::npos) indent = ind;
        if (ind < indent) break;
        st.spans.push_back({offset, SourcePos{file_, static_cast<int>(l) + 1, static_cast<int>(indent) + 1}});
        offset += line.size() - indent + 1;
        if (offset >= st.text.size()) break;
      }
      if (st.spans.empty()) st.spans.push_back({0, Pos(m)});
      return st;
    }
    if (c == '"' || c == '\'') {
      st.spans.push_back({0, SourcePos{file_, m.line + 1, m.column + 2}});
      return st;
    }
    // Plain scalar, possibly continued on following lines.
    st.spans.push_back({0, Pos(m)});
    std::size_t offset = first.size() - col + 1;
    for (std::size_t l = static_cast<std::size_t>(m.line) + 1; l < lines_.size() && offset < st.text.size(); ++l) {
      std::string_view line = lines_[l];
      std::size_t ind = line.find_first_not_of(' ');
      if (ind == std::string_view::npos) continue;
      st.spans.push_back({offset, SourcePos{file_, static_cast<int>(l) + 1, static_cast<int>(ind) + 1}});
      offset += line.size() - ind + 1;
    }
    return st;
  }

  bool ReadOverride(const YAML::Node& n, const std::string& name, std::map<std::string, std::string>* out) {
    if (!n.IsMap()) {
      Error(n.Mark(), name, "'override' must be a map of key: append|replace");
      return false;
    }
    for (const auto& kv : n) {
      std::string key = kv.first.Scalar();
      if (!kv.second.IsScalar() || (kv.second.Scalar() != "append" && kv.second.Scalar() != "replace")) {
        Error(kv.second.Mark(), name, "override for '" + key + "' must be 'append' or 'replace'");
        return false;
      }
      (*out)[key] = kv.second.Scalar();
    }
    return true;
  }

  void ReadItem(const YAML::Node& item, RuleFileItems* out) {
    if (!item.IsMap()) {
      Error(item.Mark(), "", "each item must be a map with a 'rule', 'macro', 'list', "
                             "'required_engine_version' or 'required_plugin_versions' key");
      return;
    }
    if (item["required_engine_version"]) {
      if (!item["required_engine_version"].IsScalar())
        Error(item["required_engine_version"].Mark(), "", "'required_engine_version' must be a version string");
      return;
    }
    if (item["required_plugin_versions"]) {
      if (!item["required_plugin_versions"].IsSequence())
        Error(item["required_plugin_versions"].Mark(), "", "'required_plugin_versions' must be a list");
      return;  // container/k8s fields are built in; plugins are not needed
    }
    if (item["list"]) return ReadList(item, out);
    if (item["macro"]) return ReadMacro(item, out);
    if (item["rule"]) return ReadRule(item, out);
    if (item["sequence"]) return ReadSequence(item, out);
    Error(item.Mark(), "", "unknown item: expected a 'rule', 'macro' or 'list' key");
  }

  bool CheckKeys(const YAML::Node& item, const std::set<std::string>& allowed, const std::string& name,
                 const char* what) {
    for (const auto& kv : item) {
      if (!kv.first.IsScalar()) {
        Error(kv.first.Mark(), name, std::string("keys of a ") + what + " must be strings");
        return false;
      }
      if (!allowed.count(kv.first.Scalar()))
        Error(kv.first.Mark(), name, std::string("unknown key '") + kv.first.Scalar() + "' in " + what + " (ignored)", true);
    }
    return true;
  }

  void ReadSequence(const YAML::Node& item, RuleFileItems* out) {
    SequenceReadContext ctx{file_, diags_, [this](const YAML::Node& n) { return Located(n); }};
    SequenceItem seq;
    if (!ReadSequenceItem(item, ctx, &seq)) return;
    out->order.emplace_back(3, out->sequences.size());
    out->sequences.push_back(std::move(seq));
  }

  void ReadList(const YAML::Node& item, RuleFileItems* out) {
    ListItem l;
    l.pos = Pos(item["list"].Mark());
    if (!GetString(item["list"], "list", "", &l.name)) return;
    if (!CheckKeys(item, {"list", "items", "append", "override"}, l.name, "list")) return;
    if (!item["items"]) {
      Error(item.Mark(), l.name, "list '" + l.name + "' has no 'items'");
      return;
    }
    if (!GetStringList(item["items"], "items", l.name, &l.items)) return;
    if (item["append"] && !GetBool(item["append"], "append", l.name, &l.append)) return;
    if (item["override"]) {
      std::map<std::string, std::string> ov;
      if (!ReadOverride(item["override"], l.name, &ov)) return;
      for (const auto& [k, v] : ov) {
        if (k != "items") {
          Error(item["override"].Mark(), l.name, "a list can only override 'items', not '" + k + "'");
          return;
        }
        l.override_items = v;
      }
    }
    out->order.emplace_back(0, out->lists.size());
    out->lists.push_back(std::move(l));
  }

  void ReadMacro(const YAML::Node& item, RuleFileItems* out) {
    MacroItem m;
    m.pos = Pos(item["macro"].Mark());
    if (!GetString(item["macro"], "macro", "", &m.name)) return;
    if (!CheckKeys(item, {"macro", "condition", "append", "override"}, m.name, "macro")) return;
    if (!item["condition"]) {
      Error(item.Mark(), m.name, "macro '" + m.name + "' has no 'condition'");
      return;
    }
    if (!item["condition"].IsScalar()) {
      Error(item["condition"].Mark(), m.name, "'condition' must be a string");
      return;
    }
    m.condition = Located(item["condition"]);
    m.has_condition = true;
    if (item["append"] && !GetBool(item["append"], "append", m.name, &m.append)) return;
    if (item["override"]) {
      std::map<std::string, std::string> ov;
      if (!ReadOverride(item["override"], m.name, &ov)) return;
      for (const auto& [k, v] : ov) {
        if (k != "condition") {
          Error(item["override"].Mark(), m.name, "a macro can only override 'condition', not '" + k + "'");
          return;
        }
        m.override_condition = v;
      }
    }
    out->order.emplace_back(1, out->macros.size());
    out->macros.push_back(std::move(m));
  }

  bool ReadExceptionValue(const YAML::Node& n, const std::string& name, ExceptionValue* v) {
    if (n.IsScalar()) {
      v->str = n.Scalar();
      return true;
    }
    if (n.IsSequence()) {
      v->is_list = true;
      return GetStringList(n, "values", name, &v->list);
    }
    Error(n.Mark(), name, "exception values must be strings or lists of strings");
    return false;
  }

  bool ReadExceptions(const YAML::Node& n, const std::string& name, std::vector<ExceptionItem>* out) {
    if (!n.IsSequence()) {
      Error(n.Mark(), name, "'exceptions' must be a list");
      return false;
    }
    for (const auto& e : n) {
      ExceptionItem x;
      x.pos = Pos(e.Mark());
      if (!e.IsMap() || !e["name"]) {
        Error(e.Mark(), name, "each exception needs a 'name'");
        return false;
      }
      if (!GetString(e["name"], "name", name, &x.name)) return false;
      const YAML::Node fields = e["fields"];
      if (fields) {
        if (fields.IsScalar()) {
          x.single_field = true;
          x.fields.push_back(fields.Scalar());
          x.field_pos.push_back(Pos(fields.Mark()));
        } else if (!GetStringList(fields, "fields", name, &x.fields)) {
          return false;
        } else {
          for (const auto& f : fields) x.field_pos.push_back(Pos(f.Mark()));
        }
      }
      const YAML::Node comps = e["comps"];
      if (comps) {
        if (comps.IsScalar()) {
          if (!x.single_field) {
            Error(comps.Mark(), name, "exception '" + x.name + "': 'comps' must be a list when 'fields' is a list");
            return false;
          }
          x.comps.push_back(comps.Scalar());
        } else if (!GetStringList(comps, "comps", name, &x.comps)) {
          return false;
        }
      }
      if (x.comps.empty()) x.comps.assign(x.fields.size(), x.single_field ? "in" : "=");
      if (x.comps.size() != x.fields.size()) {
        Error(e.Mark(), name, "exception '" + x.name + "': 'fields' and 'comps' have different lengths");
        return false;
      }
      const YAML::Node values = e["values"];
      if (values) {
        if (!values.IsSequence()) {
          Error(values.Mark(), name, "exception '" + x.name + "': 'values' must be a list");
          return false;
        }
        for (const auto& tuple : values) {
          std::vector<ExceptionValue> t;
          if (x.single_field) {
            ExceptionValue v;
            if (!ReadExceptionValue(tuple, name, &v)) return false;
            t.push_back(std::move(v));
          } else {
            if (!tuple.IsSequence()) {
              Error(tuple.Mark(), name, "exception '" + x.name + "': each value must be a list matching 'fields'");
              return false;
            }
            for (const auto& v : tuple) {
              ExceptionValue ev;
              if (!ReadExceptionValue(v, name, &ev)) return false;
              t.push_back(std::move(ev));
            }
            if (!x.fields.empty() && t.size() != x.fields.size()) {
              Error(tuple.Mark(), name, "exception '" + x.name + "': a value has " + std::to_string(t.size()) +
                                            " entries but there are " + std::to_string(x.fields.size()) + " fields");
              return false;
            }
          }
          x.values.push_back(std::move(t));
        }
      }
      out->push_back(std::move(x));
    }
    return true;
  }

  void ReadRule(const YAML::Node& item, RuleFileItems* out) {
    RuleItem r;
    r.pos = Pos(item["rule"].Mark());
    if (!GetString(item["rule"], "rule", "", &r.name)) return;
    if (!CheckKeys(item, {"rule", "desc", "condition", "output", "priority", "enabled", "tags", "source",
                          "exceptions", "append", "override", "warn_evttypes", "skip-if-unknown-filter",
                          "required_engine_version", "output_fields"},
                   r.name, "rule"))
      return;
    std::string s;
    if (item["desc"]) {
      if (!GetString(item["desc"], "desc", r.name, &s)) return;
      r.desc = s;
    }
    if (item["output"]) {
      if (!GetString(item["output"], "output", r.name, &s)) return;
      r.output = s;
      r.output_src = Located(item["output"]);
    }
    if (item["source"]) {
      if (!GetString(item["source"], "source", r.name, &s)) return;
      r.source = s;
    }
    if (item["condition"]) {
      if (!item["condition"].IsScalar()) {
        Error(item["condition"].Mark(), r.name, "'condition' must be a string");
        return;
      }
      r.condition = Located(item["condition"]);
    }
    if (item["priority"]) {
      if (!GetString(item["priority"], "priority", r.name, &s)) return;
      auto p = ParsePriority(s);
      if (!p) {
        Error(item["priority"].Mark(), r.name, "invalid priority '" + s +
                                                   "' (expected EMERGENCY, ALERT, CRITICAL, ERROR, WARNING, NOTICE, INFORMATIONAL or DEBUG)");
        return;
      }
      r.priority = *p;
    }
    bool b = false;
    if (item["enabled"]) {
      if (!GetBool(item["enabled"], "enabled", r.name, &b)) return;
      r.enabled = b;
    }
    if (item["warn_evttypes"]) {
      if (!GetBool(item["warn_evttypes"], "warn_evttypes", r.name, &b)) return;
      r.warn_evttypes = b;
    }
    if (item["skip-if-unknown-filter"]) {
      if (!GetBool(item["skip-if-unknown-filter"], "skip-if-unknown-filter", r.name, &b)) return;
      r.skip_if_unknown_filter = b;
    }
    if (item["tags"]) {
      std::vector<std::string> tags;
      if (!GetStringList(item["tags"], "tags", r.name, &tags)) return;
      r.tags = std::move(tags);
    }
    if (item["exceptions"]) {
      std::vector<ExceptionItem> ex;
      if (!ReadExceptions(item["exceptions"], r.name, &ex)) return;
      r.exceptions = std::move(ex);
    }
    if (item["append"] && !GetBool(item["append"], "append", r.name, &r.append)) return;
    if (item["override"]) {
      if (!ReadOverride(item["override"], r.name, &r.overrides)) return;
      static const std::set<std::string> kAppendable = {"condition", "output", "desc", "tags", "exceptions"};
      static const std::set<std::string> kReplaceable = {"condition", "output", "desc", "priority", "tags",
                                                         "exceptions", "enabled", "warn_evttypes",
                                                         "skip-if-unknown-filter", "source"};
      for (const auto& [k, v] : r.overrides) {
        const auto& allowed = v == "append" ? kAppendable : kReplaceable;
        if (!allowed.count(k)) {
          Error(item["override"].Mark(), r.name, "key '" + k + "' cannot be overridden with '" + v + "'");
          return;
        }
        if (!item[k]) {
          Error(item["override"].Mark(), r.name, "override of '" + k + "' but the rule gives no '" + k + "'");
          return;
        }
      }
    }
    if (r.append && !r.overrides.empty()) {
      Error(item["append"].Mark(), r.name, "'append' and 'override' cannot be used together");
      return;
    }
    out->order.emplace_back(2, out->rules.size());
    out->rules.push_back(std::move(r));
  }

  const std::string& file_;
  const std::string& text_;
  std::vector<Diagnostic>* diags_;
  std::vector<std::string_view> lines_;
};

}  // namespace

RuleFileItems ReadRuleFile(const std::string& file, const std::string& text,
                           std::vector<Diagnostic>* diagnostics) {
  return Reader(file, text, diagnostics).Run();
}

}  // namespace vigil
