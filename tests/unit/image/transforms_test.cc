// SPDX-License-Identifier: MIT
// The transforms must reproduce torchvision's geometry (sizes, Python's ties-to-even rounding,
// zero padding) and stay reproducible: the same Rng state gives the same training crop anywhere,
// and crops never leave the image.
#include "bbpt/image/transforms.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"
#include "test_images.h"

namespace bbpt::image {
namespace {

// A textured image, so that different crops give different tensors.
Image noise_image(int width, int height, uint64_t seed) {
  Image img = make_image(width, height);
  core::Rng rng(seed);
  for (auto& byte : img.rgb) byte = static_cast<uint8_t>(rng.uniform_int(256));
  return img;
}

TEST(Transforms, RoundHalfEvenMatchesPython) {
  EXPECT_EQ(round_half_even(0.5), 0);
  EXPECT_EQ(round_half_even(1.5), 2);
  EXPECT_EQ(round_half_even(2.5), 2);
  EXPECT_EQ(round_half_even(3.5), 4);
  EXPECT_EQ(round_half_even(-0.5), 0);
  EXPECT_EQ(round_half_even(-1.5), -2);
  EXPECT_EQ(round_half_even(2.4999), 2);
  EXPECT_EQ(round_half_even(2.5001), 3);
}

TEST(Transforms, ResizeShorterSideTruncatesTheLongSide) {
  const Image landscape = resize_shorter_side(make_image(300, 200), 100);
  EXPECT_EQ(landscape.width, 150);
  EXPECT_EQ(landscape.height, 100);
  // int(2 * 7 / 3) = int(4.67) = 4.
  const Image portrait = resize_shorter_side(make_image(3, 7), 2);
  EXPECT_EQ(portrait.width, 2);
  EXPECT_EQ(portrait.height, 4);
  // Short side already right: untouched, even when the long side is large.
  const Image same = coordinate_image(9, 5, 50);
  EXPECT_EQ(resize_shorter_side(same, 5).rgb, same.rgb);
}

TEST(Transforms, CenterCropUsesTiesToEvenOffsets) {
  // (6 - 3) / 2 = 1.5 -> 2 and (5 - 3) / 2 = 1.0 -> 1; (7 - 2) / 2 = 2.5 -> 2 (not 3).
  const Image a = center_crop(coordinate_image(6, 5, 50), 3);
  EXPECT_EQ(a.rgb[0], 2);  // left
  EXPECT_EQ(a.rgb[1], 1);  // top
  const Image b = center_crop(coordinate_image(7, 7, 50), 2);
  EXPECT_EQ(b.rgb[0], 2);
  EXPECT_EQ(b.rgb[1], 2);
  const Image c = center_crop(coordinate_image(9, 9, 50), 2);  // 3.5 -> 4
  EXPECT_EQ(c.rgb[0], 4);
}

TEST(Transforms, CenterCropPadsSmallImagesLikeTorchvision) {
  // Width 5 into 8: torchvision pads 1 left and 2 right, so source column 0 lands at column 1
  // (a plain centred crop at round(-1.5) = -2 would put it at column 2).
  const Image out = center_crop(coordinate_image(5, 8, 50), 8);
  ASSERT_EQ(out.width, 8);
  ASSERT_EQ(out.height, 8);
  for (int x = 0; x < 8; ++x) {
    const uint8_t* p = out.rgb.data() + x * 3;  // row 0
    const bool inside = x >= 1 && x <= 5;
    EXPECT_EQ(p[2], inside ? 50 : 0) << "column " << x;
    if (inside) {
      EXPECT_EQ(p[0], x - 1);
    }
  }
}

TEST(Transforms, EvalTransformShapeAndNormalisation) {
  Image img = make_image(40, 30);
  for (size_t i = 0; i < img.num_pixels(); ++i) {
    img.rgb[3 * i] = 255;
    img.rgb[3 * i + 1] = 0;
    img.rgb[3 * i + 2] = 128;
  }
  EvalTransformOptions options;
  options.resolution = 16;
  const std::vector<float> out = apply_eval_transform(img, options);
  ASSERT_EQ(out.size(), 3u * 16 * 16);
  const float expected[3] = {(255 / 255.0f - kClipMean[0]) / kClipStd[0],
                             (0 / 255.0f - kClipMean[1]) / kClipStd[1],
                             (128 / 255.0f - kClipMean[2]) / kClipStd[2]};
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 256; ++i) ASSERT_EQ(out[c * 256 + i], expected[c]) << c << "," << i;
  }
}

