// SPDX-License-Identifier: MIT
// The multi-positive InfoNCE loss: its value at the two ends (aligned features, no information)
// and that captions of the same class are all positives.
#include <gtest/gtest.h>

#include <cmath>

#include "bbpt/pretrain/contrastive_trainer.h"

namespace bbpt::pretrain {
namespace {

TEST(MultiPositiveClipLoss, UninformativeFeaturesGiveLogOfNegatives) {
  // Every image and caption identical: logits all equal, so each image's target mass (its 2
  // same-class captions out of U = 6) gets probability 2/6 and each caption's 2 images out of B
  // = 4.
  auto images = torch::ones({4, 8});
  auto captions = torch::ones({6, 8});
  auto labels = torch::tensor({0, 0, 1, 2}, torch::kLong);
  auto caption_class = torch::tensor({0, 0, 1, 1, 2, 2}, torch::kLong);
  const double loss = multi_positive_clip_loss(images, captions, torch::tensor(std::log(10.0)),
                                               labels, caption_class)
                          .item<double>();
  // image->text: -log(1/6) for every image; text->image over the 6 captions (each has an image of
  // its class): class 0 captions have 2 positives, classes 1 and 2 one each: -log(1/4) all the
  // same.
  EXPECT_NEAR(loss, 0.5 * (std::log(6.0) + std::log(4.0)), 1e-5);
}

TEST(MultiPositiveClipLoss, AlignedFeaturesGiveLowLossAndMisalignedHigh) {
  auto class_directions = torch::eye(3);  // [3, 3]
  auto labels = torch::tensor({0, 1, 2, 1}, torch::kLong);
  auto caption_class = torch::tensor({0, 1, 2}, torch::kLong);
  auto images = class_directions.index_select(0, labels);  // image = its class direction
  auto scale = torch::tensor(std::log(100.0));
  const double aligned =
      multi_positive_clip_loss(images, class_directions, scale, labels, caption_class)
          .item<double>();
  const double shuffled =
      multi_positive_clip_loss(images, class_directions.roll(1, 0), scale, labels, caption_class)
          .item<double>();
  EXPECT_LT(aligned, 0.75);  // text->image of class 1 splits between its 2 images: ln 2 at best
  EXPECT_GT(shuffled, 50.0);
}

TEST(MultiPositiveClipLoss, GradientsReachBothTowersAndTheTemperature) {
  auto images = torch::randn({5, 4}, torch::requires_grad());
  auto captions = torch::randn({3, 4}, torch::requires_grad());
  auto scale = torch::tensor(std::log(1 / 0.07), torch::requires_grad());
  multi_positive_clip_loss(images, captions, scale, torch::tensor({0, 1, 2, 0, 1}),
                           torch::tensor({0, 1, 2}))
      .backward();
  EXPECT_GT(images.grad().abs().sum().item<double>(), 0);
  EXPECT_GT(captions.grad().abs().sum().item<double>(), 0);
  EXPECT_NE(scale.grad().item<double>(), 0);
}

}  // namespace
}  // namespace bbpt::pretrain
