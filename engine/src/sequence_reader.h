// sequence_reader.h — reads one `sequence:` item of a rules file (YAML -> SequenceItem),
// checking its shape and reporting every problem with file:line:col. Called by the rule
// reader (rule_reader.cpp). Engine-internal, cold path, pure function (thread safe).
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <vector>

#include "sequence_item.h"

namespace vigil {

struct SequenceReadContext {
  std::string file;
  std::vector<Diagnostic>* diags = nullptr;
  // Maps a scalar to its text with source positions (the rule reader's Located()).
  std::function<SourceText(const YAML::Node&)> located;
};

// Returns false (after reporting) when the item has errors; it is then dropped.
bool ReadSequenceItem(const YAML::Node& item, const SequenceReadContext& ctx, SequenceItem* out);

}  // namespace vigil
