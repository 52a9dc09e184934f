// SPDX-License-Identifier: MIT
// Implements the CoOp/ZIP folder layouts: class lists (classnames.txt, variants.txt), folder
// listings in readdir order without stat, the class-folder checks, and ZIP's SVHN split.
#include "bbpt/data/coop_layouts.h"

#include <dirent.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/data/python_random.h"

namespace bbpt::data {
namespace fs = std::filesystem;
namespace {

/// Seed of the run that writes split_SVHN.json first: ZIP's scripts loop over seeds 1, 2, 3.
constexpr uint64_t kSvhnSplitSeed = 1;

struct ClassList {
  std::string path;
  std::vector<std::string> keys;   // wnids (or variant names), file order
  std::vector<std::string> names;  // class names, file order
  std::map<std::string, std::string> name_of;
};

std::vector<std::string> read_lines(const fs::path& path) {
  BBPT_CHECK(core::is_regular_file(path.string()), IoError,
             path.string() << ": not found (expected the dataset's class list; see "
                              "configs/datasets/coop)");
  std::istringstream in(core::read_file(path.string()));
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    const size_t start = line.find_first_not_of(' ');
    lines.push_back(start == std::string::npos ? "" : line.substr(start));
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

/// classnames.txt: "<wnid> <class name>" per line (ImageNet.read_classnames).
ClassList read_classnames(const fs::path& path) {
  ClassList list;
  list.path = path.string();
  const auto lines = read_lines(path);
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t space = lines[i].find(' ');
    BBPT_CHECK(space != std::string::npos && space > 0, IoError,
               path.string() << ": line " << i + 1 << " = '" << lines[i]
                             << "'; expected '<wnid> <class name>'");
    const std::string wnid = lines[i].substr(0, space);
    const std::string name = lines[i].substr(space + 1);
    BBPT_CHECK(list.name_of.emplace(wnid, name).second, IoError,
               path.string() << ": line " << i + 1 << ": wnid '" << wnid
                             << "' is listed twice; expected each class once");
    list.keys.push_back(wnid);
    list.names.push_back(name);
  }
  BBPT_CHECK(!list.keys.empty(), IoError, path.string() << ": no classes; expected 1,000 lines");
  return list;
}

/// listdir_nohidden: the non-hidden entries of `dir` in readdir order (os.listdir's); no stat.
/// Plain readdir: std::filesystem::directory_iterator builds a path per entry, 6x slower on
/// ImageNet's 1.28 M files (docs/performance.md).
std::vector<std::string> list_nohidden(const fs::path& dir) {
  DIR* handle = opendir(dir.c_str());
  BBPT_CHECK(handle != nullptr, IoError,
             dir.string() << ": cannot list (" << std::strerror(errno)
                          << "); expected a folder of the layout in configs/datasets/coop");
  std::vector<std::string> names;
  errno = 0;
  while (const dirent* entry = readdir(handle)) {
    if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
  }
  const int error = errno;
  closedir(handle);
  BBPT_CHECK(error == 0, IoError,
             dir.string() << ": listing failed (" << std::strerror(error) << ")");
  return names;
}

/// Sorted class folders of `dir` (without `ignored`), each of which must be in `classes`;
/// when `require_all`, every class of `classes` must have one, else exactly `expected` folders.
std::vector<std::string> class_folders(const fs::path& dir,
                                       const ClassList& classes,
                                       bool require_all,
                                       size_t expected) {
  auto folders = list_nohidden(dir);
  folders.erase(std::remove(folders.begin(), folders.end(), "README.txt"), folders.end());
  std::sort(folders.begin(), folders.end());
  for (const auto& folder : folders) {
    BBPT_CHECK(classes.name_of.count(folder) != 0, IoError,
               (dir / folder).string() << ": class folder '" << folder << "' is not in "
                                       << classes.path << "; expected only its wnids");
  }
  if (require_all) {
    const std::set<std::string> present(folders.begin(), folders.end());
    for (const auto& wnid : classes.keys) {
      BBPT_CHECK(present.count(wnid) != 0, IoError,
                 dir.string() << ": no class folder '" << wnid << "' (" << classes.name_of.at(wnid)
                              << ", listed in " << classes.path << ")");
    }
  }
  BBPT_CHECK(folders.size() == expected, IoError,
             dir.string() << ": " << folders.size() << " class folders; expected " << expected);
  return folders;
}

void check_layout(const std::string& layout) {
  const auto& names = coop_layout_names();
  BBPT_CHECK(std::find(names.begin(), names.end(), layout) != names.end(), ConfigError,
             "dataset layout '" << layout
                                << "' is unknown; expected one of imagenet, imagenetv2, "
                                   "imagenet_sketch, imagenet_a, imagenet_r, fgvc_aircraft, svhn");
}

size_t num_classes_of(const std::string& layout) {
  return layout == "imagenet_a" || layout == "imagenet_r" ? 200 : 1000;
}

/// Appends <folder>/<file> items of every class folder, in label order, files in readdir order.
void append_folder_items(const fs::path& root,
                         const std::string& prefix,
                         const std::vector<std::string>& folders,
                         const std::vector<std::string>& names,
                         std::vector<CoopSplitItem>& items) {
  for (size_t label = 0; label < folders.size(); ++label) {
    for (auto& file : list_nohidden(root / folders[label])) {
      items.push_back(
          {prefix + folders[label] + "/" + file, static_cast<int>(label), names[label]});
    }
  }
}

/// FGVCAircraft's images_variant_<split>.txt: "<id> <variant>" per line.
std::vector<CoopSplitItem> read_fgvc_split(const fs::path& file,
                                           const std::vector<std::string>& variants) {
  std::map<std::string, int> label_of;
  for (size_t i = 0; i < variants.size(); ++i) label_of.emplace(variants[i], static_cast<int>(i));
  const auto lines = read_lines(file);
  std::vector<CoopSplitItem> items;
  for (size_t i = 0; i < lines.size(); ++i) {
    const size_t space = lines[i].find(' ');
    BBPT_CHECK(space != std::string::npos, IoError,
               file.string() << ": line " << i + 1 << " = '" << lines[i]
                             << "'; expected '<image id> <variant>'");
    const std::string variant = lines[i].substr(space + 1);
    const auto it = label_of.find(variant);
    BBPT_CHECK(it != label_of.end(), IoError,
               file.string() << ": line " << i + 1 << ": variant '" << variant
                             << "' is not in variants.txt");
    const std::string relpath = lines[i].substr(0, space) + ".jpg";
    check_path_inside_root(relpath, file.string(), "line " + std::to_string(i + 1));
    items.push_back({relpath, it->second, variant});
  }
  return items;
}

/// Python's round(x) for x >= 0: nearest integer, ties to even.
size_t python_round(double x) { return static_cast<size_t>(std::nearbyint(x)); }

/// ZIP's Svhn.read_and_split_data on the stream of random.seed(kSvhnSplitSeed); relpaths under
/// the dataset folder ("train/<class>/<file>").
CoopSplit build_svhn_split(const fs::path& dir, const std::vector<std::string>& categories) {
  PythonRandom rng(kSvhnSplitSeed);
  CoopSplit split;
  split.path = (dir / "split_SVHN.json").string() + " (built as ZIP builds it with seed 1)";
  split.class_names = categories;
  for (size_t label = 0; label < categories.size(); ++label) {
    auto images = list_nohidden(dir / "train" / categories[label]);
    rng.shuffle(images);
    rng.skip_shuffle(list_nohidden(dir / "test" / categories[label]).size());
    const size_t n_train = python_round(static_cast<double>(images.size()) * 0.7);
    const size_t n_val = python_round(static_cast<double>(images.size()) * (1 - 0.7));
    BBPT_CHECK(n_train > 0 && n_val > 0, IoError,
               (dir / "train" / categories[label]).string()
                   << ": " << images.size() << " images; expected enough for a 70/30 split");
    for (size_t i = 0; i < images.size() && i < n_train + n_val; ++i) {
      auto& target = i < n_train ? split.train : split.val;
      target.push_back({"train/" + categories[label] + "/" + images[i], static_cast<int>(label),
                        categories[label]});
    }
  }
  return split;
}

CoopSplit read_svhn(const fs::path& dir, const std::string& split_name) {
  auto categories = list_nohidden(dir / "train");
  std::sort(categories.begin(), categories.end());
  const fs::path split_file = dir / "split_SVHN.json";
  CoopSplit split;
  if (split_name == "test") {
    split.path = dir.string();
    split.class_names = categories;
    for (size_t label = 0; label < categories.size(); ++label) {
      for (auto& file : list_nohidden(dir / "test" / categories[label])) {
        split.test.push_back(
            {"test/" + categories[label] + "/" + file, static_cast<int>(label), categories[label]});
      }
    }
    return split;
  }
  if (!core::is_regular_file(split_file.string())) return build_svhn_split(dir, categories);
  split = read_coop_split(split_file.string(), false);
  BBPT_CHECK(split.class_names == categories, IoError,
             split_file.string() << ": its " << split.class_names.size()
                                 << " classes differ from the class folders of "
                                 << (dir / "train").string());
  for (auto* items : {&split.train, &split.val}) {
    for (auto& item : *items) item.relpath = "train/" + item.relpath;
  }
  return split;
}

}  // namespace

const std::vector<std::string>& coop_layout_names() {
  static const std::vector<std::string> names = {"imagenet",   "imagenetv2", "imagenet_sketch",
                                                 "imagenet_a", "imagenet_r", "fgvc_aircraft",
                                                 "svhn"};
  return names;
}

std::vector<std::string> coop_layout_class_names(const std::string& layout,
                                                 const std::string& dataset_dir,
                                                 const std::string& image_dir) {
  check_layout(layout);
  const fs::path dir(dataset_dir);
  if (layout == "fgvc_aircraft") return read_lines(dir / "variants.txt");
  if (layout == "svhn") {
    auto categories = list_nohidden(dir / "train");
    std::sort(categories.begin(), categories.end());
    return categories;
  }
  const ClassList classes = read_classnames(dir / "classnames.txt");
  if (layout == "imagenetv2") return classes.names;
  const fs::path root = layout == "imagenet" ? dir / image_dir / "train" : dir / image_dir;
  const bool all = layout == "imagenet" || layout == "imagenet_sketch";
  std::vector<std::string> names;
  for (const auto& wnid : class_folders(root, classes, all, num_classes_of(layout))) {
    names.push_back(classes.name_of.at(wnid));
  }
  return names;
}

CoopSplit read_coop_layout(const std::string& layout,
                           const std::string& dataset_dir,
                           const std::string& image_dir,
                           const std::string& split) {
  check_layout(layout);
  BBPT_CHECK(split == "train" || split == "val" || split == "test", ConfigError,
             dataset_dir << ": split '" << split << "' is not one of train, val, test");
  const fs::path dir(dataset_dir);
  if (layout == "svhn") return read_svhn(dir, split);
  CoopSplit result;
  result.path = dataset_dir;
  if (layout == "fgvc_aircraft") {
    result.class_names = read_lines(dir / "variants.txt");
    result.items(split) =
        read_fgvc_split(dir / ("images_variant_" + split + ".txt"), result.class_names);
    return result;
  }
  const ClassList classes = read_classnames(dir / "classnames.txt");
  if (layout == "imagenetv2") {
    // Folders are labels 0..999; label i is line i of classnames.txt (ImageNetV2.read_data).
    result.class_names = classes.names;
    const fs::path root = dir / image_dir;
    std::set<std::string> expected;
    for (size_t label = 0; label < classes.keys.size(); ++label) {
      expected.insert(std::to_string(label));
    }
    for (const auto& folder : list_nohidden(root)) {
      BBPT_CHECK(expected.count(folder) != 0, IoError,
                 (root / folder).string() << ": class folder '" << folder << "' is not a label 0.."
                                          << classes.keys.size() - 1);
    }
    if (split == "val") return result;
    std::vector<std::string> folders;
    for (size_t label = 0; label < classes.keys.size(); ++label) {
      const std::string folder = std::to_string(label);
      BBPT_CHECK(
          fs::is_directory(root / folder), IoError,
          root.string() << ": no class folder '" << folder << "' (" << classes.names[label] << ")");
      folders.push_back(folder);
    }
    append_folder_items(root, "", folders, classes.names, result.test);
    if (split == "train") result.train = std::move(result.test);
    return result;
  }
  const bool all = layout == "imagenet" || layout == "imagenet_sketch";
  const size_t expected = num_classes_of(layout);
  if (layout == "imagenet") {
    // CoOp: val/ is the test split; ImageNet has no val split (few-shot draws train only).
    if (split == "val") {
      result.class_names = coop_layout_class_names(layout, dataset_dir, image_dir);
      return result;
    }
    const std::string sub = split == "train" ? "train" : "val";
    const auto folders = class_folders(dir / image_dir / sub, classes, all, expected);
    for (const auto& wnid : folders) result.class_names.push_back(classes.name_of.at(wnid));
    append_folder_items(dir / image_dir / sub, sub + "/", folders, result.class_names,
                        split == "train" ? result.train : result.test);
    return result;
  }
  // -Sketch, -A, -R: one folder per class, test only (CoOp uses the same list as train_x).
  const auto folders = class_folders(dir / image_dir, classes, all, expected);
  for (const auto& wnid : folders) result.class_names.push_back(classes.name_of.at(wnid));
  if (split == "val") return result;
  append_folder_items(dir / image_dir, "", folders, result.class_names,
                      split == "train" ? result.train : result.test);
  return result;
}

DasslPreamble coop_layout_preamble(const std::string& layout, const std::string& dataset_dir) {
  check_layout(layout);
  DasslPreamble preamble;
  if (layout != "svhn") return preamble;
  // Svhn.__init__ calls read_and_split_data whether or not split_SVHN.json exists, so its
  // shuffles always precede the few-shot draw.
  const fs::path dir(dataset_dir);
  auto categories = list_nohidden(dir / "train");
  std::sort(categories.begin(), categories.end());
  for (const auto& category : categories) {
    preamble.shuffle_lengths.push_back(list_nohidden(dir / "train" / category).size());
    preamble.shuffle_lengths.push_back(list_nohidden(dir / "test" / category).size());
  }
  return preamble;
}

}  // namespace bbpt::data
