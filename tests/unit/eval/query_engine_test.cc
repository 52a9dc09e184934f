// SPDX-License-Identifier: MIT
// The query engine's contracts: batches are a pure function of (seed, step) and follow Dassl's
// drop_last sampler; the counter enforces the budget the way the ZIP code does; all settings of a
// step see the same batch; losses are the per-setting means; and the white-box context loss
// (CoOp) has gradients equal to finite differences.
#include "bbpt/eval/query_engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "small_clip.h"

namespace {

using bbpt::eval::ContextQueryEngine;
using bbpt::eval::MiniBatchSampler;
using bbpt::eval::QueryCounter;

TEST(MiniBatchSampler, EpochsArePermutationsCutWithDropLast) {
  MiniBatchSampler sampler(300, 128, 7);
  EXPECT_EQ(sampler.batches_per_epoch(), 2);  // 300 // 128, the last 44 dropped
  for (int64_t epoch = 0; epoch < 3; ++epoch) {
    std::set<int64_t> seen;
    for (int64_t b = 0; b < 2; ++b) {
      const auto batch = sampler.batch(epoch * 2 + b);
      ASSERT_EQ(batch.size(), 128u);
      for (auto i : batch) {
        EXPECT_GE(i, 0);
        EXPECT_LT(i, 300);
        EXPECT_TRUE(seen.insert(i).second) << "item repeated within an epoch";
      }
    }
  }
  EXPECT_NE(sampler.batch(0), sampler.batch(2)) << "each epoch must be reshuffled";
}

TEST(MiniBatchSampler, BatchIsAPureFunctionOfSeedAndStep) {
  MiniBatchSampler a(160, 128, 3), b(160, 128, 3), c(160, 128, 4);
  EXPECT_EQ(a.batch(17), b.batch(17));  // a resumed run sees the same batches
  EXPECT_NE(a.batch(17), c.batch(17));
  MiniBatchSampler small(100, 128, 1);  // fewer items than the batch: one batch of all
  EXPECT_EQ(small.batches_per_epoch(), 1);
  EXPECT_EQ(small.batch(0).size(), 100u);
}

TEST(QueryCounter, StepThatCrossesTheBudgetCompletes) {
  // ZIP: 10 queries per step, 5000 budget -> exactly 500 steps (algorithms.md 2.6).
  QueryCounter zip(5000);
  int steps = 0;
  while (!zip.exhausted()) {
    zip.add(10);
    ++steps;
  }
  EXPECT_EQ(steps, 500);
  EXPECT_EQ(zip.used(), 5000);
  // BAR: 1 + q = 6 per step -> 834 steps, 5004 queries (algorithms.md 2.6).
  QueryCounter bar(5000);
  steps = 0;
  while (!bar.exhausted()) {
    bar.add(6);
    ++steps;
  }
  EXPECT_EQ(steps, 834);
  EXPECT_EQ(bar.used(), 5004);
  QueryCounter unlimited(0);
  unlimited.add(1000000);
  EXPECT_FALSE(unlimited.exhausted());
}

TEST(Losses, CrossEntropyAndFocalMatchTheirDefinitions) {
  auto logits = torch::tensor({2.0, 0.0, -1.0, 0.5, 1.5, 0.0}, torch::kDouble).view({1, 2, 3});
  auto labels = torch::tensor({0, 2}, torch::kLong);
  auto p = torch::softmax(logits, -1);
  const double p0 = p[0][0][0].item<double>(), p1 = p[0][1][2].item<double>();
  const double ce = -(std::log(p0) + std::log(p1)) / 2;
  const double focal =
      -(std::pow(1 - p0, 2) * std::log(p0) + std::pow(1 - p1, 2) * std::log(p1)) / 2;
  const auto r = bbpt::eval::summarize_queries(logits, labels, bbpt::eval::LossKind::kCrossEntropy);
  EXPECT_NEAR(r.losses[0], ce, 1e-12);
  EXPECT_DOUBLE_EQ(r.accuracies[0], 0.5);  // row 0 right (argmax 0), row 1 wrong (argmax 1)
  EXPECT_NEAR(bbpt::eval::summarize_queries(logits, labels, bbpt::eval::LossKind::kFocal).losses[0],
              focal, 1e-12);
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clip_ = bbpt::testing::random_clip(bbpt::testing::small_clip_config(), 0.1, 3);
    // 4 classes: SOT, M=3 placeholders, a class token, '.', EOT.
    auto tokens = torch::zeros({4, 77}, torch::kLong);
    for (int64_t c = 0; c < 4; ++c) {
      tokens[c][0] = 97;
      for (int64_t m = 1; m <= 3; ++m) tokens[c][m] = 5;
      tokens[c][4] = 10 + c;
      tokens[c][5] = 6;
      tokens[c][6] = 99;  // EOT = the largest id
    }
    prompts_ = clip_->prepare_context_prompts(tokens, 3);
    torch::manual_seed(1);
    features_ = torch::randn({40, 3, 32});          // [N, V, E]
    labels_ = torch::arange(40, torch::kLong) % 4;  // [N]
  }
  bbpt::model::ClipModel clip_{nullptr};
  bbpt::model::ContextPrompts prompts_;
  torch::Tensor features_, labels_;
};

