// SPDX-License-Identifier: MIT
// Implements SubsetDataset.
#include "bbpt/data/subset_dataset.h"

#include "bbpt/core/error.h"
#include "bbpt/core/sha256.h"

namespace bbpt::data {

SubsetDataset::SubsetDataset(const ImageDataset& parent,
                             std::vector<int64_t> items,
                             const std::string& name)
    : parent_(parent), items_(std::move(items)), name_(name) {
  std::string key = parent.fingerprint() + "|subset:";
  for (const int64_t item : items_) {
    BBPT_CHECK(item >= 0 && static_cast<size_t>(item) < parent.size(), ConfigError,
               name << ": item " << item << " is outside " << parent.name() << " (" << parent.size()
                    << " items)");
    key += std::to_string(item) + ",";
  }
  fingerprint_ = core::sha256_hex(key);
}

image::Image SubsetDataset::load_image(size_t index) const {
  return parent_.load_image(static_cast<size_t>(items_.at(index)));
}

int SubsetDataset::label(size_t index) const {
  return parent_.label(static_cast<size_t>(items_.at(index)));
}

}  // namespace bbpt::data
