// SPDX-License-Identifier: MIT
// GLOV's guidance switches on after the first step whose best template beats the initial one, and
// P+ / P- are taken only when the best rises (the official bookkeeping), so a later template that
// lands between P+ and P- does not move P-.
#include "bbpt/run/glov_guidance.h"

#include <gtest/gtest.h>

namespace bbpt::run {
namespace {

TEST(GlovGuidance, OffUntilTheInitialTemplateIsBeaten) {
  std::vector<ScoredTemplate> h = {
      {"a photo of a {}.", 0.50, 1}, {"b {}.", 0.40, 2}, {"c {}.", 0.50, 2}};
  EXPECT_FALSE(select_guidance_pair(h).on()) << "equal to the initial accuracy is not better";
  h.push_back({"d {}.", 0.60, 3});
  const GuidancePair p = select_guidance_pair(h);
  ASSERT_TRUE(p.on());
  EXPECT_EQ(p.first_step, 3);
  EXPECT_EQ(p.positive, "d {}.");
  EXPECT_EQ(p.negative, "a photo of a {}.")
      << "the best of the next lower level; ties: the earlier template";
}

TEST(GlovGuidance, PairMovesOnlyWhenTheBestRises) {
  std::vector<ScoredTemplate> h = {{"init {}", 0.50, 1}, {"best {}", 0.70, 2}};
  h.push_back({"between {}", 0.65, 3});  // above P- (0.50), below P+: the official code keeps P-
  GuidancePair p = select_guidance_pair(h);
  EXPECT_EQ(p.first_step, 2);
  EXPECT_EQ(p.last_step, 2);
  EXPECT_EQ(p.negative, "init {}");
  h.push_back({"new best {}", 0.80, 4});
  p = select_guidance_pair(h);
  EXPECT_EQ(p.first_step, 2);
  EXPECT_EQ(p.last_step, 4);
  EXPECT_EQ(p.positive, "new best {}");
  EXPECT_EQ(p.negative, "best {}");
  EXPECT_FALSE(select_guidance_pair({}).on());
}

}  // namespace
}  // namespace bbpt::run