TEST_F(EngineTest, AllSettingsOfAStepSeeTheSameBatchAndEachCountsOneQuery) {
  ContextQueryEngine engine(clip_, prompts_, features_, labels_, 16, 5, 6);
  QueryCounter counter(0);
  const auto batch = engine.batch(3);
  EXPECT_EQ(batch.indices.size(), 16u);
  EXPECT_TRUE(torch::equal(batch.image_features, engine.batch(3).image_features))
      << "step fixes views";
  auto context = torch::randn({3, 64}) * 0.02;
  auto contexts = torch::stack({context, context, context * 2});  // [3, M, W]
  const auto r = engine.evaluate(batch, contexts, counter);
  EXPECT_EQ(counter.used(), 3);
  ASSERT_EQ(r.losses.size(), 3u);
  EXPECT_EQ(r.losses[0], r.losses[1]) << "identical settings on one batch give identical losses";
  EXPECT_NE(r.losses[0], r.losses[2]);
  // The batched evaluation equals one-at-a-time evaluation of the same setting.
  const auto single = engine.evaluate(batch, contexts.narrow(0, 2, 1), counter);
  EXPECT_NEAR(single.losses[0], r.losses[2], 1e-5);
  EXPECT_EQ(counter.used(), 4);
}

TEST_F(EngineTest, ContextLossGradientMatchesFiniteDifferences) {
  // CoOp's white-box gradient through the frozen text encoder. The model computes LayerNorms in
  // float32, so the check is in float32: central differences with h = 5e-2 against a 2% tolerance.
  // The loss is smooth here (along the gradient, h = 0.1 and 0.05 agree with |g| to 0.07%), while
  // its float32 noise (~10 ulps of 1.4) divided by a small h is not: h = 1e-2 was 2.2% off on one
  // machine and passed on another, h = 3e-3 was 5% off.
  {
    torch::NoGradGuard no_grad;
    clip_->logit_scale.fill_(std::log(100.0));  // CLIP's scale, so the loss reacts to the context
  }
  ContextQueryEngine engine(clip_, prompts_, features_, labels_, 16, 5, 6);
  const auto batch = engine.batch(0);
  auto context = (torch::randn({3, 64}) * 0.5).set_requires_grad(true);
  auto loss = engine.context_loss(batch, context);
  loss.backward();
  auto grad = context.grad().clone();
  torch::NoGradGuard no_grad;
  // Directional derivatives: along the gradient (must equal |g|) and along random unit directions
  // (must equal g.u). Directions aggregate many entries, which keeps float32 noise small.
  const double h = 5e-2;
  const auto directional = [&](const torch::Tensor& u) {
    auto c = context.detach();
    return (engine.context_loss(batch, c + h * u).item<double>() -
            engine.context_loss(batch, c - h * u).item<double>()) /
           (2 * h);
  };
  const double grad_norm = grad.norm().item<double>();
  ASSERT_GT(grad_norm, 1e-3) << "the check needs a non-trivial gradient";
  EXPECT_NEAR(directional(grad / grad_norm), grad_norm, 0.02 * grad_norm);
  for (int i = 0; i < 3; ++i) {
    auto u = torch::randn({3, 64});
    u = u / u.norm();
    EXPECT_NEAR(directional(u), (grad * u).sum().item<double>(), 0.02 * grad_norm)
        << "direction " << i;
  }
}

TEST(FixedSubset, SortedSeededAndBounded) {
  const auto a = bbpt::eval::fixed_subset(1000, 100, 9);
  EXPECT_EQ(a.size(), 100u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(a, bbpt::eval::fixed_subset(1000, 100, 9));
  EXPECT_NE(a, bbpt::eval::fixed_subset(1000, 100, 10));
  EXPECT_EQ(bbpt::eval::fixed_subset(50, 100, 9).size(), 50u);
}

}  // namespace
