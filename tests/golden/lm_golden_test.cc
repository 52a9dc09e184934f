// SPDX-License-Identifier: MIT
// Parity of the Llama runtime with its references: tiny_llama's logits and hidden-state means
// within 1e-4 relative of transformers' LlamaForCausalLM, GLOV's steering vector within 1e-4, the
// greedy continuations under guidance (alpha 0, 1, 4) identical through the KV cache and through
// the official full re-run; aidreams260K's greedy ids identical to llama2.c's run.c.
#include <gtest/gtest.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "bbpt/core/file_io.h"
#include "bbpt/lm/generation.h"
#include "bbpt/lm/reference_check.h"

namespace bbpt::lm {
namespace {

const std::string kLlm = std::string(BBPT_SHARED_DIR) + "/assets/llm/";

void expect_all_pass(const std::vector<LmCheckResult>& results, size_t expected_count) {
  EXPECT_EQ(results.size(), expected_count);
  for (const auto& r : results) {
    std::cout << r.name << ": rel_err=" << r.rel_err << " " << r.detail << "\n";
    EXPECT_TRUE(r.passed) << r.name << " " << r.detail << " rel_err " << r.rel_err;
  }
}

TEST(LmGolden, TinyLlamaMatchesTransformersReference) {
  if (!core::is_regular_file(kLlm + "tiny_llama/model.safetensors")) GTEST_SKIP() << "no fixtures under " << kLlm;
  const LlamaModel model = LlamaModel::load(kLlm + "tiny_llama");
  EXPECT_EQ(model.config().num_kv_heads, 2);
  EXPECT_EQ(model.config().eos_ids, (std::vector<int64_t>{557, 560}));
  // logits + 5 hidden-state means + vector + 3 greedy continuations.
  expect_all_pass(check_model_against_reference(model, kLlm + "tiny_llama/reference.json"), 10u);
}

// The KV-cached guided path must give the official re-run's ids: positions above the guidance
// layer are cached unshifted, so the cache changes the cost, not the tokens.
TEST(LmGolden, GuidedGreedyIdsEqualOfficialFullRerun) {
  if (!core::is_regular_file(kLlm + "tiny_llama/model.safetensors")) GTEST_SKIP() << "no fixtures under " << kLlm;
  const LlamaModel model = LlamaModel::load(kLlm + "tiny_llama");
  const auto ref = nlohmann::json::parse(core::read_file(kLlm + "tiny_llama/reference.json")).at("guidance");
  const auto prompt = ref.at("prompt_ids").get<std::vector<int64_t>>();
  const torch::Tensor v = steering_vector(model, ref.at("best_padded_ids").get<std::vector<int64_t>>(),
                                          ref.at("worst_padded_ids").get<std::vector<int64_t>>(), 2);
  GenerationOptions options;
  options.temperature = 0;
  options.max_new_tokens = 24;
  options.stop_ids = {560};
  for (const auto& greedy : ref.at("greedy")) {
    const Guidance g{2, v, greedy.at("alpha").get<double>(), GuidanceSchedule::kConstant};
    const auto expected = greedy.at("new_ids").get<std::vector<int64_t>>();
    EXPECT_EQ(generate_full_rerun(model, prompt, options, g).new_ids[0], expected) << "alpha " << g.alpha;
    EXPECT_EQ(generate(model, prompt, options, g).new_ids[0], expected) << "alpha " << g.alpha;
  }
}

TEST(LmGolden, Aidreams260KMatchesRunC) {
  if (!core::is_regular_file(kLlm + "aidreams260K.bin")) GTEST_SKIP() << "no fixtures under " << kLlm;
  const LlamaModel model = LlamaModel::load(kLlm + "aidreams260K.bin");
  EXPECT_EQ(model.config().layout, CheckpointLayout::kLlama2c);
  EXPECT_EQ(model.config().vocab_size, 512);
  expect_all_pass(check_model_against_reference(model, kLlm + "aidreams260K_reference.json"), 2u);
}

}  // namespace
}  // namespace bbpt::lm
