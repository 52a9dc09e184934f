// SPDX-License-Identifier: MIT
// Implements the RGB buffer helpers of image.h: allocation, gray expansion, zero-filled crop and
// horizontal flip. Pure byte copies; no resampling or colour maths.
#include "bbpt/image/image.h"

#include <algorithm>
#include <cstring>

#include "bbpt/core/error.h"

namespace bbpt::image {
namespace {

// Upper bound on one image buffer (2 GiB): anything larger is a corrupt header or a bad crop
// size, never a real photo for CLIP.
constexpr uint64_t kMaxImageBytes = uint64_t{1} << 31;

}  // namespace

Image make_image(int width, int height) {
  BBPT_CHECK(width >= 0 && height >= 0, ConfigError,
             "image size " << width << "x" << height << " must not be negative");
  const uint64_t num_bytes = uint64_t(width) * uint64_t(height) * 3;
  BBPT_CHECK(num_bytes <= kMaxImageBytes, ConfigError,
             "image size " << width << "x" << height << " exceeds the 2 GiB buffer limit");
  Image img;
  img.width = width;
  img.height = height;
  img.rgb.assign(static_cast<size_t>(num_bytes), 0);
  return img;
}

Image image_from_gray(const uint8_t* gray, int width, int height) {
  Image img = make_image(width, height);
  BBPT_CHECK(gray != nullptr || img.num_pixels() == 0, ConfigError,
             "image_from_gray: null pixel pointer for a " << width << "x" << height << " image");
  const size_t n = img.num_pixels();
  for (size_t i = 0; i < n; ++i) {
    img.rgb[3 * i + 0] = gray[i];
    img.rgb[3 * i + 1] = gray[i];
    img.rgb[3 * i + 2] = gray[i];
  }
  return img;
}

Image crop_image(const Image& img, int top, int left, int height, int width) {
  Image out = make_image(width, height);
  // Intersection of the window with the source, in source coordinates.
  const int x0 = std::max(left, 0);
  const int x1 = std::min(left + width, img.width);
  const int y0 = std::max(top, 0);
  const int y1 = std::min(top + height, img.height);
  if (x0 >= x1 || y0 >= y1) return out;
  const size_t row_bytes = static_cast<size_t>(x1 - x0) * 3;
  for (int y = y0; y < y1; ++y) {
    const uint8_t* src = img.rgb.data() + (static_cast<size_t>(y) * img.width + x0) * 3;
    uint8_t* dst = out.rgb.data() +
                   (static_cast<size_t>(y - top) * width + static_cast<size_t>(x0 - left)) * 3;
    std::memcpy(dst, src, row_bytes);
  }
  return out;
}

Image flip_horizontal(const Image& img) {
  Image out = make_image(img.width, img.height);
  for (int y = 0; y < img.height; ++y) {
    const uint8_t* src = img.rgb.data() + static_cast<size_t>(y) * img.width * 3;
    uint8_t* dst = out.rgb.data() + static_cast<size_t>(y) * img.width * 3;
    for (int x = 0; x < img.width; ++x) {
      const int mirrored = img.width - 1 - x;
      dst[3 * x + 0] = src[3 * mirrored + 0];
      dst[3 * x + 1] = src[3 * mirrored + 1];
      dst[3 * x + 2] = src[3 * mirrored + 2];
    }
  }
  return out;
}

}  // namespace bbpt::image
