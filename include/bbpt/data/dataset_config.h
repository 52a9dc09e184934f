// SPDX-License-Identifier: MIT
// DatasetConfig: what configs/datasets/<name>.yaml (and configs/datasets/coop/<Name>.yaml) say
// about a dataset: where it comes from, its class names and its hand-crafted templates, and for
// CoOp datasets where the images and split file live. Only parsing and validation here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bbpt::data {

struct DatasetConfig {
  /// Path of the YAML file it was read from (for error messages).
  std::string path;
  /// Where the data comes from (package, URL, licence); free text.
  std::string source;
  /// Class names by label; empty for CoOp datasets, whose names come from the split file.
  std::vector<std::string> class_names;
  /// Hand-crafted prompt templates, each with exactly one "{}" for the class name.
  std::vector<std::string> templates;
  /// CoOp only: folder under <data_dir>/coop (CoOp's dataset_dir, e.g. "eurosat").
  std::string dataset_dir;
  /// CoOp only: image folder under dataset_dir (e.g. "2750"; "" when the paths start at
  /// dataset_dir).
  std::string image_dir;
  /// CoOp only: split file name inside dataset_dir (e.g. "split_zhou_EuroSAT.json").
  std::string split_file;
  /// CoOp only, instead of split_file: a folder layout of coop_layouts.h ("imagenet",
  /// "imagenetv2", "imagenet_sketch", "imagenet_a", "imagenet_r", "fgvc_aircraft", "svhn").
  std::string layout;
  /// Shifted datasets only (issue #17): the registry dataset whose images are shifted ("fmnist",
  /// "mnist", "cifar10" or "flowers12"); empty otherwise.
  std::string shift_of;
  /// Shifted datasets only: the domain shift (image/domain_shift.h), e.g. "invert".
  std::string shift;
  /// Shifted datasets only: the seed of the random shifts (recolour, noise); default 1.
  uint64_t shift_seed = 1;

  bool is_coop() const { return !split_file.empty() || !layout.empty(); }
  bool is_shifted() const { return !shift_of.empty(); }
};

/// Reads a dataset config. Throws IoError naming the file when it is missing or not YAML, and
/// ConfigError naming the file and field when templates is missing or empty, a template lacks
/// exactly one "{}", class_names is missing (non-CoOp) or has duplicates, a CoOp field is
/// missing, or a shifted dataset's shift_of is not a plain registry dataset or its shift is
/// unknown.
DatasetConfig load_dataset_config(const std::string& path);

/// configs_dir/datasets/<name>.yaml, or configs_dir/datasets/coop/<Name>.yaml for "coop:<Name>".
std::string dataset_config_path(const std::string& configs_dir, const std::string& name);

}  // namespace bbpt::data
