// SPDX-License-Identifier: MIT
// Implements the deterministic part of ftfy.fix_text (ftfy 6 defaults): per-line fixed-point
// iteration of HTML unescaping, C1/ligature/width/quote/line-break/escape/control fixes and NFC.
// Deliberately absent: ftfy's heuristic mojibake repair (fix_encoding); see text_clean.h.
// ref: https://github.com/rspeer/python-ftfy/blob/v6.1.1/ftfy/__init__.py (fix_text,
// fix_and_explain) and ftfy/fixes.py, ftfy/chardata.py for the individual fixers.
#include "fix_text.h"

#include <array>

#include "html_unescape.h"
#include "unicode_util.h"

namespace bbpt::tokenizer::detail {
namespace {

/// TextFixerConfig.max_decode_length: a longer line is fixed in pieces of this many code points.
constexpr size_t kMaxDecodeLength = 1000000;

void fix_c1_controls(std::u32string& text) {
  for (char32_t& c : text) {
    if (c >= 0x80 && c <= 0x9F) c = windows1252_c1(c);
  }
}

/// chardata.LIGATURES, or nullptr when c is not one of them.
const char32_t* ligature_letters(char32_t c) {
  switch (c) {
    case 0x0132:
      return U"IJ";  // Dutch
    case 0x0133:
      return U"ij";
    case 0x0149:
      return U"\x2bcn";  // Afrikaans ŉ -> ʼn
    case 0x01F1:
      return U"DZ";  // Serbian/Croatian digraphs
    case 0x01F2:
      return U"Dz";
    case 0x01F3:
      return U"dz";
    case 0x01C4:
      return U"D\x17d";
    case 0x01C5:
      return U"D\x17e";
    case 0x01C6:
      return U"d\x17e";
    case 0x01C7:
      return U"LJ";
    case 0x01C8:
      return U"Lj";
    case 0x01C9:
      return U"lj";
    case 0x01CA:
      return U"NJ";
    case 0x01CB:
      return U"Nj";
    case 0x01CC:
      return U"nj";
    case 0xFB00:
      return U"ff";  // Latin typographical ligatures
    case 0xFB01:
      return U"fi";
    case 0xFB02:
      return U"fl";
    case 0xFB03:
      return U"ffi";
    case 0xFB04:
      return U"ffl";
    case 0xFB05:
      return U"\x17ft";  // ſt
    case 0xFB06:
      return U"st";
    default:
      return nullptr;
  }
}

void fix_latin_ligatures(std::u32string& text) {
  bool any = false;
  for (char32_t c : text) any = any || ligature_letters(c) != nullptr;
  if (!any) return;
  std::u32string out;
  out.reserve(text.size() + 8);
  for (char32_t c : text) {
    if (const char32_t* letters = ligature_letters(c)) {
      out += letters;
    } else {
      out.push_back(c);
    }
  }
  text = std::move(out);
}

constexpr char32_t kWidthFirst = 0xFF01;
constexpr char32_t kWidthLast = 0xFFEF;

/// chardata.WIDTH_MAP: NFKC form of each half-/full-width form that has a different one.
const std::array<std::u32string, kWidthLast - kWidthFirst + 1>& width_map() {
  static const auto map = [] {
    std::array<std::u32string, kWidthLast - kWidthFirst + 1> m;
    for (char32_t c = kWidthFirst; c <= kWidthLast; ++c) {
      const std::u32string one(1, c);
      std::u32string alternate = normalize_nfkc(one);
      if (alternate != one) m[c - kWidthFirst] = std::move(alternate);
    }
    return m;
  }();
  return map;
}

void fix_character_width(std::u32string& text) {
  bool any = false;
  for (char32_t c : text) any = any || c == 0x3000 || (c >= kWidthFirst && c <= kWidthLast);
  if (!any) return;
  const auto& map = width_map();
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c == 0x3000) {
      out.push_back(U' ');  // IDEOGRAPHIC SPACE, treated as full-width by ftfy
    } else if (c >= kWidthFirst && c <= kWidthLast && !map[c - kWidthFirst].empty()) {
      out += map[c - kWidthFirst];
    } else {
      out.push_back(c);
    }
  }
  text = std::move(out);
}

void uncurl_quotes(std::u32string& text) {
  for (char32_t& c : text) {
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) {
      c = U'\'';
    } else if (c >= 0x201C && c <= 0x201F) {
      c = U'"';
    }
  }
}

/// Same result as ftfy's chain of str.replace calls: "\r\n" first, then each remaining '\r'.
void fix_line_breaks(std::u32string& text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == U'\r') {
      if (i + 1 < text.size() && text[i + 1] == U'\n') ++i;
      out.push_back(U'\n');
    } else if (c == 0x2028 || c == 0x2029 || c == 0x0085) {
      out.push_back(U'\n');
    } else {
      out.push_back(c);
    }
  }
  text = std::move(out);
}

/// chardata.ANSI_RE: "\033\[((?:\d|;)*)([a-zA-Z])" (\d is any Nd digit in Python's re).
void remove_terminal_escapes(std::u32string& text) {
  if (text.find(U'\x1b') == std::u32string::npos) return;
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == U'\x1b' && i + 1 < text.size() && text[i + 1] == U'[') {
      size_t j = i + 2;
      while (j < text.size() && (text[j] == U';' || is_decimal_digit(text[j]))) ++j;
      if (j < text.size() && text[j] < 0x80 && is_letter(text[j])) {
        i = j + 1;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  text = std::move(out);
}

/// chardata.CONTROL_CHARS: control and format characters ftfy deletes (tab, '\n', '\f' and '\r'
/// stay).
bool is_removed_control(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

void remove_control_chars(std::u32string& text) {
  size_t kept = 0;
  for (char32_t c : text) {
    if (!is_removed_control(c)) text[kept++] = c;
  }
  text.resize(kept);
}

/// ftfy.fix_and_explain for one line: all fixers in ftfy's order, until a pass changes nothing.
std::u32string fix_segment(std::u32string text, bool unescape_html) {
  while (true) {
    const std::u32string original = text;
    if (unescape_html) text = ftfy_unescape_html(text);
    fix_c1_controls(text);
    fix_latin_ligatures(text);
    fix_character_width(text);
    uncurl_quotes(text);
    fix_line_breaks(text);
    remove_terminal_escapes(text);
    remove_control_chars(text);
    text = normalize_nfc(text);
    if (text == original) return text;
  }
}

}  // namespace

std::u32string fix_text(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  // unescape_html="auto": off from the first line containing '<' on (ftfy keeps the changed
  // config for the remaining lines).
  bool unescape_html = true;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t newline = text.find(U'\n', pos);
    size_t end = newline == std::u32string_view::npos ? text.size() : newline + 1;
    if (end - pos > kMaxDecodeLength) end = pos + kMaxDecodeLength;
    const std::u32string_view segment = text.substr(pos, end - pos);
    if (unescape_html && segment.find(U'<') != std::u32string_view::npos) unescape_html = false;
    out += fix_segment(std::u32string(segment), unescape_html);
    pos = end;
  }
  return out;
}

}  // namespace bbpt::tokenizer::detail
