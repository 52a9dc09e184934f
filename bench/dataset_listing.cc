// SPDX-License-Identifier: MIT
// What opening coop:ImageNet costs a trial before any image is read: describe (classnames.txt and
// the 1,000 class folders), listing the 1.28 M train files, the 50 k test files, the Dassl 16-shot
// draw and the fingerprint of the 16-shot subset. Optionally writes the synthetic tree first
// (1,000 wnid folders x 1,281 empty files + 50 per class in val/). Prints a table and JSON.
// Usage: bench_dataset_listing DATA_DIR [--make] [--json OUT]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "bbpt/data/dataset_registry.h"
#include "bbpt/data/subset_dataset.h"

namespace fs = std::filesystem;

namespace {

constexpr int kClasses = 1000;
constexpr int kTrainPerClass = 1281;  // 1,281,000 files, ImageNet's 1,281,167 to 0.01 %
constexpr int kValPerClass = 50;

std::string wnid(int i) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "n%08d", 1440764 + i);
  return buffer;
}

void make_tree(const fs::path& root) {
  std::ofstream names(root / "classnames.txt");
  for (int c = 0; c < kClasses; ++c) names << wnid(c) << " class " << c << "\n";
  for (const auto& [split, count] : {std::pair{"train", kTrainPerClass}, {"val", kValPerClass}}) {
    for (int c = 0; c < kClasses; ++c) {
      const fs::path dir = root / "images" / split / wnid(c);
      fs::create_directories(dir);
      for (int j = 0; j < count; ++j) {
        std::ofstream(dir / (wnid(c) + "_" + std::to_string(j) + ".JPEG"));
      }
    }
  }
}

double time_s(const std::function<void()>& fn) {
  const auto start = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: bench_dataset_listing DATA_DIR [--make] [--json OUT]\n";
    return 2;
  }
  bbpt::data::DataOptions options;
  options.data_dir = argv[1];
  options.configs_dir = std::string(BBPT_SOURCE_DIR) + "/configs";
  std::string json_path;
  bool make = false;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--make") make = true;
    if (arg == "--json" && i + 1 < argc) json_path = argv[++i];
  }
  const fs::path root = fs::path(options.data_dir) / "coop" / "imagenet";
  nlohmann::ordered_json out;
  if (make) {
    fs::create_directories(root);
    out["make_tree_s"] = time_s([&] { make_tree(root); });
  }
  std::unique_ptr<bbpt::data::ImageDataset> train, test;
  bbpt::data::FewShotSplit sample;
  out["describe_s"] = time_s([&] { bbpt::data::describe_dataset("coop:ImageNet", options); });
  out["open_train_s"] =
      time_s([&] { train = bbpt::data::open_dataset("coop:ImageNet", "train", options); });
  out["open_test_s"] =
      time_s([&] { test = bbpt::data::open_dataset("coop:ImageNet", "test", options); });
  out["sample_16shot_s"] = time_s([&] {
    sample = bbpt::data::sample_dataset_few_shot("coop:ImageNet", *train, options, 16, 1);
  });
  out["subset_fingerprint_s"] =
      time_s([&] { bbpt::data::SubsetDataset subset(*train, sample.train, "imagenet-16shot"); });
  out["train_items"] = train->size();
  out["test_items"] = test->size();
  out["few_shot_items"] = sample.train.size();
  std::printf("%-24s %10s\n", "step", "seconds");
  for (const auto& [key, value] : out.items()) {
    if (key.size() > 2 && key.substr(key.size() - 2) == "_s") {
      std::printf("%-24s %10.2f\n", key.c_str(), value.get<double>());
    }
  }
  std::printf("train %zu, test %zu, 16-shot %zu items\n", train->size(), test->size(),
              sample.train.size());
  if (!json_path.empty()) std::ofstream(json_path) << out.dump(2) << "\n";
  return 0;
}
