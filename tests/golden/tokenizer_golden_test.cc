// SPDX-License-Identifier: MIT
// Golden test: ClipTokenizer::tokenize must reproduce the reference clip.tokenize ids (SOT/EOT
// included, truncated to 77 with EOT last) for every string in
// ../shared/assets/golden/tokenizer_reference.json. Any difference would feed CLIP token ids it
// was never trained on. Skips when the assets are absent.
#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/core/file_io.h"
#include "bbpt/tokenizer/clip_tokenizer.h"

namespace bbpt::tokenizer {
namespace {

const std::string kAssetsDir = BBPT_SHARED_DIR "/assets";

std::string ids_to_string(const std::vector<int32_t>& ids) {
  std::string out;
  for (int32_t id : ids) out += (out.empty() ? "" : " ") + std::to_string(id);
  return out;
}

TEST(TokenizerGolden, MatchesReferenceClipTokenize) {
  const std::string vocab_path = kAssetsDir + "/bpe_simple_vocab_16e6.txt.gz";
  const std::string reference_path = kAssetsDir + "/golden/tokenizer_reference.json";
  if (!core::is_regular_file(vocab_path) || !core::is_regular_file(reference_path)) {
    GTEST_SKIP() << "golden assets not found under " << kAssetsDir;
  }
  const ClipTokenizer tokenizer = ClipTokenizer::from_file(vocab_path);
  const nlohmann::json reference = nlohmann::json::parse(core::read_file(reference_path));
  const auto& texts = reference.at("texts");
  const auto& tokens = reference.at("tokens");
  ASSERT_EQ(texts.size(), tokens.size());
  ASSERT_GT(texts.size(), 0u);

  size_t num_mismatches = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string text = texts[i].get<std::string>();
    const std::vector<int32_t> expected = tokens[i].get<std::vector<int32_t>>();
    const std::vector<int32_t> actual = tokenizer.tokenize(text, kContextLength, /*truncate=*/true);
    if (actual != expected) ++num_mismatches;
    EXPECT_EQ(actual, expected) << "text " << i << ": \"" << text << "\"\n  expected "
                                << ids_to_string(expected) << "\n  actual   "
                                << ids_to_string(actual);
  }
  std::printf("tokenizer golden: %zu/%zu texts match the reference exactly\n",
              texts.size() - num_mismatches, texts.size());
}

}  // namespace
}  // namespace bbpt::tokenizer
