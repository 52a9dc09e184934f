// SPDX-License-Identifier: MIT
// Invariants of the text encoder that the query engine relies on: truncating to the longest prompt
// is exact, injecting a context equal to the placeholder embeddings reproduces plain encoding, and
// a batch of K contexts equals K separate encodes.
#include "bbpt/model/clip_model.h"

#include <gtest/gtest.h>

#include <iostream>

#include "small_clip.h"

namespace bbpt::model {
namespace {

// [B, 77] prompts "SOT t... EOT 0..." of different lengths; EOT = vocab - 1 is the largest id.
torch::Tensor make_tokens(const std::vector<int64_t>& lengths) {
  auto tokens = torch::zeros({static_cast<int64_t>(lengths.size()), 77}, torch::kLong);
  for (size_t i = 0; i < lengths.size(); ++i) {
    tokens[i][0] = 98;
    for (int64_t j = 1; j < lengths[i] - 1; ++j)
      tokens[i][j] = static_cast<int64_t>(1 + (7 * j + static_cast<int64_t>(i)) % 90);
    tokens[i][lengths[i] - 1] = 99;
  }
  return tokens;
}

TEST(ClipModel, TruncatedTextEncodingEqualsFull77Positions) {
  ClipModel model = testing::random_clip(testing::small_clip_config());
  torch::NoGradGuard no_grad;
  const auto tokens = make_tokens({5, 12, 9});
  model->truncate_text = true;
  const auto truncated = model->encode_text(tokens);
  model->truncate_text = false;
  const auto full = model->encode_text(tokens);
  const double max_abs = (truncated - full).abs().max().item<double>();
  std::cout << "truncated (12 positions) vs full (77): max_abs_err = " << max_abs << "\n";
  // Identical maths over fewer positions; only BLAS blocking may change the last bits.
  EXPECT_LE(max_abs, 1e-5 * full.abs().max().item<double>());
}

TEST(ClipModel, InjectingPlaceholderEmbeddingsReproducesEncodeText) {
  ClipModel model = testing::random_clip(testing::small_clip_config());
  torch::NoGradGuard no_grad;
  const int64_t num_context = 4;
  const auto tokens = make_tokens({9, 11});
  // Shared context = embeddings of prompt 0's placeholder slots; class-specific = each prompt's
  // own.
  auto embedded = model->token_embedding(tokens);                      // [C, 77, W]
  auto own_context = embedded.narrow(1, 1, num_context).contiguous();  // [C, M, W]
  const auto expected = model->encode_text(tokens);
  const auto injected = model->encode_text_with_context(own_context, tokens);
  EXPECT_TRUE(torch::allclose(injected, expected, 1e-5, 1e-6));
  const auto shared = model->encode_text_with_context(own_context[0], tokens);
  EXPECT_TRUE(torch::allclose(shared[0], expected[0], 1e-5, 1e-6));
  EXPECT_FALSE(torch::allclose(shared[1], expected[1], 1e-5, 1e-6));
}

TEST(ClipModel, BatchedContextsEqualSeparateEncodes) {
  ClipModel model = testing::random_clip(testing::small_clip_config());
  torch::NoGradGuard no_grad;
  const auto tokens = make_tokens({8, 10, 13});
  const auto prompts = model->prepare_context_prompts(tokens, 3);
  auto contexts = torch::randn({4, 3, 64});                        // [K, M, W]
  const auto batched = model->encode_contexts(prompts, contexts);  // [K, C, E]
  ASSERT_EQ(batched.sizes(), (std::vector<int64_t>{4, 3, 32}));
  for (int64_t k = 0; k < 4; ++k) {
    EXPECT_TRUE(torch::allclose(batched[k], model->encode_text_with_context(contexts[k], tokens),
                                1e-5, 1e-6));
  }
}

TEST(ClipModel, ContextGradientsFlowForWhiteBoxTuning) {
  ClipModel model = testing::random_clip(testing::small_clip_config());
  const auto tokens = make_tokens({8, 10});
  auto context = torch::randn({3, 64}, torch::requires_grad());
  model->encode_text_with_context(context, tokens).sum().backward();
  ASSERT_TRUE(context.grad().defined());
  EXPECT_GT(context.grad().abs().sum().item<double>(), 0.0);
}

TEST(ClipModel, ImageShapeIsCheckedAndVisualPromptsChangeFeatures) {
  ClipModel model = testing::random_clip(testing::small_clip_config());
  torch::NoGradGuard no_grad;
  EXPECT_THROW(model->encode_image(torch::zeros({1, 3, 32, 32})), c10::Error);
  const auto images = torch::randn({2, 3, 16, 16});
  const auto plain = model->encode_image(images);
  const auto prompted = model->encode_image(images, torch::randn({2, 64}));
  EXPECT_EQ(plain.sizes(), (std::vector<int64_t>{2, 32}));
  EXPECT_FALSE(torch::allclose(plain, prompted));
}

TEST(ClipModel, LogitsAreScaledCosines) {
  ClipModel model = testing::random_clip(testing::small_clip_config());
  torch::NoGradGuard no_grad;
  model->logit_scale.fill_(std::log(100.0));
  auto a = torch::randn({2, 32});
  const auto logits = model->logits(a, a);
  EXPECT_NEAR(logits[0][0].item<double>(), 100.0, 1e-3);
  EXPECT_NEAR(logits[1][1].item<double>(), 100.0, 1e-3);
}

}  // namespace
}  // namespace bbpt::model
