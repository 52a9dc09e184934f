// SPDX-License-Identifier: MIT
// The local LLM behind GLOV on tiny_llama: chat requests are reproducible from (seed, sample
// index) whatever the batching, guidance with alpha 0 reproduces unguided sampling, guidance
// changes the proposals, and the steering vector from template texts pads with <|eot_id|> exactly
// as the reference's padded ids.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bbpt/core/file_io.h"
#include "bbpt/lm/local_llm.h"
#include "bbpt/lm/reference_check.h"

namespace bbpt::lm {
namespace {

const std::string kTiny = std::string(BBPT_SHARED_DIR) + "/assets/llm/tiny_llama";

class LocalTinyLlama : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!core::is_regular_file(kTiny + "/model.safetensors"))
      GTEST_SKIP() << "no fixture " << kTiny;
    LocalLlmOptions options;
    options.model_path = kTiny;
    options.device = "cpu";
    llm_ = LocalLlm::open(options);
  }
  std::shared_ptr<const LocalLlm> llm_;
  const std::vector<tokenizer::ChatTurn> messages_ = {
      {"system", "You are a helpful AI assistant."},
      {"user",
       "Dataset: EuroSAT. Best Templates: 1: a photo of a <category>. --- Accuracy: 61\nPlease "
       "reply with only "
       "the prompt."}};
};

TEST_F(LocalTinyLlama, TokenizerChecksOfTheReferencePass) {
  const auto results = check_tokenizer_against_reference(*llm_, kTiny + "/reference.json");
  EXPECT_EQ(results.size(), 15u);  // 13 strings + 2 chat encodings
  for (const auto& r : results) EXPECT_TRUE(r.passed) << r.name << ": " << r.detail;
}

TEST_F(LocalTinyLlama, SteeringFromTextsPadsWithEotLikeTheReference) {
  const auto g = nlohmann::json::parse(core::read_file(kTiny + "/reference.json")).at("guidance");
  const torch::Tensor v =
      llm_->steering_vector(g.at("best").get<std::string>(), g.at("worst").get<std::string>(),
                            g.at("layer").get<int64_t>());
  const torch::Tensor expected = torch::tensor(g.at("vector").get<std::vector<float>>());
  EXPECT_LT(((v - expected).abs().max() / expected.abs().max()).item<double>(), 1e-4);
}

TEST_F(LocalTinyLlama, ChatIsReproducibleAndIndexedBySample) {
  ChatSampling s;
  s.top_k = 50;
  s.top_p = 0.9;
  s.max_new_tokens = 12;
  const auto all = llm_->chat(messages_, false, s, 4, /*seed=*/7, /*first_index=*/10);
  EXPECT_EQ(all.texts, llm_->chat(messages_, false, s, 4, 7, 10).texts);
  EXPECT_EQ(llm_->chat(messages_, false, s, 1, 7, 12).texts[0], all.texts[2])
      << "sample 12 alone = sample 12 in a batch";
  EXPECT_NE(llm_->chat(messages_, false, s, 4, 8, 10).texts, all.texts);
  EXPECT_EQ(all.prompt_tokens, 65) << "the reference's chat ids without the generation prompt";
  EXPECT_GT(all.completion_tokens, 0);
}

TEST_F(LocalTinyLlama, AlphaZeroIsUnguidedAndGuidanceChangesProposals) {
  ChatSampling s;
  s.top_k = 50;
  s.top_p = 0.9;
  s.max_new_tokens = 16;
  const auto plain = llm_->chat(messages_, false, s, 5, 3, 0);
  GuidanceTexts g{"a centered satellite photo of {}.", "a photo of a {}.", 2, 0.0};
  EXPECT_EQ(llm_->chat(messages_, false, s, 5, 3, 0, &g).texts, plain.texts);
  g.alpha = 4.0;
  EXPECT_NE(llm_->chat(messages_, false, s, 5, 3, 0, &g).texts, plain.texts);
  // The official schedule's alpha^n fades: with alpha 0.5 it differs from a constant 0.5.
  GuidanceTexts official = g, constant = g;
  official.alpha = constant.alpha = 0.5;
  official.schedule = GuidanceSchedule::kOfficialCompound;
  EXPECT_NE(llm_->chat(messages_, false, s, 5, 3, 0, &official).texts,
            llm_->chat(messages_, false, s, 5, 3, 0, &constant).texts);
}

TEST_F(LocalTinyLlama, FingerprintCoversTheCheckpoint) {
  LocalLlmOptions o;
  o.model_path = kTiny;
  const std::string a = LocalLlm::fingerprint(o);
  EXPECT_EQ(a.rfind("hf:", 0), 0u);
  EXPECT_EQ(a, LocalLlm::fingerprint(o));
  o.model_path = std::string(BBPT_SHARED_DIR) + "/assets/llm/aidreams260K.bin";
  o.tokenizer_path = std::string(BBPT_SHARED_DIR) + "/assets/llm/tok512.bin";
  EXPECT_NE(LocalLlm::fingerprint(o), a);
}

}  // namespace
}  // namespace bbpt::lm
