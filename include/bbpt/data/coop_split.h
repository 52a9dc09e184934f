// SPDX-License-Identifier: MIT
// CoOp split files (split_zhou_<Dataset>.json: {"train": [[relpath, label, classname], ...],
// "val": [...], "test": [...]}) and CoopSplitDataset, which lists one split and decodes each
// image from <image_dir>/<relpath> only when it is loaded. Few-shot sampling is elsewhere.
// ref: https://github.com/KaiyangZhou/CoOp (datasets/oxford_pets.py, read_split / save_split)
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "bbpt/data/image_dataset.h"

namespace bbpt::data {

/// One entry of a split: an image path relative to the dataset's image_dir, its 0-based label and
/// the class name CoOp stored with it.
struct CoopSplitItem {
  /// Path relative to image_dir, no leading slash (e.g. "AnnualCrop/AnnualCrop_1381.jpg").
  std::string relpath;
  /// 0-based label.
  int label = 0;
  /// Class name as stored (e.g. "Annual Crop Land", "Apply_Eye_Makeup").
  std::string class_name;
};

/// A parsed split file.
struct CoopSplit {
  /// Path of the file it was read from (for error messages).
  std::string path;
  std::vector<CoopSplitItem> train;
  std::vector<CoopSplitItem> val;
  std::vector<CoopSplitItem> test;
  /// Class names indexed by label, taken from train (CoOp's label -> name map, sorted by label).
  /// Underscores are kept; CoOp replaces them by spaces only when it builds a prompt.
  std::vector<std::string> class_names;

  /// The items of "train", "val" or "test"; throws ConfigError naming the file for another name.
  const std::vector<CoopSplitItem>& items(const std::string& split) const;
  std::vector<CoopSplitItem>& items(const std::string& split);
};

/// Throws ConfigError naming `file`, `entry` and the path when `relpath` is empty, absolute, or
/// leaves the folder it is relative to once normalised ("a/../../etc/passwd"): every image path a
/// split or list file names must stay inside the dataset's root.
void check_path_inside_root(const std::string& relpath,
                            const std::string& file,
                            const std::string& entry);

/// Reads and validates a split file. Throws IoError naming the file when it is not JSON, lacks one
/// of "train"/"val"/"test" ("test" may be absent when `require_test` is false: ZIP's
/// split_SVHN.json), holds an entry that is not [string, int, string], when the train labels are
/// not exactly 0..C-1, when one label carries two class names, or when a val/test label is
/// outside 0..C-1 or disagrees with train's class name; ConfigError when an entry's path is not
/// inside the image folder (check_path_inside_root).
CoopSplit read_coop_split(const std::string& path, bool require_test = true);

class CoopSplitDataset : public ImageDataset {
 public:
  /// Lists `split` of split_file; images are read from image_dir/<relpath> on load. Does not touch
  /// the images (the folder may be filled later); a missing image fails in load_image.
  /// `hash_file_sizes` = false leaves the file stamps out of the fingerprint, so that it never
  /// stats the images (the folder layouts, whose listing already comes from the folders; their
  /// images edited in place are not noticed: docs/data.md).
  CoopSplitDataset(const CoopSplit& split_file,
                   const std::string& split,
                   const std::string& image_dir,
                   const std::string& name,
                   bool hash_file_sizes = true);
  /// The same, taking the items over instead of copying them (1.28 M for ImageNet's train).
  CoopSplitDataset(CoopSplit&& split_file,
                   const std::string& split,
                   const std::string& image_dir,
                   const std::string& name,
                   bool hash_file_sizes);

  size_t size() const override { return items_.size(); }
  /// Decodes image_dir/<relpath>; throws IoError naming the file when it is missing or not an
  /// image.
  image::Image load_image(size_t index) const override;
  int label(size_t index) const override { return items_.at(index).label; }
  const std::vector<std::string>& class_names() const override { return class_names_; }
  std::string name() const override { return name_; }
  /// SHA-256 over the resolved image folder, relpaths, labels, class names and (unless
  /// hash_file_sizes is false) file stamps (size, mtime and ctime in ns, inode); computed on
  /// first call, which then needs every image present (throws IoError naming the first missing
  /// one).
  std::string fingerprint() const override;
  /// The resolved absolute image folder.
  std::string source() const override { return source_; }
  std::string location(size_t index) const override { return path(index); }
  /// Absolute path of image `index`.
  std::string path(size_t index) const;

 private:
  std::string name_;
  std::string image_dir_;
  std::string source_;
  std::vector<CoopSplitItem> items_;
  std::vector<std::string> class_names_;
  bool hash_file_sizes_ = true;
  mutable std::once_flag fingerprint_once_;
  mutable std::string fingerprint_;
};

}  // namespace bbpt::data
