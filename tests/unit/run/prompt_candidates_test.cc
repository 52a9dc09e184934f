// SPDX-License-Identifier: MIT
// The candidate gate of the LLM methods: what is refused before it costs a CLIP query, and why.
#include "bbpt/run/prompt_candidates.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "bbpt/core/file_io.h"

namespace bbpt::run {
namespace {

const tokenizer::ClipTokenizer* shared_tokenizer() {
  static const std::optional<tokenizer::ClipTokenizer> tokenizer =
      []() -> std::optional<tokenizer::ClipTokenizer> {
    const std::string path = BBPT_SHARED_DIR "/assets/bpe_simple_vocab_16e6.txt.gz";
    if (!core::is_regular_file(path)) return std::nullopt;
    return tokenizer::ClipTokenizer::from_file(path);
  }();
  return tokenizer ? &*tokenizer : nullptr;
}

#define REQUIRE_GATE(gate)                                                                \
  if (shared_tokenizer() == nullptr) GTEST_SKIP() << "CLIP BPE vocabulary not available"; \
  CandidateGate gate(*shared_tokenizer(), {"t-shirt", "ankle_boot"})

TEST(CandidateGate, AcceptsAWellFormedTemplateOnce) {
  REQUIRE_GATE(gate);
  EXPECT_EQ(gate.admit("a photo of a {}."), std::nullopt);
  EXPECT_EQ(gate.admit("a photo of a {}.").value_or(""),
            "a duplicate of a prompt already proposed");
}

TEST(CandidateGate, RefusesMalformedTemplatesWithTheReason) {
  REQUIRE_GATE(gate);
  EXPECT_EQ(gate.admit("").value_or(""), "empty");
  EXPECT_EQ(gate.admit("a photo of a thing.").value_or(""), "no {} class placeholder");
  EXPECT_EQ(gate.admit("{} and {}").value_or(""), "more than one {} placeholder");
  EXPECT_EQ(gate.admit("a {} photo {of}").value_or(""), "a stray brace besides the {} placeholder");
  EXPECT_EQ(gate.admit("a photo of a {}.\nHere it is").value_or(""),
            "a line break inside the prompt");
}

TEST(CandidateGate, CountsClipTokensWithTheLongestClassName) {
  REQUIRE_GATE(gate);
  // 70 words of one token each + "{}" filled with "t-shirt" (3 tokens: t, -, shirt; "ankle boot" is
  // 2) + SOT/EOT = 75 tokens; 74 words make 79.
  std::string fits;
  for (int i = 0; i < 70; ++i) fits += "a ";
  EXPECT_EQ(gate.admit(fits + "{}"), std::nullopt);
  std::string too_long;
  for (int i = 0; i < 74; ++i) too_long += "a ";
  EXPECT_EQ(gate.admit(too_long + "{}").value_or(""),
            "79 CLIP tokens with the longest class name (limit 77)");
}

TEST(CandidateGate, RememberedPromptsAreDuplicates) {
  REQUIRE_GATE(gate);
  gate.remember("a photo of the {}.");
  EXPECT_EQ(gate.admit("a photo of the {}.").value_or(""),
            "a duplicate of a prompt already proposed");
}

TEST(PromptText, TrimAndPlaceholders) {
  EXPECT_EQ(trim_prompt("  \"a photo of a {}.\"\n"), "a photo of a {}.");
  EXPECT_EQ(trim_prompt(" \n\t "), "");
  EXPECT_EQ(with_braces("a photo of a <CLASS>, a <CLASS>.", "<CLASS>"), "a photo of a {}, a {}.");
}

}  // namespace
}  // namespace bbpt::run
