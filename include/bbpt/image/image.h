// SPDX-License-Identifier: MIT
// The 8-bit RGB image buffer every bbpt image function passes around, and the pixel-exact buffer
// operations on it (gray expansion, crop with PIL's zero fill, horizontal flip).
// Decoding lives in decode.h, resampling in resample.h, the CLIP transforms in transforms.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bbpt::image {

/// An 8-bit RGB image, rows top to bottom, pixels left to right, channels interleaved.
/// rgb.size() == height * width * 3; (x, y, c) lives at rgb[(y * width + x) * 3 + c].
struct Image {
  /// Width in pixels.
  int width = 0;
  /// Height in pixels.
  int height = 0;
  /// Pixel bytes, [H, W, 3] interleaved R, G, B.
  std::vector<uint8_t> rgb;

  /// Number of pixels (width * height).
  size_t num_pixels() const { return static_cast<size_t>(width) * static_cast<size_t>(height); }
};

/// Allocates a width x height image filled with zeros (black). Throws ConfigError when a
/// dimension is negative or the buffer would exceed 2^31 bytes.
Image make_image(int width, int height);

/// Expands a single-channel image (e.g. MNIST digits) to RGB by repeating each byte three times,
/// which is what PIL's convert("RGB") does for mode "L".
/// @param gray width * height bytes, row-major; not retained.
Image image_from_gray(const uint8_t* gray, int width, int height);

/// The height x width window whose top-left corner is (left, top) in img's coordinates. Pixels of
/// the window outside img are zero, as with PIL's Image.crop on an out-of-bounds box.
Image crop_image(const Image& img, int top, int left, int height, int width);

/// Mirrors the image left to right (PIL's FLIP_LEFT_RIGHT, torchvision's hflip).
Image flip_horizontal(const Image& img);

}  // namespace bbpt::image
