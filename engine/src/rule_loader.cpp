// rule_loader.cpp — orchestrates reader -> collector -> compiler -> Ruleset (see rule_loader.h).
#include "vigil/rule_loader.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "compiled_rule.h"
#include "rule_collector.h"
#include "rule_compiler.h"
#include "rule_reader.h"

namespace vigil {

std::string Diagnostic::ToString() const {
  std::string out = file.empty() ? std::string("<rules>") : file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (col > 0) out += ":" + std::to_string(col);
  }
  out += warning ? ": warning: " : ": error: ";
  // Messages from the compiler already name the rule; others get it prefixed.
  if (!rule.empty() && message.find("'" + rule + "'") == std::string::npos) out += "'" + rule + "': ";
  out += message;
  return out;
}

bool LoadResult::ok() const { return errors() == 0; }
std::size_t LoadResult::errors() const {
  return static_cast<std::size_t>(std::count_if(diagnostics.begin(), diagnostics.end(),
                                                [](const Diagnostic& d) { return !d.warning; }));
}
std::size_t LoadResult::warnings() const { return diagnostics.size() - errors(); }

namespace {

std::string Hostname(const LoadOptions& o) {
  if (!o.hostname.empty()) return o.hostname;
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

LoadResult Compile(CollectedRules defs, const LoadOptions& options, std::vector<Diagnostic> diags) {
  LoadResult result;
  auto impl = std::make_unique<Ruleset::Impl>();
  impl->mode = options.mode;
  impl->hostname = Hostname(options);
  impl->users = std::make_unique<UserDb>(options.passwd_path, options.group_path);

  std::set<std::string> disabled(options.disabled_rules.begin(), options.disabled_rules.end());
  std::set<std::string> disabled_tags(options.disabled_tags.begin(), options.disabled_tags.end());
  std::set<std::string> enabled(options.enabled_rules.begin(), options.enabled_rules.end());

  RuleCompiler compiler(defs, &diags);
  compiler.set_append_output(options.append_output);
  compiler.set_lint(options.lint);
  // A disabled_rules entry naming no rule is a typo that leaves the rule running.
  for (const auto& name : options.disabled_rules) {
    if (!defs.rule_index.count(name)) {
      diags.push_back(Diagnostic{"engine.disabled_rules", 0, 0, "",
                                 "disabled_rules names '" + name +
                                     "', but no rule has that name (it disables nothing)",
                                 true});
    }
  }
  // Rules and sequences alike: enabled in the file, then the options' disabled names and tags,
  // enabled names (which win) and minimum priority.
  auto is_active = [&](const auto& def) {
    bool active = def.enabled;
    if (disabled.count(def.name)) active = false;
    for (const auto& t : def.tags)
      if (disabled_tags.count(t)) active = false;
    if (enabled.count(def.name)) active = true;
    if (static_cast<int>(def.priority) > static_cast<int>(options.min_priority)) active = false;
    return active;
  };
  for (const auto& def : defs.rules) {
    if (def.source != "syscall") {
      ++result.inactive_source_rules;
      continue;
    }
    bool skipped = false;
    auto rule = compiler.Compile(def, &skipped);
    if (!rule) continue;
    ++result.rules;
    const bool active = is_active(def);
    rule->active = active;
    if (!active) ++result.disabled_rules;
    if (active && rule->any_type && def.warn_evttypes) {
      diags.push_back(Diagnostic{def.pos.file, def.pos.line, def.pos.col, def.name,
                                 "rule '" + def.name + "' has no evt.type restriction: it is evaluated for every event type",
                                 true});
    }
    if (active && rule->types.none() && def.warn_evttypes) {
      diags.push_back(Diagnostic{def.pos.file, def.pos.line, def.pos.col, def.name,
                                 "rule '" + def.name + "' can never match: vigil decodes none of its event types",
                                 true});
    }
    impl->rules.push_back(std::move(rule));
  }
  if (options.warn_unknown_event_types && !compiler.unknown_event_type_names().empty()) {
    std::string names;
    for (const auto& n : compiler.unknown_event_type_names()) names += (names.empty() ? "" : ", ") + n;
    diags.push_back(Diagnostic{"", 0, 0, "", "event types vigil does not decode (never match): " + names, true});
  }
  for (const auto& def : defs.sequences) {
    auto seq = compiler.CompileSequence(def);
    if (!seq) continue;
    ++result.sequences;
    const bool active = is_active(def);
    seq->active = active;
    if (!active) ++result.disabled_rules;
    impl->sequences.push_back(std::move(seq));
  }
  impl->memo_slots = compiler.memo_slots();
  {
    std::vector<CondNodePtr*> roots;
    for (auto& r : impl->rules) roots.push_back(&r->condition);
    for (auto& sq : impl->sequences) {
      for (auto& st : sq->steps) roots.push_back(&st.condition);
      if (sq->until) roots.push_back(&sq->until);
    }
    InlineSingleUseMemos(roots, impl->memo_slots);
  }
  result.macros = defs.macros.size();
  result.lists = defs.lists.size();
  result.ruleset = RulesetBuilder::Build(std::move(impl));
  result.diagnostics = std::move(diags);
  return result;
}

}  // namespace

LoadResult LoadRuleStrings(const std::vector<std::pair<std::string, std::string>>& docs,
                           const LoadOptions& options) {
  std::vector<Diagnostic> diags;
  RuleCollector collector(&diags);
  for (const auto& [name, text] : docs) collector.Add(ReadRuleFile(name, text, &diags));
  return Compile(collector.Finish(), options, std::move(diags));
}

LoadResult LoadRuleFiles(const std::vector<std::string>& paths, const LoadOptions& options) {
  return LoadRuleFiles(paths, {}, options);
}

LoadResult LoadRuleFiles(const std::vector<std::string>& paths,
                         const std::vector<std::pair<std::string, std::string>>& extra_docs,
                         const LoadOptions& options) {
  namespace fs = std::filesystem;
  std::vector<Diagnostic> diags;
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> inside;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        auto ext = e.path().extension().string();
        if (e.is_regular_file(ec) && (ext == ".yaml" || ext == ".yml")) inside.push_back(e.path().string());
      }
      std::sort(inside.begin(), inside.end());
      files.insert(files.end(), inside.begin(), inside.end());
    } else {
      files.push_back(p);
    }
  }
  RuleCollector collector(&diags);
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      diags.push_back(Diagnostic{f, 0, 0, "", "cannot read rules file", false});
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    collector.Add(ReadRuleFile(f, ss.str(), &diags));
  }
  for (const auto& [name, text] : extra_docs) collector.Add(ReadRuleFile(name, text, &diags));
  return Compile(collector.Finish(), options, std::move(diags));
}

}  // namespace vigil
