// SPDX-License-Identifier: MIT
// Implements the dataset config reader on yaml-cpp, with one-line errors naming file and field.
#include "bbpt/data/dataset_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/data/coop_layouts.h"
#include "bbpt/image/domain_shift.h"

namespace bbpt::data {
namespace {

std::string read_string(const YAML::Node& root,
                        const char* key,
                        const std::string& path,
                        bool required) {
  const YAML::Node node = root[key];
  if (!node) {
    BBPT_CHECK(!required, ConfigError,
               path << ": field '" << key << "' is missing (expected a string)");
    return "";
  }
  BBPT_CHECK(node.IsScalar(), ConfigError, path << ": field '" << key << "' is not a string");
  return node.as<std::string>();
}

std::vector<std::string> read_list(const YAML::Node& root,
                                   const char* key,
                                   const std::string& path) {
  const YAML::Node node = root[key];
  BBPT_CHECK(
      node && node.IsSequence() && node.size() > 0, ConfigError,
      path << ": field '" << key << "' is missing or empty (expected a non-empty list of strings)");
  std::vector<std::string> values;
  for (size_t i = 0; i < node.size(); ++i) {
    BBPT_CHECK(node[i].IsScalar(), ConfigError,
               path << ": " << key << "[" << i << "] is not a string");
    values.push_back(node[i].as<std::string>());
  }
  return values;
}

}  // namespace

DatasetConfig load_dataset_config(const std::string& path) {
  const std::string text = core::read_file(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    BBPT_THROW(IoError, path << ": not valid YAML (" << e.what() << ")");
  }
  BBPT_CHECK(root.IsMap(), ConfigError,
             path << ": expected a mapping with class_names/templates (or "
                     "dataset_dir/image_dir/split_file)");
  DatasetConfig config;
  config.path = path;
  config.source = read_string(root, "source", path, false);
  config.split_file = read_string(root, "split_file", path, false);
  config.layout = read_string(root, "layout", path, false);
  if (!config.layout.empty()) {
    const auto& layouts = coop_layout_names();
    BBPT_CHECK(std::find(layouts.begin(), layouts.end(), config.layout) != layouts.end(),
               ConfigError,
               path << ": field 'layout' = '" << config.layout
                    << "' is unknown; expected one of imagenet, imagenetv2, imagenet_sketch, "
                       "imagenet_a, imagenet_r, fgvc_aircraft, svhn");
  }
  config.templates = read_list(root, "templates", path);
  for (const auto& tmpl : config.templates) {
    const size_t first = tmpl.find("{}");
    BBPT_CHECK(first != std::string::npos && tmpl.find("{}", first + 2) == std::string::npos,
               ConfigError,
               path << ": template '" << tmpl << "' must contain exactly one {} (the class name)");
  }
  if (config.is_coop()) {
    config.dataset_dir = read_string(root, "dataset_dir", path, true);
    config.image_dir = read_string(root, "image_dir", path, true);
    BBPT_CHECK(!config.dataset_dir.empty(), ConfigError, path << ": field 'dataset_dir' is empty");
    return config;
  }
  config.shift_of = read_string(root, "shift_of", path, false);
  if (config.is_shifted()) {
    const std::vector<std::string> bases = {"fmnist", "mnist", "cifar10", "flowers12"};
    BBPT_CHECK(std::find(bases.begin(), bases.end(), config.shift_of) != bases.end(), ConfigError,
               path << ": field 'shift_of' = '" << config.shift_of
                    << "' is not a dataset that can be shifted (expected fmnist, mnist, cifar10 "
                       "or flowers12)");
    config.shift = read_string(root, "shift", path, true);
    const auto& shifts = image::domain_shift_names();
    BBPT_CHECK(std::find(shifts.begin(), shifts.end(), config.shift) != shifts.end(), ConfigError,
               path << ": field 'shift' = '" << config.shift
                    << "' is unknown (expected one of invert, rotate90, rotate180, low_contrast, "
                       "recolour, blur, noise)");
    if (root["shift_seed"]) {
      try {
        config.shift_seed = root["shift_seed"].as<uint64_t>();
      } catch (const YAML::Exception&) {
        BBPT_THROW(ConfigError, path << ": field 'shift_seed' is not a non-negative integer");
      }
    }
  }
  config.class_names = read_list(root, "class_names", path);
  std::set<std::string> unique(config.class_names.begin(), config.class_names.end());
  BBPT_CHECK(unique.size() == config.class_names.size(), ConfigError,
             path << ": class_names has duplicates (expected one distinct name per label)");
  return config;
}

std::string dataset_config_path(const std::string& configs_dir, const std::string& name) {
  const std::filesystem::path datasets = std::filesystem::path(configs_dir) / "datasets";
  const std::string coop_prefix = "coop:";
  if (name.rfind(coop_prefix, 0) == 0) {
    return (datasets / "coop" / (name.substr(coop_prefix.size()) + ".yaml")).string();
  }
  return (datasets / (name + ".yaml")).string();
}

}  // namespace bbpt::data
