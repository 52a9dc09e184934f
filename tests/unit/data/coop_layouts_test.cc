// SPDX-License-Identifier: MIT
// The CoOp/ZIP folder layouts on synthetic trees of empty files written here (nothing is
// decoded): labels and class names as CoOp assigns them (sorted wnids, V2's numbered folders, the
// 200-class -A/-R mapped by wnid, FGVC's variants), listings in os.listdir's order, a missing or
// extra class folder named in the error, and SVHN's split and few-shot draw equal to Python's.
#include "bbpt/data/coop_layouts.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "bbpt/data/dataset_registry.h"
#include "data_test_files.h"
#include "run_fixture.h"

namespace bbpt::data {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::expect_error;
using testing::TempDir;

const std::string kReference = std::string(BBPT_SOURCE_DIR) + "/tests/unit/data/dassl_reference.py";

json run_reference(std::vector<std::string> args) {
  args.insert(args.begin(), {"/usr/bin/python3", kReference});
  const auto exit = bbpt::testing::run_to_end(args);
  EXPECT_EQ(exit.code, 0) << exit.output.substr(0, 2000);
  return json::parse(exit.output);
}

/// An empty file (plain ofstream: thousands of them, no fsync).
void touch(const fs::path& path) {
  fs::create_directories(path.parent_path());
  std::ofstream(path.string()).flush();
}

std::string wnid(int i) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "n%08d", 1000 - i);  // file order != sorted order
  return buffer;
}

/// classnames.txt with 1,000 wnids in file order wnid(0), wnid(1), ... (descending ids).
void write_classnames(const fs::path& dir) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += wnid(i) + " class " + std::to_string(i) + "\n";
  touch(dir / "classnames.txt");
  core::write_file_atomic((dir / "classnames.txt").string(), text);
}

/// <root>/<folder>/img<j>.JPEG for j < files.
void write_folder(const fs::path& root, const std::string& folder, int files) {
  fs::create_directories(root / folder);
  for (int j = 0; j < files; ++j) touch(root / folder / ("img" + std::to_string(j) + ".JPEG"));
}

DataOptions data_options_for(const TempDir& dir) {
  DataOptions options;
  options.data_dir = dir / "data";
  options.configs_dir = testing::kConfigsDir;
  return options;
}

// ImageNet: labels follow the sorted wnid folders (not classnames.txt's order), names come from
// classnames.txt by wnid, val/ is the test split, and files come in os.listdir's order.
TEST(CoopLayouts, ImageNetLabelsNamesAndOrder) {
  TempDir dir;
  const fs::path root = fs::path(data_options_for(dir).data_dir) / "coop" / "imagenet";
  write_classnames(root);
  for (int i = 0; i < 1000; ++i) {
    write_folder(root / "images" / "train", wnid(i), i % 3 + 1);
    write_folder(root / "images" / "val", wnid(i), 1);
  }
  const CoopSplit train = read_coop_layout("imagenet", root.string(), "images", "train");
  ASSERT_EQ(train.class_names.size(), 1000u);
  // wnid(999) = n00000001 sorts first: label 0 is "class 999".
  EXPECT_EQ(train.class_names.front(), "class 999");
  EXPECT_EQ(train.class_names.back(), "class 0");
  EXPECT_EQ(train.train.size(), 1999u);  // i % 3 + 1 files per class
  EXPECT_EQ(train.train.front().label, 0);
  EXPECT_EQ(train.train.front().relpath.rfind("train/n00000001/img", 0), 0u);
  const auto listed = run_reference({"listdir", (root / "images/train" / wnid(1)).string()});
  std::vector<std::string> ours;
  for (const auto& item : train.train) {
    if (item.relpath.rfind("train/" + wnid(1) + "/", 0) == 0) {
      ours.push_back(item.relpath.substr(item.relpath.rfind('/') + 1));
    }
  }
  EXPECT_EQ(ours, listed.get<std::vector<std::string>>()) << "not os.listdir's order";
  const CoopSplit test = read_coop_layout("imagenet", root.string(), "images", "test");
  EXPECT_EQ(test.test.size(), 1000u);
  EXPECT_EQ(test.test.front().relpath, "val/n00000001/img0.JPEG");
  EXPECT_TRUE(read_coop_layout("imagenet", root.string(), "images", "val").val.empty());

  // Through the registry: Dassl's sampler draws train only (no val for ImageNet).
  const DataOptions options = data_options_for(dir);
  const auto train_split = open_dataset("coop:ImageNet", "train", options);
  EXPECT_EQ(train_split->size(), train.train.size());
  const auto sample = sample_dataset_few_shot("coop:ImageNet", *train_split, options, 1, 2);
  EXPECT_EQ(sample.train.size(), 1000u);
  EXPECT_TRUE(sample.val.empty());
  EXPECT_EQ(describe_dataset("coop:ImageNet", options).class_names, train.class_names);
  EXPECT_FALSE(train_split->fingerprint().empty());

  // A class folder missing from val/ and an extra one in train/ are named.
  fs::remove_all(root / "images" / "val" / wnid(7));
  expect_error<IoError>([&] { read_coop_layout("imagenet", root.string(), "images", "test"); },
                        {"no class folder '" + wnid(7) + "'", "class 7", "classnames.txt"});
  write_folder(root / "images" / "train", "n99999999", 1);
  expect_error<IoError>([&] { read_coop_layout("imagenet", root.string(), "images", "train"); },
                        {"n99999999", "is not in", "classnames.txt"});
}

