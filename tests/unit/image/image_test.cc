// SPDX-License-Identifier: MIT
// The buffer helpers are the building blocks of every transform: crop must zero-fill outside the
// source exactly as PIL's crop and torchvision's pad do, or center crops of small images shift.
#include "bbpt/image/image.h"

#include <gtest/gtest.h>

#include <vector>

#include "bbpt/core/error.h"
#include "test_images.h"

namespace bbpt::image {
namespace {

TEST(Image, MakeImageIsBlackAndChecksSize) {
  const Image img = make_image(4, 3);
  EXPECT_EQ(img.num_pixels(), 12u);
  EXPECT_EQ(img.rgb, std::vector<uint8_t>(36, 0));
  EXPECT_THROW(make_image(-1, 3), ConfigError);
  EXPECT_THROW(make_image(1 << 20, 1 << 20), ConfigError);
}

TEST(Image, FromGrayRepeatsEachByte) {
  const uint8_t gray[] = {0, 9, 200, 255, 1, 2};
  const Image img = image_from_gray(gray, 3, 2);
  EXPECT_EQ(img.width, 3);
  EXPECT_EQ(img.height, 2);
  EXPECT_EQ(img.rgb, (std::vector<uint8_t>{0, 0, 0, 9, 9, 9, 200, 200, 200, 255, 255, 255, 1, 1, 1,
                                           2, 2, 2}));
}

TEST(Image, CropInsideCopiesTheWindow) {
  const Image img = coordinate_image(5, 4);
  const Image crop = crop_image(img, 1, 2, 2, 3);
  ASSERT_EQ(crop.width, 3);
  ASSERT_EQ(crop.height, 2);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 3; ++x) {
      EXPECT_EQ(crop.rgb[(y * 3 + x) * 3 + 0], x + 2);
      EXPECT_EQ(crop.rgb[(y * 3 + x) * 3 + 1], y + 1);
    }
  }
}

TEST(Image, CropOutsideIsZeroFilled) {
  const Image img = coordinate_image(2, 2);
  const Image crop = crop_image(img, -1, -1, 4, 4);  // one black border all around
  ASSERT_EQ(crop.rgb.size(), 48u);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      const uint8_t* p = crop.rgb.data() + (y * 4 + x) * 3;
      const bool inside = x >= 1 && x <= 2 && y >= 1 && y <= 2;
      EXPECT_EQ(p[2], inside ? 7 : 0) << x << "," << y;
      if (inside) {
        EXPECT_EQ(p[0], x - 1);
        EXPECT_EQ(p[1], y - 1);
      }
    }
  }
  // A window entirely off the image is all black.
  EXPECT_EQ(crop_image(img, 10, 10, 2, 2).rgb, std::vector<uint8_t>(12, 0));
}

TEST(Image, FlipMirrorsColumnsAndIsAnInvolution) {
  const Image img = coordinate_image(3, 2);
  const Image flipped = flip_horizontal(img);
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 3; ++x) EXPECT_EQ(flipped.rgb[(y * 3 + x) * 3], 2 - x);
  }
  EXPECT_EQ(flip_horizontal(flipped).rgb, img.rgb);
}

}  // namespace
}  // namespace bbpt::image
