// SPDX-License-Identifier: MIT
// ClipTokenizer end to end on the real vocabulary: ids must equal clip.tokenize's (the model
// was trained on them), EOT must stay last after truncation (CLIP pools the text feature at the
// EOT position), and concurrent use must give the same ids as serial use.
#include "bbpt/tokenizer/clip_tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <random>
#include <thread>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::tokenizer {
namespace {

using Ids = std::vector<int32_t>;

const ClipTokenizer* shared_tokenizer() {
  static const std::optional<ClipTokenizer> tokenizer = []() -> std::optional<ClipTokenizer> {
    const std::string path = BBPT_SHARED_DIR "/assets/bpe_simple_vocab_16e6.txt.gz";
    if (!core::is_regular_file(path)) return std::nullopt;
    return ClipTokenizer::from_file(path);
  }();
  return tokenizer ? &*tokenizer : nullptr;
}

#define REQUIRE_TOKENIZER(tok)                   \
  const ClipTokenizer* tok = shared_tokenizer(); \
  if (tok == nullptr) GTEST_SKIP() << "CLIP BPE vocabulary not available"

/// Prompts of made-up lowercase words, so that BPE (not just the cache) does the work.
std::vector<std::string> synthetic_prompts(size_t count) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> letter('a', 'z');
  std::uniform_int_distribution<int> length(3, 10);
  std::vector<std::string> prompts;
  for (size_t i = 0; i < count; ++i) {
    std::string word;
    for (int k = length(rng); k > 0; --k) word.push_back(static_cast<char>(letter(rng)));
    prompts.push_back("a photo of a " + word + ", a type of flower.");
  }
  return prompts;
}

TEST(ClipTokenizer, MatchesReferenceIds) {
  REQUIRE_TOKENIZER(tok);
  EXPECT_EQ(tok->vocab_size(), 49408);
  EXPECT_EQ(tok->tokenize("a photo of a cat."),
            (Ids{49406, 320, 1125, 539, 320, 2368, 269, 49407}));
  EXPECT_EQ(tok->tokenize("Apply Eye Makeup"), (Ids{49406, 4356, 3272, 5853, 49407}));
  EXPECT_EQ(tok->tokenize(""), (Ids{kSotToken, kEotToken}));
  EXPECT_EQ(tok->encode("  "), Ids{});
}

TEST(ClipTokenizer, SpecialLiteralsMapToTheirIds) {
  REQUIRE_TOKENIZER(tok);
  EXPECT_EQ(tok->encode("<|startoftext|>"), Ids{kSotToken});
  const Ids ids = tok->encode("a <|endoftext|> b");
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[1], kEotToken);
  EXPECT_EQ(tok->encode("<|ENDOFTEXT|>"), Ids{kEotToken});  // lower-cased first
}

TEST(ClipTokenizer, TruncationKeepsSotFirstAndEotLast) {
  REQUIRE_TOKENIZER(tok);
  std::string text = "a photo of a";
  for (int i = 0; i < 100; ++i) text += " very";
  const Ids ids = tok->tokenize(text);
  ASSERT_EQ(ids.size(), static_cast<size_t>(kContextLength));
  EXPECT_EQ(ids.front(), kSotToken);
  EXPECT_EQ(ids.back(), kEotToken);
  EXPECT_EQ(ids[kContextLength - 2], tok->encode("very")[0]);
  const Ids short_ids = tok->tokenize(text, 5);
  EXPECT_EQ(short_ids, (Ids{kSotToken, 320, 1125, 539, kEotToken}));
  EXPECT_EQ(tok->tokenize("a cat", 3), (Ids{kSotToken, 320, kEotToken}));
}

TEST(ClipTokenizer, TooLongWithoutTruncationNamesTextAndLength) {
  REQUIRE_TOKENIZER(tok);
  try {
    tok->tokenize("one two three four five six seven eight", 5, /*truncate=*/false);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("one two three"), std::string::npos) << what;
    EXPECT_NE(what.find("10 tokens"), std::string::npos) << what;
    EXPECT_NE(what.find("context_length 5"), std::string::npos) << what;
  }
  EXPECT_THROW(tok->tokenize("x", 0), ConfigError);
}

TEST(ClipTokenizer, DecodeInvertsEncodeForLowercaseWords) {
  REQUIRE_TOKENIZER(tok);
  for (const std::string text : {"a photo of a cat", "itap of a dog", "the quick brown fox jumps",
                                 "supercalifragilisticexpialidocious", "xxxxxxxxxx"}) {
    // Each word's last token carries "</w>", which decodes to a trailing space.
    EXPECT_EQ(tok->decode(tok->encode(text)), text + " ");
  }
  EXPECT_EQ(tok->decode({kSotToken, 320, kEotToken}), "<|startoftext|>a <|endoftext|>");
  EXPECT_THROW(tok->decode({49408}), ConfigError);
  EXPECT_THROW(tok->decode({-1}), ConfigError);
}

TEST(ClipTokenizer, ConcurrentUseGivesSerialResults) {
  REQUIRE_TOKENIZER(tok);
  const std::vector<std::string> prompts = synthetic_prompts(2000);
  const ClipTokenizer fresh =
      ClipTokenizer::from_file(BBPT_SHARED_DIR "/assets/bpe_simple_vocab_16e6.txt.gz");
  std::vector<Ids> serial;
  for (const std::string& p : prompts) serial.push_back(fresh.tokenize(p));
  const ClipTokenizer other =
      ClipTokenizer::from_file(BBPT_SHARED_DIR "/assets/bpe_simple_vocab_16e6.txt.gz");
  std::vector<std::vector<Ids>> results(4, std::vector<Ids>(prompts.size()));
  std::vector<std::thread> threads;
  for (size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < prompts.size(); ++i) results[t][i] = other.tokenize(prompts[i]);
    });
  }
  for (std::thread& th : threads) th.join();
  for (const auto& r : results) EXPECT_EQ(r, serial);
}

TEST(ClipTokenizer, TenThousandShortPromptsWellUnderASecond) {
  REQUIRE_TOKENIZER(tok);
  const std::vector<std::string> prompts = synthetic_prompts(10000);
  const auto start = std::chrono::steady_clock::now();
  size_t total = 0;
  for (const std::string& p : prompts) total += tok->tokenize(p).size();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("tokenized %zu prompts (%zu ids) in %.3f s\n", prompts.size(), total, seconds);
  // Generous bound for loaded CI machines and sanitizer builds; typical is far below.
  EXPECT_LT(seconds, 5.0);
}

}  // namespace
}  // namespace bbpt::tokenizer