// ImageNet-A/-R: 200 folders, labels 0..199 by sorted wnid, each name mapped from the 1,000-line
// classnames.txt by wnid; README.txt ignored; 199 folders or an unknown wnid is an error.
TEST(CoopLayouts, ImageNetAAndRMapTheir200ClassesByWnid) {
  TempDir dir;
  for (const auto& [layout, image_dir] : std::vector<std::pair<std::string, std::string>>{
           {"imagenet_a", "imagenet-a"}, {"imagenet_r", "imagenet-r"}}) {
    const fs::path root = dir.path() / layout;
    write_classnames(root);
    for (int i = 0; i < 1000; i += 5) write_folder(root / image_dir, wnid(i), 2);
    touch(root / image_dir / "README.txt");
    const CoopSplit split = read_coop_layout(layout, root.string(), image_dir, "test");
    ASSERT_EQ(split.class_names.size(), 200u) << layout;
    // Sorted wnids: wnid(995) = n00000005 first, i.e. "class 995"; label 199 is wnid(0).
    EXPECT_EQ(split.class_names[0], "class 995");
    EXPECT_EQ(split.class_names[199], "class 0");
    EXPECT_EQ(split.test.size(), 400u);
    EXPECT_EQ(split.test.back().label, 199);
    EXPECT_EQ(split.test.back().class_name, "class 0");
    EXPECT_EQ(coop_layout_class_names(layout, root.string(), image_dir), split.class_names);

    fs::remove_all(root / image_dir / wnid(5));
    expect_error<IoError>([&] { read_coop_layout(layout, root.string(), image_dir, "test"); },
                          {(root / image_dir).string(), "199 class folders; expected 200"});
    write_folder(root / image_dir, "n12345678", 1);
    expect_error<IoError>([&] { read_coop_layout(layout, root.string(), image_dir, "test"); },
                          {"class folder 'n12345678' is not in", "classnames.txt"});
  }
}

// ImageNet-V2: folder i is class i, named by line i of classnames.txt; a missing or non-label
// folder is named. ImageNet-Sketch: like ImageNet's train folder, all 1,000 required.
TEST(CoopLayouts, ImageNetV2AndSketch) {
  TempDir dir;
  const fs::path v2 = dir.path() / "imagenetv2";
  write_classnames(v2);
  const std::string v2_images = "imagenetv2-matched-frequency-format-val";
  for (int i = 0; i < 1000; ++i) write_folder(v2 / v2_images, std::to_string(i), 1);
  const CoopSplit split = read_coop_layout("imagenetv2", v2.string(), v2_images, "test");
  EXPECT_EQ(split.class_names[0], "class 0");  // file order, not sorted wnids
  EXPECT_EQ(split.test.size(), 1000u);
  EXPECT_EQ(split.test[17].label, 17);
  EXPECT_EQ(split.test[17].relpath, "17/img0.JPEG");
  fs::remove_all(v2 / v2_images / "17");
  expect_error<IoError>([&] { read_coop_layout("imagenetv2", v2.string(), v2_images, "test"); },
                        {"no class folder '17' (class 17)"});
  write_folder(v2 / v2_images, "17", 1);
  write_folder(v2 / v2_images, "1000", 1);
  expect_error<IoError>([&] { read_coop_layout("imagenetv2", v2.string(), v2_images, "test"); },
                        {"class folder '1000' is not a label 0..999"});

  const fs::path sketch = dir.path() / "imagenet-sketch";
  write_classnames(sketch);
  for (int i = 0; i < 1000; ++i) write_folder(sketch / "images", wnid(i), 1);
  const CoopSplit sketches = read_coop_layout("imagenet_sketch", sketch.string(), "images", "test");
  EXPECT_EQ(sketches.class_names.front(), "class 999");
  EXPECT_EQ(sketches.test.size(), 1000u);
  fs::remove_all(sketch / "images" / wnid(0));
  expect_error<IoError>(
      [&] { read_coop_layout("imagenet_sketch", sketch.string(), "images", "test"); },
      {"no class folder '" + wnid(0) + "' (class 0"});
}

