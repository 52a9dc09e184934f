// SPDX-License-Identifier: MIT
// Text cleanup must equal the reference's basic_clean/whitespace_clean/lower() byte for byte,
// since every difference changes token ids. Expected values are what CPython (html, str.lower,
// the regex module) and ftfy 6 return for the same input.
#include "bbpt/tokenizer/text_clean.h"

#include <gtest/gtest.h>

#include <string>

namespace bbpt::tokenizer {
namespace {

TEST(HtmlUnescape, NamedAndNumericReferencesAsPythonDoes) {
  EXPECT_EQ(html_unescape("a &amp; b &lt;c&gt; &quot;q&quot; &apos;s&apos;"),
            "a & b <c> \"q\" 's'");
  EXPECT_EQ(html_unescape("&nbsp;"), "\u00a0");
  EXPECT_EQ(html_unescape("&#39;&#x27;&#X41;&#65"), "''AA");
  EXPECT_EQ(html_unescape("&amp;lt;"), "&lt;");  // one level per call
  EXPECT_EQ(html_unescape("&eacute;t&eacute;"), "\u00e9t\u00e9");
  EXPECT_EQ(html_unescape("&notin; &notit;"), "\u2209 \u00acit;");  // longest legacy prefix
  EXPECT_EQ(html_unescape("&ampx &copy2022"), "&x \u00a92022");
  EXPECT_EQ(html_unescape("&foo; &; &#; &#xZZ; & x"), "&foo; &; &#; &#xZZ; & x");
}

TEST(HtmlUnescape, InvalidCodePointsFollowHtml5Rules) {
  EXPECT_EQ(html_unescape("&#128;&#x9f;"), "\u20ac\u0178");  // Windows-1252 reading
  EXPECT_EQ(html_unescape("&#0;"), "\ufffd");
  EXPECT_EQ(html_unescape("&#55296;&#99999999999999;"), "\ufffd\ufffd");  // surrogate, too big
  EXPECT_EQ(html_unescape("a&#1;b&#x7f;c&#xFFFF;d"), "abcd");             // dropped
  EXPECT_EQ(html_unescape("&#13;"), "\r");
}

TEST(FixText, DeterministicFtfyFixes) {
  EXPECT_EQ(fix_text("\ufb01ne \ufb00 \ufb05"), "fine ff \u017ft");  // ligatures
  EXPECT_EQ(fix_text("\u201cquoted\u201d \u2018it\u2019s\u2019"), "\"quoted\" 'it's'");
  EXPECT_EQ(fix_text("\uff2c\uff2f\uff35\uff24\u3000\uff2e\uff2f\uff29\uff33\uff25\uff33"),
            "LOUD NOISES");  // ftfy's own documentation example
  EXPECT_EQ(fix_text("\x1b[36;44mI'm blue\x1b[0m"), "I'm blue");
  EXPECT_EQ(fix_text("a\r\nb\rc\u2028d\u2029e"), "a\nb\nc\nd\ne");
  EXPECT_EQ(fix_text("\u0080 \u0085 \u0081"), "\u20ac \u2026 \u0081");  // C1 as Windows-1252
  const char with_controls[] =
      "\ufeffa\0b\x07"
      "c\u200bd";
  EXPECT_EQ(fix_text(std::string(with_controls, sizeof(with_controls) - 1)), "abc\u200bd");
  EXPECT_EQ(fix_text("e\u0301 A\u030a"), "\u00e9 \u00c5");  // NFC
  EXPECT_EQ(fix_text("caf\u00e9 na\u00efve \U0001F642"), "caf\u00e9 na\u00efve \U0001F642");
}

TEST(FixText, UnescapesHtmlOnlyBeforeTheFirstLineWithATag) {
  // ftfy repeats its fixes until nothing changes, so nested escapes are fully undone.
  EXPECT_EQ(fix_text("&lt;3 &amp;amp;amp; &EACUTE;"), "<3 & \u00c9");
  EXPECT_EQ(fix_text("&#65a; &#x41;"), "&#65a; A");  // only complete references
  EXPECT_EQ(fix_text("<b>&amp;</b>"), "<b>&amp;</b>");
  EXPECT_EQ(fix_text("&amp;\n<b>\n&amp;"), "&\n<b>\n&amp;");
}

TEST(BasicClean, FtfyThenTwoUnescapesThenStrip) {
  EXPECT_EQ(basic_clean("  &amp;amp;amp;amp; \n"), "&");
  // With a tag ftfy leaves entities alone; html.unescape still runs twice.
  EXPECT_EQ(basic_clean("<b>&amp;amp;amp;amp;</b>"), "<b>&amp;amp;</b>");
  EXPECT_EQ(basic_clean("&nbsp;x&nbsp;"), "x");
}

TEST(WhitespaceClean, CollapsesUnicodeWhitespaceRuns) {
  EXPECT_EQ(whitespace_clean("  Multiple   spaces\tand\nnewlines "),
            "Multiple spaces and newlines");
  EXPECT_EQ(whitespace_clean("a\u00a0\u2003\u3000b\u0085c"), "a b c");
  // Not White_Space, so kept inside; U+001C is Python whitespace, so strip() removes it at ends.
  EXPECT_EQ(whitespace_clean("a\u200bb\u180ec"), "a\u200bb\u180ec");
  EXPECT_EQ(whitespace_clean("\x1c"
                             "a\x1c"
                             "b\x1c"),
            "a\x1c"
            "b");
  EXPECT_EQ(whitespace_clean(" \t\n"), "");
}

TEST(ToLower, FullUnicodeLowerCasingLikePython) {
  EXPECT_EQ(to_lower("UPPER case Words"), "upper case words");
  EXPECT_EQ(to_lower("\u00c0\u00c9\u00d8"), "\u00e0\u00e9\u00f8");
  EXPECT_EQ(to_lower("\u039f\u0394\u039f\u03a3 \u03a3"),
            "\u03bf\u03b4\u03bf\u03c2 \u03c3");  // final sigma
  EXPECT_EQ(to_lower("\u0130"), "i\u0307");      // full mapping, no Turkish rule
  EXPECT_EQ(to_lower("STRASSE \u1e9e"), "strasse \u00df");
}

TEST(CleanText, WholePipeline) {
  EXPECT_EQ(clean_text("  A Photo  of&nbsp;a \u201cCAT\u201d!\n"), "a photo of a \"cat\"!");
  EXPECT_EQ(clean_text(""), "");
  EXPECT_EQ(clean_text("bad \xff utf8"), "bad \ufffd utf8");
}

}  // namespace
}  // namespace bbpt::tokenizer
