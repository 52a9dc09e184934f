// SPDX-License-Identifier: MIT
// A view of some items of another dataset (a few-shot training set), in the given order. Its
// fingerprint covers the parent's and the item list, so feature caches of different subsets never
// collide.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bbpt/data/image_dataset.h"

namespace bbpt::data {

class SubsetDataset : public ImageDataset {
 public:
  /// `parent` must outlive the subset. Throws ConfigError when an item is out of range.
  SubsetDataset(const ImageDataset& parent, std::vector<int64_t> items, const std::string& name);
  size_t size() const override { return items_.size(); }
  image::Image load_image(size_t index) const override;
  int label(size_t index) const override;
  const std::vector<std::string>& class_names() const override { return parent_.class_names(); }
  std::string name() const override { return name_; }
  std::string fingerprint() const override { return fingerprint_; }
  std::string source() const override { return parent_.source(); }
  std::string location(size_t index) const override {
    return parent_.location(static_cast<size_t>(items_.at(index)));
  }
  const std::vector<int64_t>& items() const { return items_; }

 private:
  const ImageDataset& parent_;
  std::vector<int64_t> items_;
  std::string name_;
  std::string fingerprint_;
};

}  // namespace bbpt::data
