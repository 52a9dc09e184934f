// SPDX-License-Identifier: MIT
// SubspacePrompt must produce the shapes ClipModel consumes and the init scales of algorithms.md
// 5.1: CMA-ES starts at x0 = 0 with sigma0 = 1, so these stds set the size of the first prompts.
#include "bbpt/prompt/subspace_prompt.h"

#include <gtest/gtest.h>

#include <cmath>

#include "bbpt/core/error.h"

namespace bbpt::prompt {
namespace {

TEST(SubspacePrompt, ShapesAndCounts) {
  const SubspacePrompt vit({}, 512, 768, 0.02, 0.0, 0.01, 1);
  EXPECT_TRUE(vit.has_visual());
  EXPECT_EQ(vit.num_parameters(), 4000);
  EXPECT_EQ(vit.initial_parameters(), std::vector<double>(4000, 0.0));
  auto x = torch::randn({3, 4000}, torch::kDouble);
  const auto text = vit.text_contexts(x);
  const auto visual = vit.visual_prompts(x);
  EXPECT_EQ(text.sizes(), (std::vector<int64_t>{3, 5, 512}));
  EXPECT_EQ(visual.sizes(), (std::vector<int64_t>{3, 5, 768}));
  EXPECT_EQ(text.scalar_type(), torch::kFloat);

  const SubspacePrompt text_only({}, 512, 0, 0.02, 0.0, 0.01, 1);
  EXPECT_FALSE(text_only.has_visual());
  EXPECT_EQ(text_only.num_parameters(), 2000);
  EXPECT_FALSE(text_only.visual_prompts(torch::zeros({2, 2000})).defined());
  EXPECT_EQ(text_only.frozen_tensors().size(), 1u);
  EXPECT_THROW(text_only.text_contexts(torch::zeros({2, 4000})), c10::Error);
}

// x_L feeds the text tokens only and x_V the visual tokens only, through A x with no bias.
TEST(SubspacePrompt, IsLinearInItsOwnBlock) {
  SubspacePromptOptions o;
  o.text_tokens = 2;
  o.text_dim = 6;
  o.visual_tokens = 3;
  o.visual_dim = 4;
  const SubspacePrompt prompt(o, 8, 5, 0.02, 0.0, 0.01, 2);
  auto x = torch::randn({2, 10});
  const auto text = prompt.text_contexts(x);     // [K, 2, 8]
  const auto visual = prompt.visual_prompts(x);  // [K, 3, 5]
  auto want_text = x.narrow(1, 0, 6).mm(prompt.text_projection().t()).view({2, 2, 8});
  auto want_visual = x.narrow(1, 6, 4).mm(prompt.visual_projection().t()).view({2, 3, 5});
  EXPECT_TRUE(torch::allclose(text, want_text, 1e-5, 1e-7));
  EXPECT_TRUE(torch::allclose(visual, want_visual, 1e-5, 1e-7));
  EXPECT_TRUE(torch::equal(prompt.text_contexts(torch::zeros({1, 10})), torch::zeros({1, 2, 8})));
}

// Empirical moments of the projections against the 5.1 formulas (the 3072 included).
TEST(SubspacePrompt, InitScalesFollowTheSpec) {
  SubspacePromptOptions o;
  o.text_dim = 500;
  o.visual_dim = 500;
  o.sigma = 2.0;
  const double emb_std = 0.02, conv_mean = 0.001, conv_std = 0.05;
  const SubspacePrompt prompt(o, 64, 48, emb_std, conv_mean, conv_std, 3);
  const double text_target = emb_std / (std::sqrt(500.0) * 2.0);
  const double text_std = prompt.text_projection().std().item<double>();
  EXPECT_NEAR(text_std / text_target, 1.0, 0.05);
  EXPECT_NEAR(prompt.text_projection().mean().item<double>(), 0.0, 0.05 * text_target);
  const double ratio = 3072.0 / 500.0;
  const double visual_target = conv_std * std::sqrt(ratio) * 2.0;
  EXPECT_NEAR(prompt.visual_projection().std().item<double>() / visual_target, 1.0, 0.05);
  EXPECT_NEAR(prompt.visual_projection().mean().item<double>(), conv_mean * ratio,
              0.05 * visual_target);
}

TEST(SubspacePrompt, DeterministicAndRestorable) {
  const SubspacePrompt a({}, 32, 16, 0.02, 0.0, 0.01, 7), b({}, 32, 16, 0.02, 0.0, 0.01, 7);
  SubspacePrompt c({}, 32, 16, 0.02, 0.0, 0.01, 8);
  EXPECT_TRUE(torch::equal(a.text_projection(), b.text_projection()));
  EXPECT_TRUE(torch::equal(a.visual_projection(), b.visual_projection()));
  EXPECT_FALSE(torch::equal(a.text_projection(), c.text_projection()));
  c.load_frozen_tensors(a.frozen_tensors());
  auto x = torch::randn({2, 4000});
  EXPECT_TRUE(torch::equal(c.text_contexts(x), a.text_contexts(x)));
  EXPECT_TRUE(torch::equal(c.visual_prompts(x), a.visual_prompts(x)));
  auto missing = a.frozen_tensors();
  missing.pop_back();
  try {
    c.load_frozen_tensors(missing);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("visual_projection"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace bbpt::prompt
