// Fuzz target: the condition parser. Any input must parse or fail cleanly; a successful
// parse must round-trip (ConditionToString output parses to the same string).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "vigil/condition_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = vigil::ParseCondition(text);
  if (!r.ok()) {
    if (r.error.empty() || r.error_pos > size) std::abort();
    return 0;
  }
  std::string printed = vigil::ConditionToString(*r.ast);
  auto again = vigil::ParseCondition(printed);
  if (!again.ok()) std::abort();
  if (vigil::ConditionToString(*again.ast) != printed) std::abort();
  return 0;
}
