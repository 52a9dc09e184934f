// SPDX-License-Identifier: MIT
// Implements the CoOp split-file parser (with the consistency checks CoOp itself does not make)
// and the lazily loading CoopSplitDataset.
#include "bbpt/data/coop_split.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <utility>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/sha256.h"
#include "bbpt/image/decode.h"
#include "file_stamp.h"

namespace bbpt::data {
namespace fs = std::filesystem;
namespace {

std::vector<CoopSplitItem> parse_items(const nlohmann::json& root,
                                       const char* key,
                                       const std::string& path) {
  BBPT_CHECK(root.contains(key) && root[key].is_array(), IoError,
             path << ": no \"" << key
                  << "\" list (expected {\"train\": [...], \"val\": [...], \"test\": [...]})");
  std::vector<CoopSplitItem> items;
  items.reserve(root[key].size());
  size_t index = 0;
  for (const auto& entry : root[key]) {
    BBPT_CHECK(entry.is_array() && entry.size() == 3 && entry[0].is_string() &&
                   entry[1].is_number_integer() && entry[2].is_string(),
               IoError,
               path << ": " << key << "[" << index << "] is " << entry.dump().substr(0, 80)
                    << ", expected [relative_path, integer_label, classname]");
    CoopSplitItem item;
    item.relpath = entry[0].get<std::string>();
    item.label = entry[1].get<int>();
    item.class_name = entry[2].get<std::string>();
    check_path_inside_root(item.relpath, path,
                           std::string(key) + "[" + std::to_string(index) + "]");
    items.push_back(std::move(item));
    ++index;
  }
  return items;
}

/// Class names by label from train: labels must be 0..C-1, each with one name.
std::vector<std::string> class_names_from_train(const std::vector<CoopSplitItem>& train,
                                                const std::string& path) {
  BBPT_CHECK(!train.empty(), IoError,
             path << ": \"train\" is empty (expected at least one image per class)");
  int max_label = -1;
  for (const auto& item : train) {
    BBPT_CHECK(item.label >= 0, IoError,
               path << ": train label " << item.label << " of " << item.relpath
                    << " is negative (expected 0-based labels)");
    max_label = std::max(max_label, item.label);
  }
  std::vector<std::string> names(static_cast<size_t>(max_label) + 1);
  std::vector<bool> seen(names.size(), false);
  for (const auto& item : train) {
    auto& name = names[static_cast<size_t>(item.label)];
    if (!seen[static_cast<size_t>(item.label)]) {
      seen[static_cast<size_t>(item.label)] = true;
      name = item.class_name;
    }
    BBPT_CHECK(name == item.class_name, IoError,
               path << ": train label " << item.label << " is both '" << name << "' and '"
                    << item.class_name << "' (expected one class name per label)");
  }
  for (size_t label = 0; label < names.size(); ++label) {
    BBPT_CHECK(seen[label], IoError,
               path << ": no train image has label " << label << " (expected labels 0.."
                    << names.size() - 1 << " all present in train)");
  }
  return names;
}

void check_against_train(const std::vector<CoopSplitItem>& items,
                         const char* key,
                         const std::vector<std::string>& names,
                         const std::string& path) {
  const int num_classes = static_cast<int>(names.size());
  for (const auto& item : items) {
    BBPT_CHECK(item.label >= 0 && item.label < num_classes, IoError,
               path << ": " << key << " label " << item.label << " of " << item.relpath
                    << " is out of range (expected 0.." << num_classes - 1 << " as in train)");
    BBPT_CHECK(names[static_cast<size_t>(item.label)] == item.class_name, IoError,
               path << ": " << key << " label " << item.label << " is '" << item.class_name
                    << "' but train calls it '" << names[static_cast<size_t>(item.label)] << "'");
  }
}

}  // namespace

void check_path_inside_root(const std::string& relpath,
                            const std::string& file,
                            const std::string& entry) {
  const fs::path p(relpath);
  // Normalised lexically ("a/../../b" -> "../b"): a path that starts with ".." after it leaves the
  // root.
  const fs::path normal = p.lexically_normal();
  const bool escapes = !normal.empty() && *normal.begin() == "..";
  BBPT_CHECK(!relpath.empty() && !p.is_absolute() && !p.has_root_name() &&
                 !p.has_root_directory() && !escapes && normal != ".",
             ConfigError,
             file << ": " << entry << " path '" << relpath
                  << "' is not a path inside the dataset's image folder (absolute, empty or "
                     "leaving it with "
                     "'..'); fix the entry or download the split file again");
}

const std::vector<CoopSplitItem>& CoopSplit::items(const std::string& split) const {
  if (split == "train") return train;
  if (split == "val") return val;
  if (split == "test") return test;
  BBPT_THROW(ConfigError, path << ": split '" << split << "' is not one of train, val, test");
}

std::vector<CoopSplitItem>& CoopSplit::items(const std::string& split) {
  return const_cast<std::vector<CoopSplitItem>&>(std::as_const(*this).items(split));
}

CoopSplit read_coop_split(const std::string& path, bool require_test) {
  const std::string text = core::read_file(path);
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    BBPT_THROW(IoError,
               path << ": not valid JSON (expected a CoOp split file {\"train\": [[path, label, "
                       "classname], ...], \"val\": [...], \"test\": [...]}): "
                    << e.what());
  }
  BBPT_CHECK(root.is_object(), IoError,
             path << ": top level is " << root.type_name()
                  << ", expected an object {\"train\": [...], \"val\": [...], \"test\": [...]}");
  CoopSplit split;
  split.path = path;
  split.train = parse_items(root, "train", path);
  split.val = parse_items(root, "val", path);
  if (require_test || root.contains("test")) split.test = parse_items(root, "test", path);
  split.class_names = class_names_from_train(split.train, path);
  check_against_train(split.val, "val", split.class_names, path);
  check_against_train(split.test, "test", split.class_names, path);
  return split;
}

