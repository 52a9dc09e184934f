// SPDX-License-Identifier: MIT
// CLIP's text cleanup before BPE: ftfy.fix_text (its deterministic part), html.unescape twice,
// strip, whitespace collapsing and Python's str.lower(), ported to C++ over UTF-8 strings.
// ref: https://github.com/openai/CLIP/blob/main/clip/simple_tokenizer.py (basic_clean,
// whitespace_clean, SimpleTokenizer.encode)
#pragma once

#include <string>
#include <string_view>

namespace bbpt::tokenizer {

/// The subset of ftfy.fix_text (ftfy 6, default TextFixerConfig) that does not depend on
/// ftfy's mojibake heuristics. Like ftfy it works line by line (a line ends after '\n', at most
/// 1,000,000 code points) and repeats the steps below on each line until nothing changes:
///   - unescape_html: "&name;" / "&#N;" / "&#xH;" references (ftfy's table, including all-caps
///     names such as "&EACUTE;"), only while no line so far contained '<';
///   - fix_c1_controls: U+0080..U+009F are read as Windows-1252 (U+0085 -> "…");
///   - fix_latin_ligatures: ĳ Ĳ ŉ ǆ ǅ Ǆ ǉ ǈ Ǉ ǌ ǋ Ǌ ǳ ǲ Ǳ ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ -> their letters ("ﬅ" ->
///   "ſt");
///   - fix_character_width: U+FF01..U+FFEF -> their NFKC form, U+3000 -> ' ';
///   - uncurl_quotes: U+02BC and U+2018..U+201B -> '\'', U+201C..U+201F -> '"';
///   - fix_line_breaks: "\r\n", '\r', U+2028, U+2029 -> '\n' (and U+0085, which
///     fix_c1_controls has already turned into "…", exactly as in ftfy);
///   - remove_terminal_escapes: ESC '[' (digits | ';')* letter;
///   - remove_control_chars: U+0000..U+0008, U+000B, U+000E..U+001F, U+007F, U+206A..U+206F,
///     U+FEFF, U+FFF9..U+FFFC;
///   - NFC normalisation.
/// Not replicated: fix_encoding (ftfy's detection and repair of mojibake such as "cafÃ©",
/// including restore_byte_a0, replace_lossy_sequences and decode_inconsistent_utf8), which is
/// driven by a statistical "badness" heuristic; ordinary text, which ftfy leaves alone, is
/// unaffected. fix_surrogates has nothing to do: decoded UTF-8 holds no surrogates. Named
/// entities cover HTML 4.01 (252 names) plus &apos;, not HTML5's rarer additions.
/// Input bytes that are not UTF-8 are decoded as U+FFFD (Python's errors="replace").
std::string fix_text(std::string_view text);

/// Python's html.unescape: named (HTML 4.01 names + &apos;, with the legacy names accepted
/// without ';') and numeric character references.
std::string html_unescape(std::string_view text);

/// simple_tokenizer.basic_clean: fix_text, html_unescape twice, then strip Python whitespace.
std::string basic_clean(std::string_view text);

/// simple_tokenizer.whitespace_clean: every run of whitespace (the regex module's `\s`, i.e.
/// Unicode White_Space) becomes one ' ', then the ends are stripped.
std::string whitespace_clean(std::string_view text);

/// Python's str.lower(): full Unicode lower-casing (ICU, root locale, Final_Sigma rule).
/// Character data comes from the system ICU; it agrees with Python's for every code point
/// assigned in both Unicode versions.
std::string to_lower(std::string_view text);

/// The whole cleanup SimpleTokenizer.encode applies: to_lower(whitespace_clean(basic_clean(x))).
/// Thread-safe; about a microsecond for a short ASCII prompt.
std::string clean_text(std::string_view text);

}  // namespace bbpt::tokenizer
