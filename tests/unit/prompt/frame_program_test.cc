// SPDX-License-Identifier: MIT
// FrameProgram must reproduce BAR's geometry (algorithms.md 4): the image untouched in the centre,
// the learned frame sigmoid(W) around it, both CLIP-normalised, for every (setting, image) pair.
#include "bbpt/prompt/frame_program.h"

#include <gtest/gtest.h>

#include "bbpt/core/error.h"

namespace bbpt::prompt {
namespace {

torch::Tensor clip_normalize(const torch::Tensor& x) {  // [..., 3, H, W]
  auto mean = torch::tensor({0.48145466F, 0.4578275F, 0.40821073F}).view({3, 1, 1});
  auto std = torch::tensor({0.26862954F, 0.26130258F, 0.27577711F}).view({3, 1, 1});
  return (x - mean) / std;
}

TEST(FrameProgram, GeometryAndCounts) {
  EXPECT_EQ(bar_inner_size(224), 194);
  EXPECT_EQ(bar_inner_size(32), 28);
  const FrameProgram program(224);
  EXPECT_EQ(program.inner_size(), 194);
  EXPECT_EQ(program.offset(), 15);  // rows/cols 15..208
  EXPECT_EQ(program.num_parameters(), 150528);
  EXPECT_EQ(program.num_effective_parameters(), 37620);  // 3 (224^2 - 194^2)
  EXPECT_EQ(program.mask().sizes(), (std::vector<int64_t>{1, 224, 224}));
  EXPECT_EQ(3 * program.mask().sum().item<int64_t>(), 37620);
  EXPECT_EQ(program.mask()[0][15][15].item<float>(), 0.0F);
  EXPECT_EQ(program.mask()[0][208][208].item<float>(), 0.0F);
  EXPECT_EQ(program.mask()[0][14][100].item<float>(), 1.0F);
  EXPECT_EQ(program.mask()[0][209][100].item<float>(), 1.0F);
  EXPECT_THROW(FrameProgram(2), ConfigError);
}

TEST(FrameProgram, InitialParametersAreSeededStandardNormals) {
  const auto w = FrameProgram::initial_parameters(32, 1);
  ASSERT_EQ(w.size(), 3u * 32u * 32u);
  EXPECT_EQ(w, FrameProgram::initial_parameters(32, 1));
  EXPECT_NE(w, FrameProgram::initial_parameters(32, 2));
  const auto t = torch::tensor(w);
  EXPECT_NEAR(t.mean().item<double>(), 0.0, 0.1);
  EXPECT_NEAR(t.std().item<double>(), 1.0, 0.1);
}

// Inside the mask the output is the normalised image whatever W is; outside, the normalised
// sigmoid(W) whatever the image is.
TEST(FrameProgram, ApplyPastesImageAndFrame) {
  for (int64_t resolution : {224, 32}) {
    const FrameProgram program(resolution);
    const int64_t r = program.inner_size(), o = program.offset(), big = resolution;
    torch::manual_seed(5);
    auto images = torch::rand({2, 3, r, r});                               // [B, 3, r, r]
    auto w = torch::randn({3, program.num_parameters()}, torch::kDouble);  // [K, 3 R R]
    const auto out = program.apply(images, w);                             // [K, B, 3, R, R]
    ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, 2, 3, big, big}));
    EXPECT_EQ(out.scalar_type(), torch::kFloat);
    auto inner = out.narrow(3, o, r).narrow(4, o, r);  // [K, B, 3, r, r]
    EXPECT_TRUE(
        torch::allclose(inner, clip_normalize(images).unsqueeze(0).expand_as(inner), 1e-6, 1e-6));
    auto frame_want = clip_normalize(torch::sigmoid(w).to(torch::kFloat).view({3, 3, big, big}));
    auto mask = program.mask().to(torch::kBool).expand({3, 3, big, big});  // [K, 3, R, R]
    for (int64_t b = 0; b < 2; ++b) {
      auto got = out.select(1, b);  // [K, 3, R, R]
      EXPECT_TRUE(
          torch::allclose(got.masked_select(mask), frame_want.masked_select(mask), 1e-6, 1e-6));
    }
    // Settings differ only in the frame.
    EXPECT_TRUE(torch::equal(out[0].narrow(2, o, r).narrow(3, o, r),
                             out[1].narrow(2, o, r).narrow(3, o, r)));
  }
}

TEST(FrameProgram, RejectsWrongShapes) {
  const FrameProgram program(32);
  EXPECT_THROW(program.apply(torch::zeros({1, 3, 32, 32}), torch::zeros({1, 3072})), c10::Error);
  EXPECT_THROW(program.apply(torch::zeros({1, 3, 28, 28}), torch::zeros({1, 3071})), c10::Error);
}

}  // namespace
}  // namespace bbpt::prompt
