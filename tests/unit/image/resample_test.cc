// SPDX-License-Identifier: MIT
// resize_bicubic must equal Pillow's BICUBIC resize pixel for pixel (the golden test checks real
// photos); here the invariants and a few outputs worked out by hand from Resample.c's formulas.
#include "bbpt/image/resample.h"

#include <gtest/gtest.h>

#include <vector>

#include "bbpt/core/error.h"

namespace bbpt::image {
namespace {

// An image with the same value v in every channel; values are given row by row.
Image gray_image(int width, int height, const std::vector<uint8_t>& values) {
  Image img = make_image(width, height);
  for (size_t i = 0; i < values.size(); ++i) {
    img.rgb[3 * i] = img.rgb[3 * i + 1] = img.rgb[3 * i + 2] = values[i];
  }
  return img;
}

// Channel 0 of every pixel, row by row.
std::vector<int> red_channel(const Image& img) {
  std::vector<int> out;
  for (size_t i = 0; i < img.num_pixels(); ++i) out.push_back(img.rgb[3 * i]);
  return out;
}

TEST(ResizeBicubic, SameSizeIsIdentity) {
  Image img = make_image(5, 3);
  for (size_t i = 0; i < img.rgb.size(); ++i) img.rgb[i] = static_cast<uint8_t>(i * 37 + 11);
  EXPECT_EQ(resize_bicubic(img, 5, 3).rgb, img.rgb);
}

TEST(ResizeBicubic, ConstantImageStaysConstant) {
  // Normalised weights sum to 1 in fixed point up to rounding that the +0.5 offset absorbs.
  Image img = make_image(37, 23);
  for (size_t i = 0; i < img.num_pixels(); ++i) {
    img.rgb[3 * i] = 200;
    img.rgb[3 * i + 1] = 17;
    img.rgb[3 * i + 2] = 255;
  }
  for (auto [w, h] :
       std::vector<std::pair<int, int>>{{10, 7}, {80, 50}, {37, 5}, {3, 23}, {1, 1}}) {
    const Image out = resize_bicubic(img, w, h);
    ASSERT_EQ(out.width, w);
    ASSERT_EQ(out.height, h);
    for (size_t i = 0; i < out.num_pixels(); ++i) {
      ASSERT_EQ(out.rgb[3 * i], 200) << w << "x" << h;
      ASSERT_EQ(out.rgb[3 * i + 1], 17) << w << "x" << h;
      ASSERT_EQ(out.rgb[3 * i + 2], 255) << w << "x" << h;
    }
  }
}

// Downscale 4 -> 2 of a step 0 0 255 255. Scale 2 widens the kernel to support 4 and halves its
// argument. Output 0 (center 1.0) reads inputs 0..3 at arguments -0.25, 0.25, 0.75, 1.25:
// weights 0.8671875, 0.8671875, 0.2265625, -0.0703125 (sum 1.890625), so the value is
// 255 * (0.2265625 - 0.0703125) / 1.890625 = 21.07 -> 21. Output 1 mirrors it: 233.93 -> 234.
TEST(ResizeBicubic, DownscaleStepMatchesHandComputation) {
  const Image row = gray_image(4, 1, {0, 0, 255, 255});
  EXPECT_EQ(red_channel(resize_bicubic(row, 2, 1)), (std::vector<int>{21, 234}));
  // Vertical-only pass: the same numbers along y.
  const Image column = gray_image(1, 4, {0, 0, 255, 255});
  EXPECT_EQ(red_channel(resize_bicubic(column, 1, 2)), (std::vector<int>{21, 234}));
  // Both passes: rows constant along y, so each output row repeats the 1-D result.
  const Image square =
      gray_image(4, 4, {0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255, 0, 0, 255, 255});
  EXPECT_EQ(red_channel(resize_bicubic(square, 2, 2)), (std::vector<int>{21, 234, 21, 234}));
}

// Upscale 2 -> 4 of 0 255: support 2 at scale 1. Output 0 (center 0.25) has weights 0.8671875
// and -0.0703125 (sum 0.796875): 255 * -0.088 -> clipped to 0. Output 1 (center 0.75): 0.8671875,
// 0.2265625 (sum 1.09375): 255 * 0.2071 = 52.8 -> 53. Outputs 2 and 3 mirror: 202, 255 (clipped
// from 277.5). The overshoot proves clip8 saturates instead of wrapping.
TEST(ResizeBicubic, UpscaleOvershootIsClipped) {
  const Image row = gray_image(2, 1, {0, 255});
  EXPECT_EQ(red_channel(resize_bicubic(row, 4, 1)), (std::vector<int>{0, 53, 202, 255}));
}

TEST(ResizeBicubic, ChannelsAreIndependent) {
  Image img = make_image(4, 1);
  const uint8_t px[] = {0, 255, 9, 0, 255, 9, 255, 0, 9, 255, 0, 9};
  img.rgb.assign(px, px + 12);
  const Image out = resize_bicubic(img, 2, 1);
  EXPECT_EQ(out.rgb, (std::vector<uint8_t>{21, 234, 9, 234, 21, 9}));
}

TEST(ResizeBicubic, RejectsEmptySizes) {
  const Image img = make_image(4, 4);
  EXPECT_THROW(resize_bicubic(img, 0, 4), ConfigError);
  EXPECT_THROW(resize_bicubic(make_image(0, 0), 2, 2), ConfigError);
}

}  // namespace
}  // namespace bbpt::image