CoopSplitDataset::CoopSplitDataset(const CoopSplit& split_file,
                                   const std::string& split,
                                   const std::string& image_dir,
                                   const std::string& name,
                                   bool hash_file_sizes)
    : name_(name),
      image_dir_(image_dir),
      source_(resolved_path(image_dir)),
      items_(split_file.items(split)),
      class_names_(split_file.class_names),
      hash_file_sizes_(hash_file_sizes) {}

CoopSplitDataset::CoopSplitDataset(CoopSplit&& split_file,
                                   const std::string& split,
                                   const std::string& image_dir,
                                   const std::string& name,
                                   bool hash_file_sizes)
    : name_(name),
      image_dir_(image_dir),
      source_(resolved_path(image_dir)),
      items_(std::move(split_file.items(split))),
      class_names_(std::move(split_file.class_names)),
      hash_file_sizes_(hash_file_sizes) {}

std::string CoopSplitDataset::path(size_t index) const {
  return (fs::path(image_dir_) / items_.at(index).relpath).string();
}

image::Image CoopSplitDataset::load_image(size_t index) const {
  return image::decode_image_file(path(index));
}

std::string CoopSplitDataset::fingerprint() const {
  std::call_once(fingerprint_once_, [this] {
    core::Sha256 hasher;
    // The resolved image folder: the same split file over images elsewhere is another dataset.
    hasher.update("coop v2\t" + source_ + "\n");
    for (const auto& class_name : class_names_) hasher.update(class_name + "\n");
    for (size_t i = 0; i < items_.size(); ++i) {
      std::ostringstream line;
      line << items_[i].relpath << "\t";
      if (hash_file_sizes_) {
        const FileStamp stamp = stamp_file(path(i));
        BBPT_CHECK(stamp.ok, IoError,
                   path(i) << ": cannot read the image of " << name_ << " (" << stamp.error
                           << "); expected every image of the split under " << image_dir_);
        line << stamp.text << "\t";
      }
      line << items_[i].label << "\n";
      hasher.update(line.str());
    }
    fingerprint_ = hasher.hex_digest();
  });
  return fingerprint_;
}

}  // namespace bbpt::data
