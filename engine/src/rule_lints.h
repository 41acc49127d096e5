// rule_lints.h — heuristics behind the loader's lint warnings (LoadOptions::lint, used by
// `vigil validate`): mistakes that load without error but do not do what the author meant.
// Engine-internal, cold path, pure functions (thread safe).
#pragma once

#include <string>
#include <string_view>

namespace vigil {

// True when an unquoted operand of `in (...)` looks like a list name (lower-case words
// joined by underscores, e.g. shell_binaries) rather than a value. `alone` is true when it
// is the only operand in the parentheses (`in (shell_binaries)`): then any underscore name
// counts; among other values only names with a list-like suffix (_binaries, _files, ...)
// do, since process names such as mysql_install_d are common values.
bool LooksLikeListName(std::string_view operand, bool alone);

// The warning for an ordering comparison (< <= > >=) on a string field with a numeric
// operand ("" when not applicable): strings compare as text, so `evt.res >= 0` is
// always true ("SUCCESS" > "0"), whatever the syscall returned.
std::string StringOrderingLint(const std::string& field, const std::string& op,
                               const std::string& operand);

}  // namespace vigil
