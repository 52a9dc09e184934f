// SPDX-License-Identifier: MIT
// Implements the tokenizer's Unicode helpers: a Python-compatible UTF-8 codec, character classes
// from ICU's property data, and ICU normalisation and lower-casing with ASCII fast paths.
#include "unicode_util.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <string>

#include "bbpt/core/error.h"

namespace bbpt::tokenizer::detail {
namespace {

std::u16string to_utf16(std::u32string_view text) {
  std::u16string out;
  out.reserve(text.size());
  for (char32_t c : text) {
    if (c <= 0xFFFF) {
      out.push_back(static_cast<char16_t>(c));
    } else {
      out.push_back(static_cast<char16_t>(U16_LEAD(c)));
      out.push_back(static_cast<char16_t>(U16_TRAIL(c)));
    }
  }
  return out;
}

std::u32string from_utf16(const char16_t* text, int32_t length) {
  std::u32string out;
  out.reserve(static_cast<size_t>(length));
  int32_t i = 0;
  while (i < length) {
    UChar32 c;
    U16_NEXT(text, i, length, c);
    out.push_back(static_cast<char32_t>(c));
  }
  return out;
}

/// Runs an ICU "write into a buffer, report the needed size" function, growing the buffer once
/// when ICU says it was too small.
template <typename Fn>
std::u32string run_icu_transform(std::u32string_view text, const char* what, Fn&& fn) {
  const std::u16string src = to_utf16(text);
  std::u16string dest(src.size() + 16, u'\0');
  UErrorCode status = U_ZERO_ERROR;
  int32_t length = fn(dest.data(), static_cast<int32_t>(dest.size()), src, status);
  if (status == U_BUFFER_OVERFLOW_ERROR) {
    dest.assign(static_cast<size_t>(length) + 1, u'\0');
    status = U_ZERO_ERROR;
    length = fn(dest.data(), static_cast<int32_t>(dest.size()), src, status);
  }
  BBPT_CHECK(U_SUCCESS(status), Error,
             "ICU " << what << " failed: " << u_errorName(status)
                    << " (is the ICU data library installed?)");
  return from_utf16(dest.data(), length);
}

const UNormalizer2* get_normalizer(bool compat) {
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* norm =
      compat ? unorm2_getNFKCInstance(&status) : unorm2_getNFCInstance(&status);
  BBPT_CHECK(
      U_SUCCESS(status) && norm != nullptr, Error,
      "ICU could not load its " << (compat ? "NFKC" : "NFC") << " data: " << u_errorName(status));
  return norm;
}

std::u32string normalize(std::u32string_view text, bool compat) {
  // Below U+00A0 nothing has a decomposition, and nothing below U+0300 composes with what
  // precedes it, so such text is already NFC (and NFKC when also below U+00A0).
  const char32_t limit = compat ? 0xA0 : 0x300;
  bool trivial = true;
  for (char32_t c : text) trivial = trivial && c < limit;
  if (trivial) return std::u32string(text);
  const UNormalizer2* norm = get_normalizer(compat);
  return run_icu_transform(
      text, compat ? "NFKC normalisation" : "NFC normalisation",
      [norm](char16_t* dest, int32_t cap, const std::u16string& src, UErrorCode& status) {
        return unorm2_normalize(norm, src.data(), static_cast<int32_t>(src.size()), dest, cap,
                                &status);
      });
}

}  // namespace

char32_t next_code_point(std::string_view bytes, size_t& pos) {
  const auto byte_at = [&](size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned char c0 = byte_at(pos);
  if (c0 < 0x80) {
    ++pos;
    return c0;
  }
  int num_trail = 0;
  char32_t cp = 0;
  unsigned char lo = 0x80;  // allowed range of the first trail byte (Unicode Table 3-7)
  unsigned char hi = 0xBF;
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    num_trail = 1;
    cp = c0 & 0x1F;
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    num_trail = 2;
    cp = c0 & 0x0F;
    if (c0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (c0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    num_trail = 3;
    cp = c0 & 0x07;
    if (c0 == 0xF0) lo = 0x90;
    if (c0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    ++pos;
    return kReplacementChar;
  }
  size_t p = pos + 1;
  for (int i = 0; i < num_trail; ++i, ++p) {
    const unsigned char lo_i = i == 0 ? lo : 0x80;
    const unsigned char hi_i = i == 0 ? hi : 0xBF;
    if (p >= bytes.size() || byte_at(p) < lo_i || byte_at(p) > hi_i) {
      pos = p;  // the valid prefix is one maximal subpart, replaced by one U+FFFD
      return kReplacementChar;
    }
    cp = (cp << 6) | (byte_at(p) & 0x3F);
  }
  pos = p;
  return cp;
}

std::string shorten_utf8(std::string_view text, size_t max_code_points) {
  size_t pos = 0;
  size_t count = 0;
  while (pos < text.size() && count < max_code_points) {
    next_code_point(text, pos);
    ++count;
  }
  return pos < text.size() ? std::string(text.substr(0, pos)) + "..." : std::string(text);
}

std::u32string decode_utf8(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) out.push_back(next_code_point(bytes, pos));
  return out;
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encode_utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(c, out);
  return out;
}

bool is_ascii(std::string_view bytes) {
  for (char b : bytes) {
    if (static_cast<unsigned char>(b) >= 0x80) return false;
  }
  return true;
}

bool is_regex_space(char32_t c) {
  if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
  return u_isUWhiteSpace(static_cast<UChar32>(c)) != 0;
}

bool is_python_space(char32_t c) { return is_regex_space(c) || (c >= 0x1C && c <= 0x1F); }

bool is_letter(char32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_L_MASK) != 0;
}

bool is_number(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return (U_GET_GC_MASK(static_cast<UChar32>(c)) & U_GC_N_MASK) != 0;
}

char32_t windows1252_c1(char32_t c) {
  static constexpr char32_t kTable[32] = {
      0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
      0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};
  BBPT_ASSERT(c >= 0x80 && c <= 0x9F,
              "not a C1 control: U+" << std::hex << static_cast<uint32_t>(c));
  return kTable[c - 0x80];
}

bool is_decimal_digit(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return u_charType(static_cast<UChar32>(c)) == U_DECIMAL_DIGIT_NUMBER;
}

std::u32string normalize_nfc(std::u32string_view text) { return normalize(text, false); }

std::u32string normalize_nfkc(std::u32string_view text) { return normalize(text, true); }

std::u32string to_lower_full(std::u32string_view text) {
  bool ascii = true;
  for (char32_t c : text) ascii = ascii && c < 0x80;
  if (ascii) {
    std::u32string out(text);
    for (char32_t& c : out) {
      if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
    }
    return out;
  }
  // "" selects the root locale: no Turkish/Lithuanian rules, as in Python.
  return run_icu_transform(
      text, "lower-casing",
      [](char16_t* dest, int32_t cap, const std::u16string& src, UErrorCode& status) {
        return u_strToLower(dest, cap, src.data(), static_cast<int32_t>(src.size()), "", &status);
      });
}

}  // namespace bbpt::tokenizer::detail
