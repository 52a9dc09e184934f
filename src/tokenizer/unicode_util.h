// SPDX-License-Identifier: MIT
// Private helpers of the tokenizer: UTF-8 <-> code points with Python's decoding rules, the
// character classes Python and the `regex` module use, and ICU-backed NFC/NFKC/lower-casing.
// Everything works on std::u32string (one element per code point, like a Python str).
#pragma once

#include <string>
#include <string_view>

namespace bbpt::tokenizer::detail {

/// U+FFFD, what Python's errors="replace" puts in place of undecodable bytes.
inline constexpr char32_t kReplacementChar = 0xFFFD;

/// Decodes UTF-8 like Python's bytes.decode("utf-8", errors="replace"): each maximal invalid
/// subsequence (Unicode 'best practice', e.g. an encoded surrogate) becomes one U+FFFD.
std::u32string decode_utf8(std::string_view bytes);

/// Decodes one code point at bytes[pos], advancing pos; invalid input yields U+FFFD as above.
char32_t next_code_point(std::string_view bytes, size_t& pos);

/// Appends the UTF-8 encoding of c (a scalar value, never a surrogate) to out.
void append_utf8(char32_t c, std::string& out);

/// UTF-8 encoding of a code point string.
std::string encode_utf8(std::u32string_view text);

/// The first max_code_points code points of text, with "..." when cut (for error messages).
std::string shorten_utf8(std::string_view text, size_t max_code_points);

/// True when every byte is ASCII.
bool is_ascii(std::string_view bytes);

/// Python's str.isspace(): the regex-module whitespace below plus U+001C..U+001F.
bool is_python_space(char32_t c);

/// `\s` of the `regex` module that CLIP uses: the Unicode White_Space property.
bool is_regex_space(char32_t c);

/// `\p{L}`: general category L (Lu, Ll, Lt, Lm, Lo).
bool is_letter(char32_t c);

/// `\p{N}`: general category N (Nd, Nl, No).
bool is_number(char32_t c);

/// The Windows-1252 reading of a C1 control c in U+0080..U+009F (U+0085 -> U+2026); the five
/// bytes cp1252 leaves undefined map to themselves (Python's html module and ftfy's
/// "sloppy-windows-1252" agree on this).
char32_t windows1252_c1(char32_t c);

/// Python re's `\d` in a str pattern: general category Nd.
bool is_decimal_digit(char32_t c);

/// unicodedata.normalize("NFC", text) via ICU.
std::u32string normalize_nfc(std::u32string_view text);

/// unicodedata.normalize("NFKC", text) via ICU.
std::u32string normalize_nfkc(std::u32string_view text);

/// Python's str.lower(): full lower-case mappings with the Final_Sigma rule and no
/// language-specific rules (ICU's root locale).
std::u32string to_lower_full(std::u32string_view text);

}  // namespace bbpt::tokenizer::detail
