// SPDX-License-Identifier: MIT
// Implements the ImageFolder reader and its content fingerprint.
#include "bbpt/data/image_dataset.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/sha256.h"
#include "bbpt/image/decode.h"
#include "file_stamp.h"

namespace bbpt::data {
namespace fs = std::filesystem;
namespace {

bool has_image_extension(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

std::vector<fs::path> sorted_entries(const fs::path& dir) {
  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(dir)) entries.push_back(entry.path());
  std::sort(entries.begin(), entries.end());
  return entries;
}

}  // namespace

ImageFolderDataset::ImageFolderDataset(const std::string& root, const std::string& name)
    : name_(name), root_(resolved_path(root)) {
  std::error_code ec;
  BBPT_CHECK(fs::is_directory(root, ec), IoError,
             root << ": not a directory (expected an ImageFolder: <root>/<class>/<image>.jpg|png)");
  core::Sha256 hasher;
  // The resolved root: a folder of the same name elsewhere, with the same files, is another
  // dataset (issue #18).
  hasher.update("image-folder v2\t" + root_ + "\n");
  for (const auto& class_dir : sorted_entries(root)) {
    if (!fs::is_directory(class_dir)) continue;
    const int label = static_cast<int>(class_names_.size());
    bool any = false;
    for (const auto& file : sorted_entries(class_dir)) {
      if (!has_image_extension(file)) continue;
      // A dangling link keeps its place: load_image and `bbpt data check` then name it, rather
      // than the dataset silently shrinking.
      const FileStamp stamp = stamp_file(file.string());
      if (stamp.ok && !stamp.regular) continue;
      any = true;
      paths_.push_back(file.string());
      labels_.push_back(label);
      std::ostringstream line;
      line << class_dir.filename().string() << "/" << file.filename().string() << "\t" << stamp.text
           << "\t" << label << "\n";
      hasher.update(line.str());
    }
    if (any) class_names_.push_back(class_dir.filename().string());
  }
  BBPT_CHECK(!paths_.empty(), IoError,
             root << ": no images found (expected <root>/<class>/<image>.jpg|jpeg|png)");
  fingerprint_ = hasher.hex_digest();
}

image::Image ImageFolderDataset::load_image(size_t index) const {
  return image::decode_image_file(paths_.at(index));
}

ImageFolderDataset open_image_folder(const std::string& dataset, const std::string& split) {
  std::error_code ec;
  const fs::path root(dataset);
  const std::string base_name =
      root.filename().empty() ? root.parent_path().filename().string() : root.filename().string();
  if (!split.empty() && fs::is_directory(root / split, ec)) {
    return ImageFolderDataset((root / split).string(), base_name + "-" + split);
  }
  BBPT_CHECK(
      split.empty(), ConfigError,
      "--split " << split << ": " << (root / split).string()
                 << " is not a directory (expected the dataset folder to hold one folder per "
                    "split, e.g. train/ and test/)");
  return ImageFolderDataset(dataset, base_name);
}

}  // namespace bbpt::data
