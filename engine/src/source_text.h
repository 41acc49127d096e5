// source_text.h — a string that remembers where each part came from (file:line:col), so a
// byte offset in a (possibly appended) condition maps back to the YAML source.
// Engine-internal, cold path, plain data.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

struct SourcePos {
  std::string file;
  int line = 0;  // 1-based
  int col = 0;   // 1-based
};

struct SourceText {
  std::string text;
  // text[offset...] starts at pos; columns advance one per byte until the next span.
  struct Span {
    std::size_t offset;
    SourcePos pos;
  };
  std::vector<Span> spans;

  SourcePos Locate(std::size_t offset) const {
    const Span* best = nullptr;
    for (const auto& s : spans) {
      if (s.offset <= offset) best = &s;
      else break;
    }
    if (!best) return {};
    SourcePos p = best->pos;
    p.col += static_cast<int>(offset - best->offset);
    return p;
  }
  void Append(const SourceText& other, std::string_view sep) {
    std::size_t base = text.size() + sep.size();
    text += sep;
    text += other.text;
    for (const auto& s : other.spans) spans.push_back({s.offset + base, s.pos});
  }
};

}  // namespace vigil
