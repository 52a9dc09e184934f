// SPDX-License-Identifier: MIT
// Implements CLIP's pre-tokenizing regex as an ordered-alternatives scanner over UTF-8 code
// points. Every alternative is greedy with nothing after it, so the first one that matches at a
// position is the regex's match there and no backtracking is needed.
#include "bbpt/tokenizer/pre_tokenizer.h"

#include "unicode_util.h"

namespace bbpt::tokenizer {
namespace {

using detail::is_letter;
using detail::is_number;
using detail::is_regex_space;
using detail::next_code_point;

/// Simple case folding restricted to what can make a code point equal to one of the ASCII
/// letters in the pattern under IGNORECASE: ASCII upper case, U+017F ſ -> s, U+212A K -> k.
char32_t fold(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + ('a' - 'A');
  if (c == 0x017F) return U's';
  if (c == 0x212A) return U'k';
  return c;
}

/// End of a case-insensitive match of the ASCII literal at pos, or npos.
size_t match_literal(std::string_view text, size_t pos, std::string_view literal) {
  for (char expected : literal) {
    if (pos >= text.size()) return std::string_view::npos;
    if (fold(next_code_point(text, pos)) != static_cast<char32_t>(expected)) {
      return std::string_view::npos;
    }
  }
  return pos;
}

/// End of a contraction ('s 't 're 've 'm 'll 'd) starting at the apostrophe at pos, or npos.
size_t match_contraction(std::string_view text, size_t pos) {
  size_t p = pos + 1;
  if (p >= text.size()) return std::string_view::npos;
  const char32_t first = fold(next_code_point(text, p));
  switch (first) {
    case U's':
    case U't':
    case U'm':
    case U'd':
      return p;
    case U'r':
    case U'v':
      return match_literal(text, p, "e");
    case U'l':
      return match_literal(text, p, "l");
    default:
      return std::string_view::npos;
  }
}

/// `[^\s\p{L}\p{N}]` under the regex module's IGNORECASE: U+0345 is excluded because its
/// case variants (ι, Ι) are letters.
bool is_other(char32_t c) {
  return !is_regex_space(c) && !is_letter(c) && !is_number(c) && c != 0x0345;
}

}  // namespace

std::vector<std::string_view> pre_tokenize(std::string_view text) {
  std::vector<std::string_view> pieces;
  const size_t n = text.size();
  size_t pos = 0;
  while (pos < n) {
    const size_t start = pos;
    if (text[pos] == '<') {
      size_t end = match_literal(text, pos, "<|startoftext|>");
      if (end == std::string_view::npos) end = match_literal(text, pos, "<|endoftext|>");
      if (end != std::string_view::npos) {
        pieces.push_back(text.substr(start, end - start));
        pos = end;
        continue;
      }
    }
    if (text[pos] == '\'') {
      const size_t end = match_contraction(text, pos);
      if (end != std::string_view::npos) {
        pieces.push_back(text.substr(start, end - start));
        pos = end;
        continue;
      }
    }
    const char32_t c = next_code_point(text, pos);
    if (is_letter(c)) {
      size_t end = pos;
      while (end < n) {
        size_t next = end;
        if (!is_letter(next_code_point(text, next))) break;
        end = next;
      }
      pos = end;
    } else if (is_number(c)) {
      // `[\p{N}]`: one digit per piece.
    } else if (is_other(c)) {
      size_t end = pos;
      while (end < n) {
        size_t next = end;
        if (!is_other(next_code_point(text, next))) break;
        end = next;
      }
      pos = end;
    } else {
      continue;  // whitespace (or U+0345): no alternative matches here
    }
    pieces.push_back(text.substr(start, pos - start));
  }
  return pieces;
}

}  // namespace bbpt::tokenizer
