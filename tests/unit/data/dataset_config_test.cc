// SPDX-License-Identifier: MIT
// Dataset configs: every file in configs/datasets parses, and a broken config is a one-line error
// naming the file and the field, since a template without {} or a duplicated class would
// silently corrupt every prompt built from it.
#include "bbpt/data/dataset_config.h"

#include <gtest/gtest.h>

#include "data_test_files.h"

namespace bbpt::data {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::TempDir;

TEST(DatasetConfig, EveryShippedConfigParses) {
  size_t count = 0;
  size_t shifted = 0;
  for (const auto& entry : fs::recursive_directory_iterator(testing::kConfigsDir + "/datasets")) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    const DatasetConfig config = load_dataset_config(entry.path().string());
    EXPECT_FALSE(config.source.empty());
    EXPECT_FALSE(config.templates.empty());
    EXPECT_NE(config.is_coop(), !config.class_names.empty());
    if (config.is_shifted()) {
      // A shifted dataset keeps its base's classes (the registry checks it again on open).
      EXPECT_EQ(config.class_names,
                load_dataset_config(dataset_config_path(testing::kConfigsDir, config.shift_of))
                    .class_names);
      ++shifted;
    } else {
      ++count;
    }
  }
  // fmnist, mnist, cifar10, flowers12, 11 CoOp datasets with split files and 7 folder layouts;
  // the shifted datasets of issue #17 (docs/results.md, "Downstream tasks where prompts matter").
  EXPECT_EQ(count, 22u);
  EXPECT_EQ(shifted, 15u);
  EXPECT_EQ(load_dataset_config(dataset_config_path(testing::kConfigsDir, "coop:ImageNetA")).layout,
            "imagenet_a");
  const DatasetConfig cars =
      load_dataset_config(dataset_config_path(testing::kConfigsDir, "coop:StanfordCars"));
  EXPECT_EQ(cars.dataset_dir, "stanford_cars");
  EXPECT_EQ(cars.image_dir, "");
  EXPECT_EQ(
      load_dataset_config(dataset_config_path(testing::kConfigsDir, "coop:EuroSAT")).image_dir,
      "2750");
}

TEST(DatasetConfig, BrokenConfigsNameFileAndField) {
  TempDir dir;
  const auto check = [&](const std::string& text, const std::vector<std::string>& needles,
                         bool io_error = false) {
    core::write_file_atomic(dir / "c.yaml", text);
    std::vector<std::string> all = needles;
    all.push_back(dir / "c.yaml");
    if (io_error) {
      expect_error<IoError>([&] { load_dataset_config(dir / "c.yaml"); }, all);
    } else {
      expect_error<ConfigError>([&] { load_dataset_config(dir / "c.yaml"); }, all);
    }
  };
  check("class_names: [a, b\ntemplates: ['{}']", {"not valid YAML"}, true);
  check("class_names: [a, b]", {"'templates' is missing"});
  check("class_names: [a, b]\ntemplates: ['a photo of a thing.']", {"exactly one {}"});
  check("class_names: [a, a]\ntemplates: ['{}']", {"duplicates"});
  check("templates: ['{}']", {"'class_names' is missing"});
  check("split_file: s.json\ntemplates: ['{}']", {"'dataset_dir' is missing"});
  check("- a\n- b", {"expected a mapping"});
  check("layout: imagenet1k\ndataset_dir: d\nimage_dir: i\ntemplates: ['{}']",
        {"field 'layout' = 'imagenet1k' is unknown", "imagenet_sketch"});
  expect_error<IoError>([&] { load_dataset_config(dir / "none.yaml"); },
                        {dir / "none.yaml", "not found"});
}

}  // namespace
}  // namespace bbpt::data
