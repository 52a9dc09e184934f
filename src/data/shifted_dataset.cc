// SPDX-License-Identifier: MIT
// Implements ShiftedDataset.
#include "bbpt/data/shifted_dataset.h"

#include <algorithm>

#include "bbpt/core/error.h"
#include "bbpt/core/sha256.h"
#include "bbpt/image/domain_shift.h"

namespace bbpt::data {
namespace {

/// splitmix64's finaliser: spreads nearby (seed, index) pairs over all 64 bits.
uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

ShiftedDataset::ShiftedDataset(std::unique_ptr<ImageDataset> base,
                               std::string shift,
                               uint64_t seed,
                               std::string name)
    : base_(std::move(base)), shift_(std::move(shift)), seed_(seed), name_(std::move(name)) {
  BBPT_CHECK(base_ != nullptr, ConfigError, name_ << ": no base dataset to shift");
  const auto& known = image::domain_shift_names();
  if (std::find(known.begin(), known.end(), shift_) == known.end()) {
    image::apply_domain_shift(image::make_image(1, 1), shift_, 0);  // throws the known kinds
  }
  fingerprint_ = core::sha256_hex(base_->fingerprint() + "|shift:" + shift_ +
                                  "|seed:" + std::to_string(seed_));
}

image::Image ShiftedDataset::load_image(size_t index) const {
  return image::apply_domain_shift(base_->load_image(index), shift_, image_seed(index));
}

std::string ShiftedDataset::source() const {
  return base_->source() + " shift " + shift_ + " seed " + std::to_string(seed_);
}

uint64_t ShiftedDataset::image_seed(size_t index) const {
  return mix64(mix64(seed_) ^ static_cast<uint64_t>(index));
}

uint64_t shifted_split_seed(uint64_t shift_seed, const std::string& split) {
  return 2 * shift_seed + (split == "train" ? 0 : 1);
}

}  // namespace bbpt::data
