// SPDX-License-Identifier: MIT
// Implements the in-memory dataset: validation of the buffer and labels, per-image copies with
// gray-to-RGB expansion, and the lazily computed content fingerprint.
#include "bbpt/data/in_memory_dataset.h"

#include <cstring>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/sha256.h"

namespace bbpt::data {

void append_pixels(PixelBuffer& into, const PixelBuffer& more, const std::string& source) {
  if (into.pixels.empty() && into.width == 0) {
    into = more;
    return;
  }
  BBPT_CHECK(
      into.width == more.width && into.height == more.height && into.channels == more.channels,
      IoError,
      source << ": images are " << more.width << "x" << more.height << "x" << more.channels
             << ", expected " << into.width << "x" << into.height << "x" << into.channels
             << " like the files before it");
  into.pixels.insert(into.pixels.end(), more.pixels.begin(), more.pixels.end());
}

InMemoryDataset::InMemoryDataset(std::string name,
                                 PixelBuffer images,
                                 std::vector<int> labels,
                                 std::vector<std::string> class_names)
    : name_(std::move(name)),
      images_(std::move(images)),
      labels_(std::move(labels)),
      class_names_(std::move(class_names)) {
  BBPT_CHECK(images_.channels == 1 || images_.channels == 3, IoError,
             name_ << ": images have " << images_.channels << " channels, expected 1 or 3");
  BBPT_CHECK(images_.width > 0 && images_.height > 0, IoError,
             name_ << ": image size " << images_.width << "x" << images_.height
                   << " is empty, expected positive width and height");
  BBPT_CHECK(images_.pixels.size() % images_.image_bytes() == 0, IoError,
             name_ << ": " << images_.pixels.size() << " pixel bytes are not a whole number of "
                   << images_.image_bytes() << "-byte images");
  BBPT_CHECK(images_.num_images() == labels_.size(), IoError,
             name_ << ": " << images_.num_images() << " images but " << labels_.size()
                   << " labels, expected one label per image");
  const int num_classes = static_cast<int>(class_names_.size());
  for (size_t i = 0; i < labels_.size(); ++i) {
    BBPT_CHECK(labels_[i] >= 0 && labels_[i] < num_classes, IoError,
               name_ << ": label " << labels_[i] << " of image " << i
                     << " is out of range (expected 0.." << num_classes - 1 << " for "
                     << num_classes << " classes)");
  }
}

image::Image InMemoryDataset::load_image(size_t index) const {
  BBPT_CHECK(
      index < labels_.size(), ConfigError,
      name_ << ": image index " << index << " is out of range (size " << labels_.size() << ")");
  const uint8_t* src = images_.pixels.data() + index * images_.image_bytes();
  if (images_.channels == 1) return image::image_from_gray(src, images_.width, images_.height);
  image::Image img = image::make_image(images_.width, images_.height);
  std::memcpy(img.rgb.data(), src, images_.image_bytes());
  return img;
}

std::string InMemoryDataset::fingerprint() const {
  std::call_once(fingerprint_once_, [this] {
    core::Sha256 hasher;
    std::ostringstream header;
    header << "in-memory v1\t" << images_.width << "x" << images_.height << "x" << images_.channels
           << "\t" << labels_.size() << "\n";
    for (const auto& class_name : class_names_) header << class_name << "\n";
    hasher.update(header.str());
    hasher.update(labels_.data(), labels_.size() * sizeof(int));
    hasher.update(images_.pixels.data(), images_.pixels.size());
    fingerprint_ = hasher.hex_digest();
  });
  return fingerprint_;
}

}  // namespace bbpt::data
