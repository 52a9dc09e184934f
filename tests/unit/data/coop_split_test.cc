// SPDX-License-Identifier: MIT
// CoOp split files: the seven shipped files parse with the CoOp paper's train/val/test counts,
// labels 0..C-1 and class names by label (underscores kept, since CoOp replaces them only at
// prompt time); malformed files are an IoError naming the file; images load lazily from
// <image_dir>/<relpath> and a missing one is an IoError naming it.
#include "bbpt/data/coop_split.h"

#include <gtest/gtest.h>

#include "data_test_files.h"

namespace bbpt::data {
namespace {

using testing::expect_error;
using testing::TempDir;

struct ExpectedSplit {
  const char* file;
  size_t num_train, num_val, num_test, num_classes;
  const char* first_class;
  const char* last_class;
};

// Counts from algorithms.md section 1.4 (CoOp's table) and names as stored in the files.
const ExpectedSplit kExpected[] = {
    {"split_zhou_Caltech101.json", 4128, 1649, 2465, 100, "face", "yin_yang"},
    {"split_zhou_DescribableTextures.json", 2820, 1128, 1692, 47, "banded", "zigzagged"},
    {"split_zhou_EuroSAT.json", 13500, 5400, 8100, 10, "Annual Crop Land", "Sea or Lake"},
    {"split_zhou_OxfordFlowers.json", 4093, 1633, 2463, 102, "pink primrose", "blackberry lily"},
    {"split_zhou_OxfordPets.json", 2944, 736, 3669, 37, "abyssinian", "yorkshire_terrier"},
    {"split_zhou_StanfordCars.json", 6509, 1635, 8041, 196, "2000 AM General Hummer SUV",
     "2012 smart fortwo Convertible"},
    {"split_zhou_UCF101.json", 7639, 1898, 3783, 101, "Apply_Eye_Makeup", "Yo_Yo"},
};

TEST(CoopSplit, SharedSplitFilesHaveCoopCounts) {
  const std::string dir = testing::kAssetsDir + "/splits/";
  if (!core::is_regular_file(dir + "split_zhou_EuroSAT.json")) GTEST_SKIP() << "no shared assets";
  for (const auto& expected : kExpected) {
    SCOPED_TRACE(expected.file);
    const CoopSplit split = read_coop_split(dir + expected.file);
    EXPECT_EQ(split.train.size(), expected.num_train);
    EXPECT_EQ(split.val.size(), expected.num_val);
    EXPECT_EQ(split.test.size(), expected.num_test);
    ASSERT_EQ(split.class_names.size(), expected.num_classes);
    EXPECT_EQ(split.class_names.front(), expected.first_class);
    EXPECT_EQ(split.class_names.back(), expected.last_class);
    for (const auto* items : {&split.train, &split.val, &split.test}) {
      for (const auto& item : *items) {
        ASSERT_GE(item.label, 0);
        ASSERT_LT(item.label, static_cast<int>(expected.num_classes));
      }
    }
  }
}

TEST(CoopSplit, MalformedFilesNameTheFile) {
  TempDir dir;
  const auto check = [&](const std::string& name, const std::string& text,
                         const std::vector<std::string>& needles) {
    core::write_file_atomic(dir / name, text);
    std::vector<std::string> all = needles;
    all.push_back(dir / name);
    expect_error<IoError>([&] { read_coop_split(dir / name); }, all);
  };
  check("truncated.json", "{\"train\": [[\"a.jpg\", 0, \"cat\"]", {"not valid JSON"});
  check("list.json", "[1, 2]", {"expected an object"});
  check("noval.json", "{\"train\": [[\"a.jpg\", 0, \"cat\"]], \"test\": []}", {"no \"val\" list"});
  check("entry.json", "{\"train\": [[\"a.jpg\", \"0\", \"cat\"]], \"val\": [], \"test\": []}",
        {"train[0]", "[relative_path, integer_label, classname]"});
  check("gap.json", testing::coop_split_json({{"a.jpg", 0, "cat"}, {"b.jpg", 2, "dog"}}, {}, {}),
        {"no train image has label 1"});
  check("twonames.json",
        testing::coop_split_json({{"a.jpg", 0, "cat"}, {"b.jpg", 0, "dog"}}, {}, {}),
        {"label 0 is both 'cat' and 'dog'"});
  check("range.json", testing::coop_split_json({{"a.jpg", 0, "cat"}}, {}, {{"t.jpg", 1, "dog"}}),
        {"test label 1 of t.jpg is out of range", "expected 0..0"});
  check("rename.json",
        testing::coop_split_json({{"a.jpg", 0, "cat"}}, {{"v.jpg", 0, "kitten"}}, {}),
        {"val label 0 is 'kitten' but train calls it 'cat'"});
}

// An entry is a path under the image folder: one that is absolute or leaves the folder after
// normalisation would make bbpt read (and hash, and show) any file of the machine, so it is a
// ConfigError naming the file, the entry and the path, and a path that only wanders inside is fine.
TEST(CoopSplit, EntriesOutsideTheImageFolderAreRefused) {
  TempDir dir;
  const auto check = [&](const std::string& name, const std::string& bad, const std::string& entry,
                         bool in_test) {
    const testing::SplitRows items = {{bad, 0, "cat"}};
    const testing::SplitRows ok = {{"cat/a.jpg", 0, "cat"}};
    core::write_file_atomic(dir / name, in_test ? testing::coop_split_json(ok, {}, items)
                                                : testing::coop_split_json(items, {}, {}));
    expect_error<ConfigError>(
        [&] { read_coop_split(dir / name); },
        {dir / name, entry, "'" + bad + "'", "inside the dataset's image folder"});
  };
  check("absolute.json", "/a.jpg", "train[0]", false);
  check("dotdot.json", "../../../../etc/passwd", "train[0]", false);
  check("sneaky.json", "cat/../../outside.jpg", "test[0]", true);
  check("empty.json", "", "train[0]", false);
  check("dot.json", "cat/..", "train[0]", false);
  core::write_file_atomic(dir / "inside.json",
                          testing::coop_split_json({{"cat/../cat/./a.jpg", 0, "cat"}}, {}, {}));
  EXPECT_EQ(read_coop_split(dir / "inside.json").train.at(0).relpath, "cat/../cat/./a.jpg");
}

TEST(CoopSplit, DatasetLoadsImagesLazilyFromImageDir) {
  const std::string jpeg = testing::sample_jpeg();
  if (jpeg.empty()) GTEST_SKIP() << "no shared assets";
  TempDir dir;
  std::filesystem::create_directories(dir.path() / "images" / "Sea_Lake");
  std::filesystem::copy_file(jpeg, dir / "images/Sea_Lake/1.jpg");
  core::write_file_atomic(dir / "images/Sea_Lake/broken.jpg", "\xff\xd8\xff not really");
  core::write_file_atomic(dir / "split.json",
                          testing::coop_split_json({{"Sea_Lake/1.jpg", 0, "Sea or Lake"},
                                                    {"x/2.jpg", 1, "Apply_Eye_Makeup"}},
                                                   {{"Sea_Lake/1.jpg", 0, "Sea or Lake"}},
                                                   {{"Sea_Lake/1.jpg", 0, "Sea or Lake"},
                                                    {"Sea_Lake/broken.jpg", 0, "Sea or Lake"},
                                                    {"x/missing.jpg", 1, "Apply_Eye_Makeup"}}));
  const CoopSplit split = read_coop_split(dir / "split.json");
  EXPECT_EQ(split.class_names, (std::vector<std::string>{"Sea or Lake", "Apply_Eye_Makeup"}));
  const CoopSplitDataset test(split, "test", dir / "images", "coop:Tiny-test");
  ASSERT_EQ(test.size(), 3u);
  EXPECT_EQ(test.name(), "coop:Tiny-test");
  EXPECT_EQ(test.label(2), 1);
  EXPECT_EQ(test.path(0), dir / "images/Sea_Lake/1.jpg");
  const image::Image img = test.load_image(0);
  EXPECT_EQ(img.width, 32);
  EXPECT_EQ(img.height, 32);
  expect_error<IoError>([&] { test.load_image(1); }, {dir / "images/Sea_Lake/broken.jpg"});
  expect_error<IoError>([&] { test.load_image(2); }, {dir / "images/x/missing.jpg"});
  expect_error<IoError>([&] { test.fingerprint(); }, {dir / "images/x/missing.jpg"});
  const CoopSplitDataset val(split, "val", dir / "images", "coop:Tiny-val");
  EXPECT_EQ(val.fingerprint().size(), 64u);
  expect_error<ConfigError>([&] { CoopSplitDataset(split, "dev", dir / "images", "x"); },
                            {"split 'dev'"});
}

}  // namespace
}  // namespace bbpt::data