TEST(Transforms, RandomCropBoxStaysInsideTheImage) {
  TrainTransformOptions options;
  core::Rng rng(3);
  const int sizes[][2] = {{224, 224}, {500, 375}, {32, 32}, {1, 1}, {1000, 10}, {7, 300}};
  for (const auto& size : sizes) {
    for (int i = 0; i < 200; ++i) {
      const CropBox box = random_resized_crop_box(size[0], size[1], options, rng);
      ASSERT_GT(box.width, 0);
      ASSERT_GT(box.height, 0);
      ASSERT_GE(box.left, 0);
      ASSERT_GE(box.top, 0);
      ASSERT_LE(box.left + box.width, size[0]);
      ASSERT_LE(box.top + box.height, size[1]);
      const double area_fraction = double(box.width) * box.height / (double(size[0]) * size[1]);
      if (size[0] == 224) {  // square images always succeed within 10 attempts in practice
        EXPECT_GE(area_fraction, 0.06);
        EXPECT_LE(std::abs(std::log(double(box.width) / box.height)), std::log(4.0 / 3.0) + 0.1);
      }
    }
  }
}

TEST(Transforms, RandomCropFallsBackToClampedCentre) {
  // A 100x1 strip: every candidate is at least 2 rows tall, so all 10 attempts fail and the
  // fallback keeps the full height with width round(1 * 4/3) = 1, centred at (100 - 1) // 2.
  core::Rng rng(1);
  const CropBox box = random_resized_crop_box(100, 1, TrainTransformOptions{}, rng);
  EXPECT_EQ(box.top, 0);
  EXPECT_EQ(box.height, 1);
  EXPECT_EQ(box.width, 1);
  EXPECT_EQ(box.left, 49);
}

TEST(Transforms, TrainTransformIsDeterministicPerSeed) {
  const Image img = noise_image(120, 90, 11);
  TrainTransformOptions options;
  options.resolution = 24;
  core::Rng a(42), b(42), c(43);
  const std::vector<float> first = apply_train_transform(img, options, a);
  EXPECT_EQ(first.size(), 3u * 24 * 24);
  EXPECT_EQ(first, apply_train_transform(img, options, b));
  EXPECT_NE(first, apply_train_transform(img, options, c));
  // The stream moves on: the next sample from the same rng is a different augmentation.
  EXPECT_NE(first, apply_train_transform(img, options, a));
}

TEST(Transforms, TrainTransformFlipsAboutHalfTheTime) {
  // With the crop fixed to the whole image (scale and ratio ranges collapsed), the only
  // randomness left is the flip: outputs are either the plain or the mirrored resize.
  const Image img = noise_image(20, 20, 5);
  TrainTransformOptions options;
  options.resolution = 20;
  options.scale_min = options.scale_max = 1.0;
  options.ratio_min = options.ratio_max = 1.0;
  EvalTransformOptions eval;
  eval.resolution = 20;
  const std::vector<float> plain = apply_eval_transform(img, eval);
  const std::vector<float> mirrored = apply_eval_transform(flip_horizontal(img), eval);
  core::Rng rng(9);
  int num_flipped = 0;
  for (int i = 0; i < 200; ++i) {
    const std::vector<float> out = apply_train_transform(img, options, rng);
    ASSERT_TRUE(out == plain || out == mirrored);
    num_flipped += out == mirrored;
  }
  EXPECT_GT(num_flipped, 70);
  EXPECT_LT(num_flipped, 130);
}

TEST(Transforms, BadOptionsAreConfigErrors) {
  core::Rng rng(0);
  TrainTransformOptions options;
  options.scale_min = 0.0;
  EXPECT_THROW(random_resized_crop_box(10, 10, options, rng), ConfigError);
  EvalTransformOptions eval;
  eval.resolution = 0;
  EXPECT_THROW(apply_eval_transform(make_image(4, 4), eval), ConfigError);
}

}  // namespace
}  // namespace bbpt::image
