// cmd_replay.cpp — `vigil replay FILE`: evaluates rules over a recorded JSON Lines event
// stream (what `vigil record` writes) and prints alerts as `vigil run` prints them on stdout.
// With -c, alerts go to the sinks of a vigil.yaml instead (http, syslog, file...).
// Exit 0 when the file was read (malformed lines are reported and skipped), 1 when the file
// cannot be read, the rules or the configuration fail to load.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "vigil/daemon_config.h"
#include "vigil/output_format.h"
#include "vigil/output_manager.h"
#include "vigil/outputs_config.h"
#include "vigil/replay_evaluator.h"
#include "vigil/rule_loader.h"

namespace vigil::cli {
namespace {

struct ReplayArgs {
  std::string file;
  std::vector<std::string> rules;
  std::string format = "json";
  bool rules_from_default = false;
  std::string config_path;
  std::vector<std::string> overrides;
  bool use_config() const { return !config_path.empty() || !overrides.empty(); }
};

int RunReplay(const ReplayArgs& args) {
  for (const auto& o : args.overrides) {
    if (o.find('=') == std::string::npos && ParseOutputFormat(o)) {
      std::fprintf(stderr,
                   "vigil replay: -o %s: -o overrides a config key (as in `vigil run`); the alert "
                   "format is --format %s\n",
                   o.c_str(), o.c_str());
      return 1;
    }
  }
  auto format = ParseOutputFormat(args.format);
  if (!format) {
    std::fprintf(stderr, "vigil replay: unknown output format '%s' (json, text, ecs)\n",
                 args.format.c_str());
    return 1;
  }

  DaemonConfig config;
  if (args.use_config()) {
    std::vector<std::string> errors;
    if (!LoadDaemonConfig(args.config_path, args.overrides, &config, &errors)) {
      for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
      return 1;
    }
  }

  std::vector<std::string> rule_files;
  if (args.rules_from_default) rule_files.push_back(DefaultRulesDir());
  if (!args.rules.empty()) {
    rule_files.insert(rule_files.end(), args.rules.begin(), args.rules.end());
  } else if (!config.rules_files.empty()) {
    rule_files.insert(rule_files.end(), config.rules_files.begin(), config.rules_files.end());
  } else if (!args.rules_from_default) {
    rule_files.push_back(DefaultRulesDir());
  }

  LoadOptions load;
  load.hostname = config.hostname;
  load.mode = config.match_mode == "first" ? MatchMode::kFirst : MatchMode::kAll;
  load.disabled_rules = config.disabled_rules;
  load.disabled_tags = config.disabled_tags;
  load.enabled_rules = config.enabled_rules;
  LoadResult loaded = LoadRuleFiles(rule_files, load);
  for (const auto& d : loaded.diagnostics) {
    if (!d.warning) std::fprintf(stderr, "%s\n", d.ToString().c_str());
  }
  if (!loaded.ok()) {
    std::fprintf(stderr, "vigil replay: %zu rule error(s); nothing replayed\n", loaded.errors());
    return 1;
  }

  std::unique_ptr<OutputManager> outputs;
  if (args.use_config()) {
    OutputsConfig outputs_config;
    std::vector<std::string> errors;
    if (ParseOutputsConfig(config.outputs, &outputs_config, &errors)) {
      // A replay is a one-off run: its alerts must not wait in (or mix into) the daemon's
      // disk spool; sinks deliver from memory with their own retries.
      outputs_config.spool.enabled = false;
      outputs = OutputManager::Create(outputs_config, &errors);
    }
    if (!outputs) {
      for (const auto& e : errors) {
        std::fprintf(stderr, "%s: %s\n", args.config_path.empty() ? "<config>" : args.config_path.c_str(),
                     e.c_str());
      }
      return 1;
    }
  }

  std::ifstream file_stream;
  std::istream* in = &std::cin;
  if (args.file != "-") {
    file_stream.open(args.file);
    if (!file_stream) {
      std::fprintf(stderr, "vigil replay: cannot read %s\n", args.file.c_str());
      return 1;
    }
    in = &file_stream;
  }

  std::string line;
  AlertCallback on_alert = [&](const Alert& alert) {
    if (outputs) {
      outputs->Submit(alert);
      return;
    }
    FormatAlert(alert, *format, &line);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  };
  const std::string& name = args.file;
  ReplayErrorCallback on_error = [&](const std::string& message) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), message.c_str());
  };
  ReplayEvaluator evaluator(loaded.ruleset);
  const ReplayStats& stats = evaluator.ReplayStream(*in, on_alert, on_error);
  std::fflush(stdout);
  bool delivered = true;
  if (outputs) {
    delivered = outputs->Flush(std::chrono::seconds(10));
    outputs->Stop(std::chrono::seconds(2));
  }
  std::fprintf(stderr,
               "replay: %zu events, %zu alerts, %zu bad lines (%zu rules active, %zu process "
               "records)%s\n",
               stats.events, stats.alerts, stats.bad_lines, loaded.ruleset->rule_count(),
               stats.process_records,
               delivered ? "" : "; some sinks did not deliver in time");
  return 0;
}

}  // namespace

Runner AddReplayCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "replay", "Evaluate rules over a recorded JSON Lines event stream (from `vigil record`)");
  auto args = std::make_shared<ReplayArgs>();
  cmd->add_option("file", args->file, "Recorded events (JSON Lines; - for stdin)")->required();
  cmd->add_option("-r,--rules", args->rules,
                  "Rule files or directories (default: the config's rules_files, else the "
                  "default rules directory)");
  cmd->add_option("-f,--format", args->format, "Alert format on stdout: json, text or ecs")
      ->capture_default_str();
  cmd->add_flag("--rules-from-default", args->rules_from_default,
                "Also load the default rules directory (before any -r files)");
  cmd->add_option("-c,--config", args->config_path,
                  "vigil.yaml: send alerts to its outputs (sinks) and use its engine settings");
  cmd->add_option("-o,--option,--set", args->overrides,
                  "Override a config key as `vigil run -o` does, e.g. -o outputs.http.url=URL "
                  "(implies sending alerts to the configured outputs)");
  return [args] { return RunReplay(*args); };
}

}  // namespace vigil::cli