TEST(CoopLayouts, FgvcAircraftVariantSplits) {
  TempDir dir;
  const fs::path root = dir.path() / "fgvc_aircraft";
  touch(root / "variants.txt");
  core::write_file_atomic((root / "variants.txt").string(), "707-320\nA300B4\nF/A-18\n");
  core::write_file_atomic((root / "images_variant_train.txt").string(),
                          "1025794 707-320\n1340192 F/A-18\n0056978 A300B4\n");
  core::write_file_atomic((root / "images_variant_val.txt").string(), "2000000 A300B4\n");
  core::write_file_atomic((root / "images_variant_test.txt").string(), "3000000 Boeing 747\n");
  const CoopSplit train = read_coop_layout("fgvc_aircraft", root.string(), "images", "train");
  EXPECT_EQ(train.class_names, (std::vector<std::string>{"707-320", "A300B4", "F/A-18"}));
  ASSERT_EQ(train.train.size(), 3u);
  EXPECT_EQ(train.train[1].relpath, "1340192.jpg");
  EXPECT_EQ(train.train[1].label, 2);
  EXPECT_EQ(train.train[2].relpath, "0056978.jpg");
  EXPECT_EQ(read_coop_layout("fgvc_aircraft", root.string(), "images", "val").val.size(), 1u);
  expect_error<IoError>(
      [&] { read_coop_layout("fgvc_aircraft", root.string(), "images", "test"); },
      {"images_variant_test.txt: line 1: variant 'Boeing 747' is not in variants.txt"});
}

// SVHN without split_SVHN.json: the split ZIP's seed-1 run writes, and for seeds 1 and 2 the
// few-shot draw after the shuffles ZIP makes on every run, all equal to Python's.
TEST(CoopLayouts, SvhnSplitAndFewShotEqualZips) {
  TempDir dir;
  const DataOptions options = data_options_for(dir);
  const fs::path root = fs::path(options.data_dir) / "coop" / "svhn";
  for (int digit = 0; digit < 10; ++digit) {
    for (int j = 0; j < 9 + digit; ++j) {
      touch(root / "train" / std::to_string(digit) / (std::to_string(digit * 100 + j) + ".jpg"));
    }
    for (int j = 0; j < 3 + digit % 4; ++j) {
      touch(root / "test" / std::to_string(digit) / (std::to_string(digit * 100 + j) + ".jpg"));
    }
  }
  for (const uint64_t seed : {1, 2}) {
    const json expected = run_reference({"svhn", root.string(), std::to_string(seed), "2"});
    const CoopSplit split = read_coop_layout("svhn", root.string(), "", "train");
    std::vector<std::string> train, val;
    for (const auto& item : split.train) train.push_back(item.relpath);
    for (const auto& item : split.val) val.push_back(item.relpath);
    EXPECT_EQ(train, expected.at("train").get<std::vector<std::string>>());
    EXPECT_EQ(val, expected.at("val").get<std::vector<std::string>>());
    const auto train_split = open_dataset("coop:SVHN", "train", options);
    const auto sample = sample_dataset_few_shot("coop:SVHN", *train_split, options, 2, seed);
    EXPECT_EQ(sample.train, expected.at("few_train").get<std::vector<int64_t>>()) << seed;
    EXPECT_EQ(sample.val, expected.at("few_val").get<std::vector<int64_t>>()) << seed;
  }
  EXPECT_EQ(open_dataset("coop:SVHN", "test", options)->size(), 43u);  // sum of 3 + digit % 4
  EXPECT_EQ(describe_dataset("coop:SVHN", options).class_names.size(), 10u);

  // With split_SVHN.json (paths under train/) the split comes from the file.
  core::write_file_atomic((root / "split_SVHN.json").string(),
                          testing::coop_split_json({{"0/0.jpg", 0, "0"}, {"1/100.jpg", 1, "1"}},
                                                   {{"0/1.jpg", 0, "0"}}, {}));
  // The file lists 2 classes, the folders 10: a clear error rather than silent relabelling.
  expect_error<IoError>([&] { read_coop_layout("svhn", root.string(), "", "train"); },
                        {"split_SVHN.json", "differ from the class folders"});
}

TEST(CoopLayouts, UnknownLayoutAndMissingFiles) {
  TempDir dir;
  expect_error<ConfigError>([&] { read_coop_layout("imagenet21k", dir / "x", "", "train"); },
                            {"layout 'imagenet21k' is unknown"});
  expect_error<IoError>([&] { read_coop_layout("imagenet", dir / "x", "images", "train"); },
                        {dir / "x/classnames.txt", "not found"});
  const DataOptions options = data_options_for(dir);
  expect_error<ConfigError>([&] { open_dataset("coop:ImageNetA", "test", options); },
                            {"coop:ImageNetA: not found in", "imagenet-adversarial"});
}

}  // namespace
}  // namespace bbpt::data
