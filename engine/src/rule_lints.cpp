// rule_lints.cpp — see rule_lints.h.
#include "rule_lints.h"

#include <array>
#include <cctype>
#include <cstdlib>

namespace vigil {

bool LooksLikeListName(std::string_view s, bool alone) {
  if (s.empty() || !std::islower(static_cast<unsigned char>(s[0]))) return false;
  bool underscore = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '_') {
      if (i + 1 == s.size() || s[i + 1] == '_') return false;
      underscore = true;
    } else if (!std::islower(c) && !std::isdigit(c)) {
      return false;
    }
  }
  if (!underscore) return false;
  if (alone) return true;
  static constexpr std::array<std::string_view, 16> kSuffixes = {
      "_binaries", "_files", "_dirs", "_directories", "_names", "_ports", "_procs",
      "_processes", "_users", "_images", "_paths", "_list", "_programs", "_commands",
      "_containers", "_ips"};
  for (std::string_view suffix : kSuffixes) {
    if (s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix) return true;
  }
  return false;
}

std::string StringOrderingLint(const std::string& field, const std::string& op,
                               const std::string& operand) {
  if (op != "<" && op != "<=" && op != ">" && op != ">=") return "";
  if (operand.empty()) return "";
  char* end = nullptr;
  std::strtoll(operand.c_str(), &end, 10);
  if (end == operand.c_str() || *end != '\0') return "";
  std::string msg = "'" + field + " " + op + " " + operand + "' compares text, not numbers: '" +
                    field + "' is a string field";
  if (field == "evt.res") {
    msg += " (SUCCESS or an errno name); use evt.rawres " + op + " " + operand +
           " or evt.failed";
  }
  return msg;
}

}  // namespace vigil
