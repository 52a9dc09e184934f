// SPDX-License-Identifier: MIT
// Generation: seeded and reproducible; each sample draws from its own stream; top-k 1 is greedy;
// stop ids end a sample; the KV-cached guided path gives the official full re-run's tokens under
// sampling, for the paper's constant alpha and for the official code's compounding alpha^n.
#include "bbpt/lm/generation.h"

#include <gtest/gtest.h>

#include <set>

#include "bbpt/core/error.h"
#include "lm_test_util.h"

namespace bbpt::lm {
namespace {

using namespace testing;

class Generate : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = new LlamaModel(LlamaModel::load(write_hf_checkpoint("gen", small_config_json())));
  }
  static void TearDownTestSuite() { delete model_; }
  static LlamaModel* model_;
  const std::vector<int64_t> prompt_{1, 7, 3, 22, 9};
};
LlamaModel* Generate::model_ = nullptr;

GenerationOptions sampling(int64_t samples, uint64_t seed) {
  GenerationOptions o;
  o.max_new_tokens = 12;
  o.num_samples = samples;
  o.temperature = 1.0;
  o.top_k = 20;
  o.top_p = 0.9;
  o.seed = seed;
  o.stop_ids = {49};
  return o;
}

TEST_F(Generate, SameSeedSameSamplesOtherSeedOthers) {
  const Generation a = generate(*model_, prompt_, sampling(4, 11));
  const Generation b = generate(*model_, prompt_, sampling(4, 11));
  const Generation c = generate(*model_, prompt_, sampling(4, 12));
  EXPECT_EQ(a.new_ids, b.new_ids);
  EXPECT_NE(a.new_ids, c.new_ids);
  EXPECT_EQ(a.prompt_tokens, 5);
  int64_t total = 0;
  for (size_t s = 0; s < 4; ++s)
    total += static_cast<int64_t>(a.new_ids[s].size()) + (a.stopped[s] ? 1 : 0);
  EXPECT_EQ(a.generated_tokens, total);
  // Sample 0 of a batch is what a single-sample call with the same seed gives.
  EXPECT_EQ(generate(*model_, prompt_, sampling(1, 11)).new_ids[0], a.new_ids[0]);
}

TEST_F(Generate, TopK1IsGreedyAndStopIdsEndSamples) {
  GenerationOptions greedy;
  greedy.max_new_tokens = 8;
  greedy.temperature = 0;
  greedy.stop_ids = {49};
  const Generation g = generate(*model_, prompt_, greedy);
  GenerationOptions top1 = sampling(3, 5);
  top1.top_k = 1;
  top1.max_new_tokens = 8;
  for (const auto& ids : generate(*model_, prompt_, top1).new_ids) EXPECT_EQ(ids, g.new_ids[0]);
  ASSERT_EQ(g.new_ids[0].size(), 8u);
  greedy.stop_ids = {g.new_ids[0][2]};
  const Generation stopped = generate(*model_, prompt_, greedy);
  EXPECT_TRUE(stopped.stopped[0]);
  EXPECT_EQ(stopped.new_ids[0],
            std::vector<int64_t>(g.new_ids[0].begin(), g.new_ids[0].begin() + 2));
  EXPECT_EQ(stopped.generated_tokens, 3);
}

TEST_F(Generate, CachedGuidedSamplingEqualsOfficialRerun) {
  torch::manual_seed(9);
  const torch::Tensor v = 3.0 * torch::randn({32});
  for (const auto schedule : {GuidanceSchedule::kConstant, GuidanceSchedule::kOfficialCompound}) {
    const Guidance g{1, v, 0.7, schedule};
    const Generation cached = generate(*model_, prompt_, sampling(3, 21), g);
    const Generation rerun = generate_full_rerun(*model_, prompt_, sampling(3, 21), g);
    EXPECT_EQ(cached.new_ids, rerun.new_ids) << to_string(schedule);
    EXPECT_EQ(cached.generated_tokens, rerun.generated_tokens);
  }
}

TEST_F(Generate, GuidanceChangesSamplesAndAlphaZeroIsUnguided) {
  torch::manual_seed(9);
  const torch::Tensor v = 3.0 * torch::randn({32});
  const Generation plain = generate(*model_, prompt_, sampling(3, 21));
  EXPECT_EQ(generate(*model_, prompt_, sampling(3, 21), Guidance{1, v, 0.0}).new_ids,
            plain.new_ids);
  EXPECT_NE(generate(*model_, prompt_, sampling(3, 21), Guidance{1, v, 1.0}).new_ids,
            plain.new_ids);
  // alpha = 1 compounds to itself: the official schedule equals the constant one.
  EXPECT_EQ(generate(*model_, prompt_, sampling(3, 21),
                     Guidance{1, v, 1.0, GuidanceSchedule::kOfficialCompound})
                .new_ids,
            generate(*model_, prompt_, sampling(3, 21), Guidance{1, v, 1.0}).new_ids);
}

// transformers' warpers: top-k keeps every id tied with the k-th score; top-p drops the ids whose
// ascending cumulative probability is <= 1 - top_p and always keeps the most likely one.
TEST(GenerationHelpers, TopKAndTopPBoundaries) {
  auto draws = [](const torch::Tensor& logits, GenerationOptions o) {
    std::set<int64_t> seen;
    for (uint64_t seed = 0; seed < 400; ++seed) {
      core::Rng rng(seed, 0);
      seen.insert(sample_next_id(logits, o, rng));
    }
    return seen;
  };
  GenerationOptions o;
  o.top_k = 2;
  EXPECT_EQ(draws(torch::tensor({3.0f, 1.0f, 1.0f, 0.0f}), o), (std::set<int64_t>{0, 1, 2}));
  o.top_k = 0;
  const torch::Tensor probs = torch::tensor({0.5f, 0.3f, 0.2f}).log();
  o.top_p = 0.75;  // drops 0.2 (cumulative 0.2 <= 0.25)
  EXPECT_EQ(draws(probs, o), (std::set<int64_t>{0, 1}));
  o.top_p = 0.45;  // drops 0.2 and 0.3 (cumulative 0.5 <= 0.55)
  EXPECT_EQ(draws(probs, o), (std::set<int64_t>{0}));
  o.top_p = 0.01;  // keeps the most likely id at least
  EXPECT_EQ(draws(probs, o), (std::set<int64_t>{0}));
  o.top_p = 1.0;
  EXPECT_EQ(draws(probs, o), (std::set<int64_t>{0, 1, 2}));
  o.temperature = 0;  // greedy: the lowest id among the best
  core::Rng rng(1, 0);
  EXPECT_EQ(sample_next_id(torch::tensor({1.0f, 2.0f, 2.0f}), o, rng), 1);
}

TEST(GenerationHelpers, PaddingAndScheduleNames) {
  std::vector<int64_t> a{1, 2, 3}, b{1};
  pad_to_equal_length(a, b, 9);
  EXPECT_EQ(b, (std::vector<int64_t>{1, 9, 9}));
  EXPECT_EQ(parse_guidance_schedule("official", "x"), GuidanceSchedule::kOfficialCompound);
  EXPECT_THROW(parse_guidance_schedule("fading", "glov.guidance_schedule"), ConfigError);
}

}  // namespace
}  // namespace bbpt::lm
