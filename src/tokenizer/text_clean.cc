// SPDX-License-Identifier: MIT
// Implements CLIP's basic_clean / whitespace_clean / lower() chain over code point strings,
// converting from and to UTF-8 once at the public boundary.
// ref: https://github.com/openai/CLIP/blob/main/clip/simple_tokenizer.py
#include "bbpt/tokenizer/text_clean.h"

#include "fix_text.h"
#include "html_unescape.h"
#include "unicode_util.h"

namespace bbpt::tokenizer {
namespace {

using detail::is_python_space;
using detail::is_regex_space;

/// Python's str.strip() without arguments.
std::u32string strip(std::u32string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && is_python_space(text[begin])) ++begin;
  while (end > begin && is_python_space(text[end - 1])) --end;
  return std::u32string(text.substr(begin, end - begin));
}

std::u32string basic_clean_u32(std::u32string_view text) {
  const std::u32string fixed = detail::fix_text(text);
  return strip(detail::html_unescape(detail::html_unescape(fixed)));
}

/// regex.sub(r'\s+', ' ', text).strip()
std::u32string whitespace_clean_u32(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  bool in_space_run = false;
  for (char32_t c : text) {
    if (is_regex_space(c)) {
      if (!in_space_run) out.push_back(U' ');
      in_space_run = true;
    } else {
      out.push_back(c);
      in_space_run = false;
    }
  }
  return strip(out);
}

}  // namespace

std::string fix_text(std::string_view text) {
  return detail::encode_utf8(detail::fix_text(detail::decode_utf8(text)));
}

std::string html_unescape(std::string_view text) {
  return detail::encode_utf8(detail::html_unescape(detail::decode_utf8(text)));
}

std::string basic_clean(std::string_view text) {
  return detail::encode_utf8(basic_clean_u32(detail::decode_utf8(text)));
}

std::string whitespace_clean(std::string_view text) {
  return detail::encode_utf8(whitespace_clean_u32(detail::decode_utf8(text)));
}

std::string to_lower(std::string_view text) {
  return detail::encode_utf8(detail::to_lower_full(detail::decode_utf8(text)));
}

std::string clean_text(std::string_view text) {
  const std::u32string cleaned = whitespace_clean_u32(basic_clean_u32(detail::decode_utf8(text)));
  return detail::encode_utf8(detail::to_lower_full(cleaned));
}

}  // namespace bbpt::tokenizer
