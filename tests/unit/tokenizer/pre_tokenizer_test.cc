// SPDX-License-Identifier: MIT
// The pre-tokenizer must split exactly like regex.findall with CLIP's pattern: BPE never merges
// across pieces, so a different split gives different ids. Expected pieces are the regex
// module's output for the same strings.
#include "bbpt/tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace bbpt::tokenizer {
namespace {

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  for (std::string_view piece : pre_tokenize(text)) out.emplace_back(piece);
  return out;
}

using Pieces = std::vector<std::string>;

TEST(PreTokenize, WordsPunctuationAndDigits) {
  EXPECT_EQ(split("a photo of a cat."), (Pieces{"a", "photo", "of", "a", "cat", "."}));
  EXPECT_EQ(split("hello!!! world??"), (Pieces{"hello", "!!!", "world", "??"}));
  EXPECT_EQ(split("3.14 x2"), (Pieces{"3", ".", "1", "4", "x", "2"}));  // one digit per piece
  EXPECT_EQ(split("  \t\n "), Pieces{});
  EXPECT_EQ(split(""), Pieces{});
}

TEST(PreTokenize, ContractionsComeBeforePunctuationRuns) {
  EXPECT_EQ(split("don't it's we're i'll you'd i'm they've"),
            (Pieces{"don", "'t", "it", "'s", "we", "'re", "i", "'ll", "you", "'d", "i", "'m",
                    "they", "'ve"}));
  EXPECT_EQ(split("'re'x ''s 'rx"), (Pieces{"'re", "'", "x", "''", "s", "'", "rx"}));
  EXPECT_EQ(split("'S"), (Pieces{"'S"}));            // IGNORECASE
  EXPECT_EQ(split("'\u017f"), (Pieces{"'\u017f"}));  // long s folds to s
}

TEST(PreTokenize, SpecialTokenLiteralsAreOnePiece) {
  EXPECT_EQ(split("<|startoftext|>hi<|endoftext|>"),
            (Pieces{"<|startoftext|>", "hi", "<|endoftext|>"}));
  EXPECT_EQ(split("<<|endoftext|>>"), (Pieces{"<<|", "endoftext", "|>>"}));
  EXPECT_EQ(split("<|end"), (Pieces{"<|", "end"}));
}

TEST(PreTokenize, UnicodeCategories) {
  EXPECT_EQ(split("na\u00efve caf\u00e9"), (Pieces{"na\u00efve", "caf\u00e9"}));
  EXPECT_EQ(split("\u4e2d\u6587 \U0001F642\U0001F642"),
            (Pieces{"\u4e2d\u6587", "\U0001F642\U0001F642"}));
  EXPECT_EQ(split("\u00bd\u2167\u0663"), (Pieces{"\u00bd", "\u2167", "\u0663"}));  // No, Nl, Nd
  EXPECT_EQ(split("a\u00a0b\u3000c"), (Pieces{"a", "b", "c"}));
  EXPECT_EQ(split("e\u0301"), (Pieces{"e", "\u0301"}));  // a combining mark is not \p{L}
  EXPECT_EQ(split("a\u0345b"), (Pieces{"a", "b"}));      // matched by no alternative
}

}  // namespace
}  // namespace bbpt::tokenizer
