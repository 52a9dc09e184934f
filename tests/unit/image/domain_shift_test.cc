// SPDX-License-Identifier: MIT
// The domain shifts of the shifted datasets (issue #17): each does what its name says on small
// hand-checked images, the random ones are a function of the seed alone (same seed, same bytes;
// another seed, other bytes), and an unknown kind is a ConfigError listing the known ones.
#include "bbpt/image/domain_shift.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "bbpt/core/error.h"

namespace bbpt::image {
namespace {

/// A w x h image whose pixel (x, y) is gray 10 * (y * w + x) + 5 (distinct, below 256 for w*h<25).
Image ramp(int width, int height) {
  Image img = make_image(width, height);
  for (size_t i = 0; i < img.num_pixels(); ++i) {
    for (int c = 0; c < 3; ++c) img.rgb[i * 3 + c] = static_cast<uint8_t>(10 * i + 5);
  }
  return img;
}

uint8_t at(const Image& img, int x, int y, int c = 0) {
  return img.rgb[(static_cast<size_t>(y) * img.width + x) * 3 + c];
}

TEST(DomainShift, InvertFlipsEveryByte) {
  Image img = ramp(3, 2);
  img.rgb[1] = 0;
  img.rgb[2] = 255;
  const Image out = apply_domain_shift(img, "invert", 7);
  ASSERT_EQ(out.rgb.size(), img.rgb.size());
  for (size_t i = 0; i < img.rgb.size(); ++i) EXPECT_EQ(out.rgb[i], 255 - img.rgb[i]) << i;
  EXPECT_EQ(apply_domain_shift(out, "invert", 7).rgb, img.rgb);  // an involution
}

TEST(DomainShift, Rotate90TurnsClockwiseAndSwapsTheSides) {
  const Image img = ramp(3, 2);  // rows: [5 15 25] [35 45 55]
  const Image out = apply_domain_shift(img, "rotate90", 1);
  ASSERT_EQ(out.width, 2);
  ASSERT_EQ(out.height, 3);
  // Clockwise: the left column read bottom-up becomes the top row.
  EXPECT_EQ(at(out, 0, 0), 35);
  EXPECT_EQ(at(out, 1, 0), 5);
  EXPECT_EQ(at(out, 0, 2), 55);
  EXPECT_EQ(at(out, 1, 2), 25);
  Image four = img;
  for (int i = 0; i < 4; ++i) four = apply_domain_shift(four, "rotate90", 1);
  EXPECT_EQ(four.rgb, img.rgb);
  const Image twice = apply_domain_shift(apply_domain_shift(img, "rotate90", 1), "rotate90", 1);
  EXPECT_EQ(twice.rgb, apply_domain_shift(img, "rotate180", 1).rgb);
}

TEST(DomainShift, Rotate180ReversesThePixels) {
  const Image out = apply_domain_shift(ramp(3, 2), "rotate180", 1);
  EXPECT_EQ(at(out, 0, 0), 55);
  EXPECT_EQ(at(out, 2, 1), 5);
}

TEST(DomainShift, LowContrastPullsTowardsMidGray) {
  Image img = make_image(3, 1);
  img.rgb = {0, 0, 0, 128, 128, 128, 255, 255, 255};
  const Image out = apply_domain_shift(img, "low_contrast", 1);
  EXPECT_EQ(out.rgb[0], 96);   // 128 - 32
  EXPECT_EQ(out.rgb[3], 128);  // mid-gray stays
  EXPECT_EQ(out.rgb[6], 160);  // 128 + 31.75, rounded
}

TEST(DomainShift, BlurAveragesA5x5WindowWithClampedEdges) {
  Image img = make_image(5, 5);
  img.rgb[(2 * 5 + 2) * 3] = 250;  // one bright red byte in the centre
  const Image out = apply_domain_shift(img, "blur", 1);
  EXPECT_EQ(at(out, 2, 2, 0), 10);  // 250 / 25 everywhere the window covers the centre
  EXPECT_EQ(at(out, 0, 0, 0), 10);
  EXPECT_EQ(at(out, 2, 2, 1), 0);  // channels stay apart
  Image flat = make_image(4, 3);
  for (auto& byte : flat.rgb) byte = 77;
  EXPECT_EQ(apply_domain_shift(flat, "blur", 1).rgb, flat.rgb);
}

TEST(DomainShift, RecolourMapsLuminanceOntoTwoColoursDrawnFromTheSeed) {
  Image img = make_image(2, 1);
  img.rgb = {0, 0, 0, 255, 255, 255};  // background black, object white
  const Image out = apply_domain_shift(img, "recolour", 42);
  EXPECT_EQ(apply_domain_shift(img, "recolour", 42).rgb, out.rgb);  // deterministic
  const auto lum = [&](int x) {
    return 0.299 * at(out, x, 0, 0) + 0.587 * at(out, x, 0, 1) + 0.114 * at(out, x, 0, 2);
  };
  EXPECT_GE(std::abs(lum(1) - lum(0)), 95.0);  // the object stays visible
  std::set<std::vector<uint8_t>> draws;
  for (uint64_t seed = 0; seed < 20; ++seed) {
    draws.insert(apply_domain_shift(img, "recolour", seed).rgb);
  }
  EXPECT_GT(draws.size(), 15u);  // other seeds, other colours
  // Pixels of equal luminance get the same colour within an image.
  Image same = make_image(2, 1);
  same.rgb = {90, 90, 90, 90, 90, 90};
  const Image recoloured = apply_domain_shift(same, "recolour", 3);
  EXPECT_EQ(at(recoloured, 0, 0, 0), at(recoloured, 1, 0, 0));
  EXPECT_EQ(at(recoloured, 0, 0, 2), at(recoloured, 1, 0, 2));
}

TEST(DomainShift, NoiseIsSeededAndCentredOnTheImage) {
  Image img = make_image(32, 32);
  for (auto& byte : img.rgb) byte = 128;
  const Image a = apply_domain_shift(img, "noise", 5);
  EXPECT_EQ(apply_domain_shift(img, "noise", 5).rgb, a.rgb);
  EXPECT_NE(apply_domain_shift(img, "noise", 6).rgb, a.rgb);
  double sum = 0, sum_sq = 0;
  for (const uint8_t byte : a.rgb) {
    sum += byte - 128.0;
    sum_sq += (byte - 128.0) * (byte - 128.0);
  }
  const double n = static_cast<double>(a.rgb.size());
  EXPECT_NEAR(sum / n, 0.0, 3.0);
  EXPECT_NEAR(std::sqrt(sum_sq / n), 48.0, 3.0);  // few bytes clip at 128 +- 2.7 sigma
}

TEST(DomainShift, DeterministicKindsIgnoreTheSeed) {
  const Image img = ramp(4, 4);
  for (const char* kind : {"invert", "rotate90", "rotate180", "low_contrast", "blur"}) {
    EXPECT_EQ(apply_domain_shift(img, kind, 1).rgb, apply_domain_shift(img, kind, 99).rgb) << kind;
  }
  EXPECT_EQ(domain_shift_names().size(), 7u);
}

TEST(DomainShift, UnknownKindNamesTheKnownOnes) {
  try {
    apply_domain_shift(ramp(2, 2), "sepia", 1);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'sepia'"), std::string::npos) << what;
    EXPECT_NE(what.find("invert, rotate90"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace bbpt::image
