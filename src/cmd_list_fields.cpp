// cmd_list_fields.cpp — `vigil list-fields [--json]`: the fields usable in conditions and
// outputs, with their types and descriptions.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commands.h"
#include "vigil/field_registry.h"

namespace vigil::cli {
namespace {

std::string ArgSyntax(const FieldInfo& f) {
  switch (f.arg) {
    case FieldArg::kNone: return "";
    case FieldArg::kIndexOptional: return "[n]";
    case FieldArg::kIndexRequired: return "[n] (required)";
    case FieldArg::kKeyOptional: return "[key]";
    case FieldArg::kKeyRequired: return "[key] (required)";
    case FieldArg::kArgName: return ".<argname> or [n]";
  }
  return "";
}

}  // namespace

Runner AddListFieldsCommand(CLI::App& app) {
  auto* cmd = app.add_subcommand("list-fields", "List the fields usable in conditions and outputs");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print as JSON");
  return [json] {
    if (*json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& f : AllFields()) {
        arr.push_back({{"name", std::string(f.name)},
                       {"type", std::string(FieldTypeName(f.type))},
                       {"arg", ArgSyntax(f)},
                       {"desc", std::string(f.description)}});
      }
      std::printf("%s\n", arr.dump(2).c_str());
      return 0;
    }
    std::string_view group;
    for (const auto& f : AllFields()) {
      std::string_view g = f.name.substr(0, f.name.find('.'));
      if (g != group) {
        std::printf("%s%.*s fields\n", group.empty() ? "" : "\n", static_cast<int>(g.size()), g.data());
        group = g;
      }
      std::string name = std::string(f.name) + ArgSyntax(f);
      std::printf("  %-44s %-8s %.*s\n", name.c_str(), std::string(FieldTypeName(f.type)).c_str(),
                  static_cast<int>(f.description.size()), f.description.data());
    }
    return 0;
  };
}

}  // namespace vigil::cli
