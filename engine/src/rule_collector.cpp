// rule_collector.cpp — append/override/redefinition semantics (see rule_collector.h).
#include "rule_collector.h"

namespace vigil {
namespace {

std::string Where(const SourcePos& p) {
  return p.file + ":" + std::to_string(p.line) + ":" + std::to_string(p.col);
}

void AppendExceptions(std::vector<ExceptionItem>* dst, std::vector<ExceptionItem> src) {
  for (auto& e : src) {
    bool merged = false;
    for (auto& d : *dst) {
      if (d.name == e.name && e.fields.empty()) {
        for (auto& v : e.values) d.values.push_back(std::move(v));
        merged = true;
        break;
      }
    }
    if (!merged) dst->push_back(std::move(e));
  }
}

}  // namespace

void RuleCollector::Error(const SourcePos& p, const std::string& name, const std::string& msg, bool warning) {
  diags_->push_back(Diagnostic{p.file, p.line, p.col, name, msg, warning});
}

void RuleCollector::Add(RuleFileItems items) {
  for (const auto& [kind, idx] : items.order) {
    if (kind == 0) AddList(std::move(items.lists[idx]));
    else if (kind == 1) AddMacro(std::move(items.macros[idx]));
    else if (kind == 2) AddRule(std::move(items.rules[idx]));
    else AddSequence(std::move(items.sequences[idx]));
  }
}

void RuleCollector::AddList(ListItem l) {
  auto it = out_.list_index.find(l.name);
  bool append = l.append || l.override_items == "append";
  if (append || l.override_items == "replace") {
    if (it == out_.list_index.end()) {
      Error(l.pos, l.name, "list '" + l.name + "' has '" + (append ? "append" : "override") +
                               "' but no list by that name was defined before");
      return;
    }
    ListDef& d = out_.lists[it->second];
    if (append) d.items.insert(d.items.end(), l.items.begin(), l.items.end());
    else d.items = std::move(l.items);
    return;
  }
  if (it != out_.list_index.end()) {
    ListDef& d = out_.lists[it->second];
    if (d.pos.file == l.pos.file) {
      Error(l.pos, l.name, "duplicate list '" + l.name + "' (first defined at " + Where(d.pos) + ")");
      return;
    }
    d.items = std::move(l.items);
    d.pos = l.pos;
    return;
  }
  out_.list_index[l.name] = out_.lists.size();
  out_.lists.push_back(ListDef{l.name, std::move(l.items), l.pos});
}

void RuleCollector::AddMacro(MacroItem m) {
  auto it = out_.macro_index.find(m.name);
  bool append = m.append || m.override_condition == "append";
  if (append || m.override_condition == "replace") {
    if (it == out_.macro_index.end()) {
      Error(m.pos, m.name, "macro '" + m.name + "' has '" + (append ? "append" : "override") +
                               "' but no macro by that name was defined before");
      return;
    }
    MacroDef& d = out_.macros[it->second];
    if (append) d.condition.Append(m.condition, " ");
    else d.condition = std::move(m.condition);
    return;
  }
  if (it != out_.macro_index.end()) {
    MacroDef& d = out_.macros[it->second];
    if (d.pos.file == m.pos.file) {
      Error(m.pos, m.name, "duplicate macro '" + m.name + "' (first defined at " + Where(d.pos) + ")");
      return;
    }
    d.condition = std::move(m.condition);
    d.pos = m.pos;
    return;
  }
  out_.macro_index[m.name] = out_.macros.size();
  out_.macros.push_back(MacroDef{m.name, std::move(m.condition), m.pos});
}

void RuleCollector::AddRule(RuleItem r) {
  auto it = out_.rule_index.find(r.name);
  RuleDef* existing = it == out_.rule_index.end() ? nullptr : &out_.rules[it->second];

  // `- rule: X\n  enabled: false` (only the enabled key) toggles an existing rule.
  bool enabled_only = r.enabled && !r.append && r.overrides.empty() && !r.condition && !r.output &&
                      !r.desc && !r.priority && !r.tags && !r.exceptions && !r.source;
  if (enabled_only && existing) {
    existing->enabled = *r.enabled;
    return;
  }
  if (enabled_only) {
    Error(r.pos, r.name, "rule '" + r.name + "' only sets 'enabled' but no rule by that name was defined before");
    return;
  }

  if (r.append || !r.overrides.empty()) {
    if (!existing) {
      Error(r.pos, r.name, "rule '" + r.name + "' has '" + (r.append ? "append" : "override") +
                               "' but no rule by that name was defined before");
      return;
    }
    auto mode = [&](const std::string& key) -> std::string {
      if (r.append) return "append";
      auto o = r.overrides.find(key);
      return o == r.overrides.end() ? "" : o->second;
    };
    if (r.condition) {
      std::string m = mode("condition");
      if (m == "append") existing->condition.Append(*r.condition, " ");
      else if (m == "replace") existing->condition = std::move(*r.condition);
    }
    if (r.output) {
      std::string m = mode("output");
      if (m == "append") existing->output += " " + *r.output;
      else if (m == "replace") existing->output = *r.output;
      if (r.output_src && m == "append") existing->output_src.Append(*r.output_src, " ");
      else if (r.output_src && m == "replace") existing->output_src = *r.output_src;
    }
    if (r.desc) {
      std::string m = mode("desc");
      if (m == "append") existing->desc += " " + *r.desc;
      else if (m == "replace") existing->desc = *r.desc;
    }
    if (r.tags) {
      std::string m = mode("tags");
      if (m == "append") existing->tags.insert(existing->tags.end(), r.tags->begin(), r.tags->end());
      else if (m == "replace") existing->tags = *r.tags;
    }
    if (r.exceptions) {
      std::string m = mode("exceptions");
      if (m == "append") AppendExceptions(&existing->exceptions, std::move(*r.exceptions));
      else if (m == "replace") existing->exceptions = std::move(*r.exceptions);
    }
    if (r.priority && mode("priority") == "replace") existing->priority = *r.priority;
    if (r.enabled && (r.append || mode("enabled") == "replace")) existing->enabled = *r.enabled;
    if (r.warn_evttypes && mode("warn_evttypes") == "replace") existing->warn_evttypes = *r.warn_evttypes;
    if (r.skip_if_unknown_filter && mode("skip-if-unknown-filter") == "replace")
      existing->skip_if_unknown_filter = *r.skip_if_unknown_filter;
    if (r.source && mode("source") == "replace") existing->source = *r.source;
    return;
  }

  // A full definition.
  std::vector<std::string> missing;
  if (!r.condition) missing.push_back("condition");
  if (!r.output) missing.push_back("output");
  if (!r.desc) missing.push_back("desc");
  if (!r.priority) missing.push_back("priority");
  if (!missing.empty()) {
    std::string keys;
    for (const auto& k : missing) keys += (keys.empty() ? "'" : ", '") + k + "'";
    Error(r.pos, r.name, "rule '" + r.name + "' is missing " + keys);
    return;
  }
  RuleDef d;
  d.name = r.name;
  d.desc = *r.desc;
  d.output = *r.output;
  if (r.output_src) d.output_src = *r.output_src;
  if (r.source) d.source = *r.source;
  d.condition = std::move(*r.condition);
  d.priority = *r.priority;
  if (r.enabled) d.enabled = *r.enabled;
  if (r.tags) d.tags = std::move(*r.tags);
  if (r.exceptions) d.exceptions = std::move(*r.exceptions);
  if (r.warn_evttypes) d.warn_evttypes = *r.warn_evttypes;
  if (r.skip_if_unknown_filter) d.skip_if_unknown_filter = *r.skip_if_unknown_filter;
  d.pos = r.pos;
  if (existing) {
    if (existing->pos.file == d.pos.file) {
      Error(r.pos, r.name, "duplicate rule '" + r.name + "' (first defined at " + Where(existing->pos) + ")");
      return;
    }
    *existing = std::move(d);  // a later file redefines the rule (Falco semantics)
    return;
  }
  out_.rule_index[r.name] = out_.rules.size();
  out_.rules.push_back(std::move(d));
}

// Sequences: `enabled` alone toggles an earlier one; a later file replaces one by name.
void RuleCollector::AddSequence(SequenceItem s) {
  auto it = out_.sequence_index.find(s.name);
  if (s.enabled_only) {
    if (it == out_.sequence_index.end()) {
      Error(s.pos, s.name, "sequence '" + s.name + "' only sets 'enabled' but no sequence by that name was defined before");
      return;
    }
    out_.sequences[it->second].enabled = s.enabled;
    return;
  }
  if (out_.rule_index.count(s.name))
    Error(s.pos, s.name, "sequence '" + s.name + "' has the name of a rule: alerts of both carry the same 'rule'", true);
  if (it != out_.sequence_index.end()) {
    SequenceDef& d = out_.sequences[it->second];
    if (d.pos.file == s.pos.file) {
      Error(s.pos, s.name, "duplicate sequence '" + s.name + "' (first defined at " + Where(d.pos) + ")");
      return;
    }
    d = std::move(s);
    return;
  }
  out_.sequence_index[s.name] = out_.sequences.size();
  out_.sequences.push_back(std::move(s));
}

}  // namespace vigil
