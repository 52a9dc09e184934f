// SPDX-License-Identifier: MIT
// Base-to-new class subsets as Dassl's subsample_classes: base = the first ceil(n/2) sorted labels,
// new = the rest, relabelled 0..m-1, every split keeping only their items in order.
#include "bbpt/data/class_subset.h"

#include <gtest/gtest.h>

#include "bbpt/core/error.h"
#include "bbpt/data/in_memory_dataset.h"

namespace bbpt::data {
namespace {

std::unique_ptr<ImageDataset> five_class_split() {
  PixelBuffer pixels;
  pixels.width = 1;
  pixels.height = 1;
  const std::vector<int> labels = {4, 0, 2, 1, 3, 2, 0, 4};
  for (size_t i = 0; i < labels.size(); ++i) pixels.pixels.push_back(static_cast<uint8_t>(i));
  return std::make_unique<InMemoryDataset>("toy-train", pixels, labels,
                                           std::vector<std::string>{"a", "b", "c", "d", "e"});
}

TEST(ClassSubset, BaseIsTheFirstCeilHalfAndNewTheRest) {
  EXPECT_EQ(subset_labels(5, ClassSubset::kBase, "toy"), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(subset_labels(5, ClassSubset::kNew, "toy"), (std::vector<int>{3, 4}));
  EXPECT_EQ(subset_labels(4, ClassSubset::kBase, "toy"), (std::vector<int>{0, 1}));
  EXPECT_EQ(subset_labels(4, ClassSubset::kNew, "toy"), (std::vector<int>{2, 3}));
  EXPECT_EQ(subset_labels(3, ClassSubset::kAll, "toy"), (std::vector<int>{0, 1, 2}));
  // ImageNet's 1,000 classes: 500 base, 500 new; 37 OxfordPets classes: 19 base, 18 new.
  EXPECT_EQ(subset_labels(1000, ClassSubset::kBase, "i").size(), 500u);
  EXPECT_EQ(subset_labels(37, ClassSubset::kBase, "p").size(), 19u);
  EXPECT_EQ(subset_labels(37, ClassSubset::kNew, "p").front(), 19);
  EXPECT_EQ(subset_class_names({"a", "b", "c", "d", "e"}, ClassSubset::kNew, "toy"),
            (std::vector<std::string>{"d", "e"}));
  EXPECT_THROW(subset_labels(1, ClassSubset::kNew, "toy"), ConfigError);
}

TEST(ClassSubset, ParsingNamesWhereAndTheValidValues) {
  EXPECT_EQ(parse_class_subset("base", "x"), ClassSubset::kBase);
  EXPECT_EQ(to_string(parse_class_subset("new", "x")), "new");
  try {
    parse_class_subset("old", "sweep.yaml:3");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("sweep.yaml:3: classes = 'old': expected all, base"),
              std::string::npos)
        << e.what();
  }
}

TEST(ClassSubset, DatasetKeepsTheItemsOfItsClassesRelabelledInOrder) {
  const ClassSubsetDataset base(five_class_split(), ClassSubset::kBase);
  // Items with labels 0, 1, 2 in the parent's order: 1 (0), 2 (2), 3 (1), 5 (2), 6 (0).
  ASSERT_EQ(base.size(), 5u);
  EXPECT_EQ(base.label(0), 0);
  EXPECT_EQ(base.label(1), 2);
  EXPECT_EQ(base.label(2), 1);
  EXPECT_EQ(base.class_names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(base.position_of(5), 3);
  EXPECT_EQ(base.position_of(0), -1);  // label 4 is a new class
  EXPECT_EQ(base.load_image(1).rgb[0], 2);
  EXPECT_EQ(base.name(), "toy-train-base");

  const ClassSubsetDataset fresh(five_class_split(), ClassSubset::kNew);
  ASSERT_EQ(fresh.size(), 3u);  // items 0 (4), 4 (3), 7 (4)
  EXPECT_EQ(fresh.label(0), 1);
  EXPECT_EQ(fresh.label(1), 0);
  EXPECT_EQ(fresh.class_names(), (std::vector<std::string>{"d", "e"}));
  EXPECT_NE(fresh.fingerprint(), base.fingerprint());
  EXPECT_NE(base.fingerprint(), five_class_split()->fingerprint());
}

}  // namespace
}  // namespace bbpt::data
