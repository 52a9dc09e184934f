// SPDX-License-Identifier: MIT
// Implements the domain shifts of domain_shift.h on plain byte buffers.
#include "bbpt/image/domain_shift.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"

namespace bbpt::image {
namespace {

uint8_t clamp_byte(double value) {
  return static_cast<uint8_t>(std::clamp(std::lround(value), 0L, 255L));
}

Image invert(const Image& img) {
  Image out = img;
  for (auto& byte : out.rgb) byte = static_cast<uint8_t>(255 - byte);
  return out;
}

/// A quarter turn clockwise: output (x, y) comes from input (y, H - 1 - x).
Image rotate90(const Image& img) {
  Image out = make_image(img.height, img.width);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      const size_t from = (static_cast<size_t>(img.height - 1 - x) * img.width + y) * 3;
      const size_t to = (static_cast<size_t>(y) * out.width + x) * 3;
      for (int c = 0; c < 3; ++c) out.rgb[to + c] = img.rgb[from + c];
    }
  }
  return out;
}

Image rotate180(const Image& img) {
  Image out = make_image(img.width, img.height);
  const size_t n = img.num_pixels();
  for (size_t i = 0; i < n; ++i) {
    for (int c = 0; c < 3; ++c) out.rgb[i * 3 + c] = img.rgb[(n - 1 - i) * 3 + c];
  }
  return out;
}

Image low_contrast(const Image& img) {
  Image out = img;
  for (auto& byte : out.rgb) byte = clamp_byte(128.0 + (static_cast<double>(byte) - 128.0) / 4.0);
  return out;
}

double luminance(double r, double g, double b) { return 0.299 * r + 0.587 * g + 0.114 * b; }

Image recolour(const Image& img, uint64_t seed) {
  core::Rng rng(seed);
  double bg[3], fg[3];
  do {
    for (int c = 0; c < 3; ++c) bg[c] = static_cast<double>(rng.uniform_int(256));
    for (int c = 0; c < 3; ++c) fg[c] = static_cast<double>(rng.uniform_int(256));
  } while (std::abs(luminance(fg[0], fg[1], fg[2]) - luminance(bg[0], bg[1], bg[2])) < 96.0);
  Image out = img;
  for (size_t i = 0; i < img.num_pixels(); ++i) {
    const uint8_t* p = &img.rgb[i * 3];
    const double t = luminance(p[0], p[1], p[2]) / 255.0;
    for (int c = 0; c < 3; ++c) out.rgb[i * 3 + c] = clamp_byte(bg[c] + (fg[c] - bg[c]) * t);
  }
  return out;
}

Image box_blur(const Image& img) {
  constexpr int kRadius = 2;
  constexpr int kArea = (2 * kRadius + 1) * (2 * kRadius + 1);
  Image out = make_image(img.width, img.height);
  for (int y = 0; y < img.height; ++y) {
    for (int x = 0; x < img.width; ++x) {
      for (int c = 0; c < 3; ++c) {
        int sum = 0;
        for (int dy = -kRadius; dy <= kRadius; ++dy) {
          const int yy = std::clamp(y + dy, 0, img.height - 1);
          for (int dx = -kRadius; dx <= kRadius; ++dx) {
            const int xx = std::clamp(x + dx, 0, img.width - 1);
            sum += img.rgb[(static_cast<size_t>(yy) * img.width + xx) * 3 + c];
          }
        }
        out.rgb[(static_cast<size_t>(y) * img.width + x) * 3 + c] =
            static_cast<uint8_t>((sum + kArea / 2) / kArea);
      }
    }
  }
  return out;
}

Image gaussian_noise(const Image& img, uint64_t seed) {
  constexpr double kStd = 48.0;
  core::Rng rng(seed);
  Image out = img;
  for (auto& byte : out.rgb) byte = clamp_byte(static_cast<double>(byte) + kStd * rng.normal());
  return out;
}

}  // namespace

const std::vector<std::string>& domain_shift_names() {
  static const std::vector<std::string> names = {
      "invert", "rotate90", "rotate180", "low_contrast", "recolour", "blur", "noise"};
  return names;
}

Image apply_domain_shift(const Image& img, const std::string& kind, uint64_t seed) {
  BBPT_CHECK(img.rgb.size() == img.num_pixels() * 3, ConfigError,
             "domain shift '" << kind << "': the image buffer holds " << img.rgb.size()
                              << " bytes, not width * height * 3 = " << img.num_pixels() * 3);
  if (kind == "invert") return invert(img);
  if (kind == "rotate90") return rotate90(img);
  if (kind == "rotate180") return rotate180(img);
  if (kind == "low_contrast") return low_contrast(img);
  if (kind == "recolour") return recolour(img, seed);
  if (kind == "blur") return box_blur(img);
  if (kind == "noise") return gaussian_noise(img, seed);
  std::ostringstream known;
  for (size_t i = 0; i < domain_shift_names().size(); ++i)
    known << (i > 0 ? ", " : "") << domain_shift_names()[i];
  BBPT_THROW(ConfigError,
             "domain shift '" << kind << "' is unknown (expected one of " << known.str() << ")");
}

}  // namespace bbpt::image
