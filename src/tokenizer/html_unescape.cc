// SPDX-License-Identifier: MIT
// Implements Python's html.unescape and ftfy's stricter unescape_html over code point strings,
// with hand-written scanners equivalent to their regular expressions.
#include "html_unescape.h"

#include <cstdint>

#include "html_entities.h"
#include "unicode_util.h"

namespace bbpt::tokenizer::detail {
namespace {

bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }

int hex_value(char32_t c) {
  if (c >= '0' && c <= '9') return static_cast<int>(c - '0');
  if (c >= 'a' && c <= 'f') return static_cast<int>(c - 'a' + 10);
  if (c >= 'A' && c <= 'F') return static_cast<int>(c - 'A' + 10);
  return -1;
}

bool is_ascii_alnum(char32_t c) {
  return is_ascii_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/// Saturates at one past U+10FFFF: Python's big ints only matter for "> 0x10FFFF".
constexpr uint32_t kPastMaxCodePoint = 0x110000;

/// html._replace_charref for a numeric reference whose value is num.
void append_numeric_reference(uint32_t num, std::u32string& out) {
  if (num == 0x00) {
    out.push_back(kReplacementChar);
  } else if (num == 0x0D) {
    out.push_back(U'\r');
  } else if (num >= 0x80 && num <= 0x9F) {
    out.push_back(windows1252_c1(static_cast<char32_t>(num)));  // html._invalid_charrefs
  } else if ((num >= 0xD800 && num <= 0xDFFF) || num > 0x10FFFF) {
    out.push_back(kReplacementChar);
  } else if ((num >= 0x01 && num <= 0x08) || num == 0x0B || (num >= 0x0E && num <= 0x1F) ||
             num == 0x7F || (num >= 0xFDD0 && num <= 0xFDEF) || (num & 0xFFFE) == 0xFFFE) {
    // html._invalid_codepoints: dropped.
  } else {
    out.push_back(static_cast<char32_t>(num));
  }
}

/// html._replace_charref for a named reference; name may end with ';'.
void append_named_reference(std::u32string_view name, std::u32string& out) {
  if (const std::u32string* value = find_html5_entity(name)) {
    out += *value;
    return;
  }
  // The longest prefix (of at least 2 characters) that is a legacy name wins.
  for (size_t len = name.size() - 1; len >= 2; --len) {
    if (const std::u32string* value = find_html5_entity(name.substr(0, len))) {
      out += *value;
      out += name.substr(len);
      return;
    }
  }
  out.push_back(U'&');
  out += name;
}

/// Characters allowed in a name by html's `[^\t\n\f <&#;]{1,32}`.
bool is_name_char(char32_t c) {
  return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' &&
         c != ';';
}

/// Parses digits of the given base from text[pos], saturating; advances pos.
uint32_t parse_number(std::u32string_view text, size_t& pos, int base) {
  uint32_t num = 0;
  while (pos < text.size()) {
    const int digit = base == 10
                          ? (is_ascii_digit(text[pos]) ? static_cast<int>(text[pos] - '0') : -1)
                          : hex_value(text[pos]);
    if (digit < 0) break;
    num = num >= kPastMaxCodePoint
              ? kPastMaxCodePoint
              : num * static_cast<uint32_t>(base) + static_cast<uint32_t>(digit);
    ++pos;
  }
  return num;
}

}  // namespace

std::u32string html_unescape(std::u32string_view text) {
  if (text.find(U'&') == std::u32string_view::npos) return std::u32string(text);
  std::u32string out;
  out.reserve(text.size());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (text[i] != U'&') {
      out.push_back(text[i++]);
      continue;
    }
    const size_t j = i + 1;
    if (j < n && text[j] == U'#') {
      // `#[0-9]+;?` then `#[xX][0-9a-fA-F]+;?`; a name cannot start with '#'.
      size_t k = j + 1;
      int base = 0;
      if (k < n && is_ascii_digit(text[k])) {
        base = 10;
      } else if (k + 1 < n && (text[k] == U'x' || text[k] == U'X') && hex_value(text[k + 1]) >= 0) {
        base = 16;
        ++k;
      }
      if (base == 0) {
        out.push_back(text[i++]);
        continue;
      }
      const uint32_t num = parse_number(text, k, base);
      if (k < n && text[k] == U';') ++k;
      append_numeric_reference(num, out);
      i = k;
      continue;
    }
    size_t k = j;
    while (k < n && k - j < 32 && is_name_char(text[k])) ++k;
    if (k == j) {
      out.push_back(text[i++]);
      continue;
    }
    if (k < n && text[k] == U';') ++k;
    append_named_reference(text.substr(j, k - j), out);
    i = k;
  }
  return out;
}

std::u32string ftfy_unescape_html(std::u32string_view text) {
  if (text.find(U'&') == std::u32string_view::npos) return std::u32string(text);
  std::u32string out;
  out.reserve(text.size());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (text[i] == U'&') {
      // `&#?[0-9A-Za-z]{1,24};`
      size_t j = i + 1;
      if (j < n && text[j] == U'#') ++j;
      size_t k = j;
      while (k < n && k - j < 24 && is_ascii_alnum(text[k])) ++k;
      if (k > j && k < n && text[k] == U';') {
        const std::u32string_view reference = text.substr(i, k + 1 - i);
        if (const std::u32string* value = find_ftfy_entity(reference)) {
          out += *value;
        } else if (reference[1] == U'#') {
          // ftfy._unescape_fixup: keep the reference unless html.unescape consumed all of it.
          const std::u32string decoded = html_unescape(reference);
          out +=
              decoded.find(U';') == std::u32string::npos ? std::u32string_view(decoded) : reference;
        } else {
          out += reference;
        }
        i = k + 1;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

}  // namespace bbpt::tokenizer::detail
