// SPDX-License-Identifier: MIT
// ShiftedDataset: another dataset seen through a domain shift (image/domain_shift.h), e.g. the
// inverted Fashion-MNIST of configs/datasets/fmnist-invert.yaml, and the registry functions of
// the shifted datasets (configs/datasets/<name>.yaml with shift_of; open_dataset opens them).
// Images are shifted as they are loaded; image i of a random shift always gets the same draw
// (seeded by the dataset's seed and i), so the shifted set is as fixed as its base.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bbpt/data/dataset_config.h"
#include "bbpt/data/dataset_registry.h"
#include "bbpt/data/image_dataset.h"

namespace bbpt::data {

class ShiftedDataset : public ImageDataset {
 public:
  /// Throws ConfigError naming `name` when `shift` is not one of image::domain_shift_names().
  ShiftedDataset(std::unique_ptr<ImageDataset> base,
                 std::string shift,
                 uint64_t seed,
                 std::string name);

  size_t size() const override { return base_->size(); }
  /// The base's image `index` through the shift, with seed image_seed(index).
  image::Image load_image(size_t index) const override;
  int label(size_t index) const override { return base_->label(index); }
  const std::vector<std::string>& class_names() const override { return base_->class_names(); }
  std::string name() const override { return name_; }
  /// SHA-256 over the base's fingerprint, the shift and the seed.
  std::string fingerprint() const override { return fingerprint_; }
  /// The base's source with " shift <kind> seed <seed>" appended: feature caches of the shifted
  /// and the plain images never mix.
  std::string source() const override;
  std::string location(size_t index) const override {
    return base_->location(index) + " (" + shift_ + ")";
  }
  /// The seed of image `index`'s draw: a hash of (seed, index).
  uint64_t image_seed(size_t index) const;

 private:
  std::unique_ptr<ImageDataset> base_;
  std::string shift_;
  uint64_t seed_;
  std::string name_;
  std::string fingerprint_;
};

/// The seed of one split of a shifted dataset: 2 * shift_seed for train, 2 * shift_seed + 1 for
/// the other splits, so train and test images at the same index get different draws.
uint64_t shifted_split_seed(uint64_t shift_seed, const std::string& split);

/// The shifted datasets (issue #17): the names of configs_dir/datasets/<name>.yaml that have
/// shift_of (a registry dataset seen through a domain shift, image/domain_shift.h), sorted.
/// open_dataset opens them once `bbpt data prepare` has marked them prepared.
std::vector<std::string> shifted_dataset_names(const std::string& configs_dir);

/// True when `name` is one of shifted_dataset_names(options.configs_dir).
bool is_shifted_dataset(const std::string& name, const DataOptions& options);

/// One split (train or test) of the shifted dataset `name` described by `config`: the base
/// dataset config.shift_of through config.shift, seeded by shifted_split_seed(config.shift_seed,
/// split). Unlike open_dataset it does not ask for the prepared marker (the preparer uses it to
/// check the dataset before marking it). Throws ConfigError when the base is not prepared or its
/// classes differ from config.class_names.
std::unique_ptr<ImageDataset> open_shifted_dataset(const std::string& name,
                                                   const DatasetConfig& config,
                                                   const std::string& split,
                                                   const DataOptions& options);

}  // namespace bbpt::data
