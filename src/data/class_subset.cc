// SPDX-License-Identifier: MIT
// Implements the base-to-new class subsets (class_subset.h).
#include "bbpt/data/class_subset.h"

#include "bbpt/core/error.h"
#include "bbpt/core/sha256.h"

namespace bbpt::data {

ClassSubset parse_class_subset(const std::string& text, const std::string& origin) {
  if (text == "all") return ClassSubset::kAll;
  if (text == "base") return ClassSubset::kBase;
  if (text == "new") return ClassSubset::kNew;
  BBPT_THROW(ConfigError, origin << ": classes = '" << text
                                 << "': expected all, base (the first half of the sorted classes) "
                                    "or new (the second half)");
}

std::string to_string(ClassSubset subset) {
  switch (subset) {
    case ClassSubset::kBase:
      return "base";
    case ClassSubset::kNew:
      return "new";
    case ClassSubset::kAll:
      break;
  }
  return "all";
}

std::vector<int> subset_labels(int num_classes, ClassSubset subset, const std::string& dataset) {
  BBPT_CHECK(subset == ClassSubset::kAll || num_classes >= 2, ConfigError,
             dataset << ": classes = " << to_string(subset) << " needs at least 2 classes, the "
                     << "dataset has " << num_classes);
  const int base = (num_classes + 1) / 2;  // ceil(n / 2), Dassl's math.ceil(n / 2)
  const int first = subset == ClassSubset::kNew ? base : 0;
  const int last = subset == ClassSubset::kBase ? base : num_classes;
  std::vector<int> labels;
  for (int label = first; label < last; ++label) labels.push_back(label);
  return labels;
}

std::vector<std::string> subset_class_names(const std::vector<std::string>& class_names,
                                            ClassSubset subset,
                                            const std::string& dataset) {
  std::vector<std::string> names;
  for (const int label : subset_labels(static_cast<int>(class_names.size()), subset, dataset)) {
    names.push_back(class_names[static_cast<size_t>(label)]);
  }
  return names;
}

ClassSubsetDataset::ClassSubsetDataset(std::unique_ptr<ImageDataset> parent, ClassSubset subset)
    : parent_(std::move(parent)) {
  const auto& names = parent_->class_names();
  const auto labels = subset_labels(static_cast<int>(names.size()), subset, parent_->name());
  new_label_.assign(names.size(), -1);
  for (size_t i = 0; i < labels.size(); ++i) {
    new_label_[static_cast<size_t>(labels[i])] = static_cast<int>(i);
    class_names_.push_back(names[static_cast<size_t>(labels[i])]);
  }
  position_.assign(parent_->size(), -1);
  for (size_t i = 0; i < parent_->size(); ++i) {
    const int label = parent_->label(i);
    BBPT_CHECK(label >= 0 && static_cast<size_t>(label) < names.size(), IoError,
               parent_->location(i) << ": label " << label << " is outside the " << names.size()
                                    << " classes of " << parent_->name());
    if (new_label_[static_cast<size_t>(label)] < 0) continue;
    position_[i] = static_cast<int64_t>(items_.size());
    items_.push_back(static_cast<int64_t>(i));
  }
  name_ = parent_->name() + "-" + to_string(subset);
  fingerprint_ = core::sha256_hex(parent_->fingerprint() + "|classes:" + to_string(subset));
}

int ClassSubsetDataset::label(size_t index) const {
  return new_label_[static_cast<size_t>(parent_->label(static_cast<size_t>(items_.at(index))))];
}

int64_t ClassSubsetDataset::position_of(int64_t parent_index) const {
  if (parent_index < 0 || static_cast<size_t>(parent_index) >= position_.size()) return -1;
  return position_[static_cast<size_t>(parent_index)];
}

}  // namespace bbpt::data
