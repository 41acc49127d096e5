// safe_text.h — makes untrusted strings safe for one-line text outputs.
// Owner: outputs stage. Pure functions, thread safe.
// Valid UTF-8 printable text passes unchanged; control characters (C0, DEL, C1, U+2028,
// U+2029) become escapes (\n, \r, \t, \xNN, \u2028); invalid UTF-8 bytes become \xNN.
// A backslash is doubled so escapes stay unambiguous.
#pragma once

#include <string>
#include <string_view>

namespace vigil {

void AppendEscapedText(std::string_view in, std::string* out);
std::string EscapeText(std::string_view in);

// Replaces invalid UTF-8 sequences with U+FFFD, leaves everything else (for JSON strings,
// whose serializer then escapes control characters).
std::string SanitizeUtf8(std::string_view in);

}  // namespace vigil
