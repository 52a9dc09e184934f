// SPDX-License-Identifier: MIT
// Synthetic images shared by the image tests.
#pragma once

#include <cstdint>

#include "bbpt/image/image.h"

namespace bbpt::image {

/// A width x height image whose pixel (x, y) is (x, y, blue), so crops and flips reveal where each
/// pixel came from.
inline Image coordinate_image(int width, int height, uint8_t blue = 7) {
  Image img = make_image(width, height);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = img.rgb.data() + (y * width + x) * 3;
      p[0] = static_cast<uint8_t>(x);
      p[1] = static_cast<uint8_t>(y);
      p[2] = blue;
    }
  }
  return img;
}

}  // namespace bbpt::image
