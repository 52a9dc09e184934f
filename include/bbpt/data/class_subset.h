// SPDX-License-Identifier: MIT
// Base-to-new class subsampling, as Dassl's DatasetBase.subsample_classes (algorithms.md 1.2): the
// sorted labels 0..n-1 of a dataset are cut in two, base = the first ceil(n/2) and new = the rest;
// the selected classes are relabelled 0..m-1 in order and every split keeps only their items.
// Dassl takes the label set from the train split; a trial's train split has every class (a K-shot
// sample needs K images of each, data::check_shots_available), so the label set is 0..n-1 and the
// cut is made on the class count.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "bbpt/data/image_dataset.h"

namespace bbpt::data {

enum class ClassSubset { kAll, kBase, kNew };

/// "all" | "base" | "new"; ConfigError naming `origin` and the valid values otherwise.
ClassSubset parse_class_subset(const std::string& text, const std::string& origin);
std::string to_string(ClassSubset subset);

/// The original labels a subset keeps, in order (new label i is original label result[i]):
/// all 0..n-1; base 0..ceil(n/2)-1; new ceil(n/2)..n-1. ConfigError when n < 2 and the subset is
/// not kAll (no class would be left on one side).
std::vector<int> subset_labels(int num_classes, ClassSubset subset, const std::string& dataset);

/// The class names of a subset (class_names[subset_labels[i]]).
std::vector<std::string> subset_class_names(const std::vector<std::string>& class_names,
                                            ClassSubset subset,
                                            const std::string& dataset);

/// A split restricted to the classes of a subset and relabelled 0..m-1: its items are the parent's
/// items of those classes, in the parent's order. name() is "<parent name>-<base|new>"; the
/// fingerprint covers the parent's and the subset's, so feature caches never mix them.
class ClassSubsetDataset : public ImageDataset {
 public:
  ClassSubsetDataset(std::unique_ptr<ImageDataset> parent, ClassSubset subset);
  size_t size() const override { return items_.size(); }
  image::Image load_image(size_t index) const override {
    return parent_->load_image(static_cast<size_t>(items_.at(index)));
  }
  int label(size_t index) const override;
  const std::vector<std::string>& class_names() const override { return class_names_; }
  std::string name() const override { return name_; }
  std::string fingerprint() const override { return fingerprint_; }
  std::string source() const override { return parent_->source(); }
  std::string location(size_t index) const override {
    return parent_->location(static_cast<size_t>(items_.at(index)));
  }
  const ImageDataset& parent() const { return *parent_; }
  /// The position of parent item `parent_index` in this subset, or -1 when its class is not kept.
  int64_t position_of(int64_t parent_index) const;

 private:
  std::unique_ptr<ImageDataset> parent_;
  std::vector<int> new_label_;     // by original label; -1: not kept
  std::vector<int64_t> items_;     // parent indices
  std::vector<int64_t> position_;  // by parent index; -1: not kept
  std::vector<std::string> class_names_;
  std::string name_;
  std::string fingerprint_;
};

}  // namespace bbpt::data
