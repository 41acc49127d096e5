#include "vigil/safe_text.h"

#include <cstdint>

namespace vigil {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Decodes one UTF-8 sequence at the start of `in`. Returns its length and sets *cp, or 0
// when the bytes are not well-formed UTF-8 (overlongs, surrogates, > U+10FFFF rejected).
std::size_t DecodeUtf8(std::string_view in, uint32_t* cp) {
  const auto b0 = static_cast<unsigned char>(in[0]);
  if (b0 < 0x80) {
    *cp = b0;
    return 1;
  }
  std::size_t len = 0;
  uint32_t value = 0;
  uint32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, value = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, value = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, value = b0 & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (in.size() < len) return 0;
  for (std::size_t i = 1; i < len; ++i) {
    const auto b = static_cast<unsigned char>(in[i]);
    if ((b & 0xC0) != 0x80) return 0;
    value = (value << 6) | (b & 0x3F);
  }
  if (value < min || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return 0;
  *cp = value;
  return len;
}

void AppendHexByte(unsigned char c, std::string* out) {
  out->append("\\x");
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 0xF]);
}

}  // namespace

void AppendEscapedText(std::string_view in, std::string* out) {
  out->reserve(out->size() + in.size());
  while (!in.empty()) {
    uint32_t cp = 0;
    const std::size_t len = DecodeUtf8(in, &cp);
    if (len == 0) {
      AppendHexByte(static_cast<unsigned char>(in[0]), out);
      in.remove_prefix(1);
      continue;
    }
    if (cp < 0x20 || cp == 0x7F) {
      switch (cp) {
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default: AppendHexByte(static_cast<unsigned char>(cp), out);
      }
    } else if (cp == '\\') {
      out->append("\\\\");
    } else if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) {
      // C1 controls (NEL...) and the Unicode line/paragraph separators end lines too.
      out->append(cp <= 0x9F ? "\\u00" : "\\u");
      const uint32_t shown = cp;
      const int digits = cp <= 0x9F ? 2 : 4;
      for (int d = digits - 1; d >= 0; --d) out->push_back(kHex[(shown >> (4 * d)) & 0xF]);
    } else {
      out->append(in.substr(0, len));
    }
    in.remove_prefix(len);
  }
}

std::string EscapeText(std::string_view in) {
  std::string out;
  AppendEscapedText(in, &out);
  return out;
}

std::string SanitizeUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  while (!in.empty()) {
    uint32_t cp = 0;
    const std::size_t len = DecodeUtf8(in, &cp);
    if (len == 0) {
      out.append("\xEF\xBF\xBD");
      in.remove_prefix(1);
      continue;
    }
    out.append(in.substr(0, len));
    in.remove_prefix(len);
  }
  return out;
}

}  // namespace vigil
