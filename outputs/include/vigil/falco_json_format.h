// falco_json_format.h — Falco's JSON alert shape, field for field:
//   {"hostname","output","output_fields":{...},"priority","rule","source","tags","time"}
// "output" carries Falco's prefix "HH:MM:SS.nnnnnnnnn: Priority " before the rule output;
// output_fields keep their types (numbers, strings, booleans, null for <NA>); a folded
// duplicate count appears as output_fields["vigil.suppressed"].
// Owner: outputs stage. Pure, thread safe; runs on sink worker threads.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "vigil/alert.h"

namespace vigil {

nlohmann::json FalcoJsonObject(const Alert& alert);
std::string FormatFalcoJson(const Alert& alert);
// Falco's "output" text: "15:37:51.123456789: Warning <alert.output>".
std::string FalcoOutputLine(const Alert& alert);
// One output field as a JSON value (invalid UTF-8 replaced by U+FFFD).
nlohmann::json AlertFieldToJson(const AlertField& field);

}  // namespace vigil
