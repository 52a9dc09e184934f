// SPDX-License-Identifier: MIT
// Private: the two HTML-unescaping functions CLIP's text cleanup runs, on code point strings.
#pragma once

#include <string>
#include <string_view>

namespace bbpt::tokenizer::detail {

/// Python's html.unescape: numeric references (with the HTML5 fix-ups for 0x80-0x9F, invalid
/// and out-of-range values) and named references, including the legacy names accepted without
/// ';' and the longest-legacy-prefix rule ("&ampx" -> "&x").
/// ref: https://github.com/python/cpython/blob/3.11/Lib/html/__init__.py
std::u32string html_unescape(std::u32string_view text);

/// ftfy.fixes.unescape_html: only complete references "&name;" / "&#N;" / "&#xH;" of at most 24
/// ASCII alphanumerics, using ftfy's table (which adds all-caps names like "&EACUTE;").
std::u32string ftfy_unescape_html(std::u32string_view text);

}  // namespace bbpt::tokenizer::detail
