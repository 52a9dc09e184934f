// SPDX-License-Identifier: MIT
// PythonRandom and the Dassl sampler against Python's own `random` (Debian's /usr/bin/python3
// running dassl_reference.py): the primitives on seeds that take one and two key words, and the
// CoOp few-shot draws on every split file in ../shared/assets/splits, seeds 1-3, K in
// {1, 2, 4, 8, 16}, train and val. Equality is exact: the point is to train on the same images
// as the official runs.
#include "bbpt/data/dassl_few_shot.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bbpt/core/error.h"
#include "bbpt/data/coop_split.h"
#include "bbpt/data/python_random.h"
#include "data_test_files.h"
#include "run_fixture.h"

namespace bbpt::data {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kPython = "/usr/bin/python3";
const std::string kReference = std::string(BBPT_SOURCE_DIR) + "/tests/unit/data/dassl_reference.py";

/// Runs the reference script; fails the test (not skips: CI installs Debian's python3) if it
/// cannot.
json run_reference(std::vector<std::string> args) {
  args.insert(args.begin(), {kPython, kReference});
  const auto exit = bbpt::testing::run_to_end(args);
  EXPECT_EQ(exit.code, 0) << exit.output.substr(0, 2000);
  return json::parse(exit.output);
}

std::vector<int64_t> as_indices(const std::vector<size_t>& positions) {
  return {positions.begin(), positions.end()};
}

std::vector<int> labels_of(const std::vector<CoopSplitItem>& items) {
  std::vector<int> labels;
  for (const auto& item : items) labels.push_back(item.label);
  return labels;
}

TEST(PythonRandom, PrimitivesEqualCPython) {
  for (const auto& expected : run_reference({"primitives"})) {
    // random.seed(n) seeds with |n|; the JSON seeds fit in int64 except 2**64 - 1.
    const auto& seed = expected.at("seed");
    const uint64_t magnitude = seed.is_number_unsigned()
                                   ? seed.get<uint64_t>()
                                   : static_cast<uint64_t>(std::llabs(seed.get<int64_t>()));
    SCOPED_TRACE("seed " + seed.dump());
    PythonRandom rng(magnitude);
    for (const auto& word : expected.at("u32")) EXPECT_EQ(rng.next_u32(), word.get<uint32_t>());
    const int bit_counts[] = {0, 1, 7, 31, 33, 64};
    for (size_t i = 0; i < 6; ++i) {
      EXPECT_EQ(rng.getrandbits(bit_counts[i]), expected.at("bits")[i].get<uint64_t>())
          << "getrandbits(" << bit_counts[i] << ")";
    }
    for (const auto& value : expected.at("random")) {
      EXPECT_EQ(rng.random(), std::strtod(value.get<std::string>().c_str(), nullptr));
    }
    const uint64_t bounds[] = {1, 2, 3, 5, 1000, (1ULL << 31) + 1, 1ULL << 40};
    for (size_t i = 0; i < 7; ++i) {
      EXPECT_EQ(rng.randbelow(bounds[i]), expected.at("randbelow")[i].get<uint64_t>())
          << "randbelow(" << bounds[i] << ")";
    }
    for (const auto& draw : expected.at("sample")) {
      const auto n = draw[0].get<size_t>();
      const auto k = draw[1].get<size_t>();
      EXPECT_EQ(as_indices(rng.sample(n, k)), draw[2].get<std::vector<int64_t>>())
          << "sample(range(" << n << "), " << k << "), setsize " << python_sample_setsize(k);
    }
    EXPECT_EQ(as_indices(rng.choices(7, 9)), expected.at("choices").get<std::vector<int64_t>>());
    std::vector<int64_t> items(50);
    for (size_t i = 0; i < items.size(); ++i) items[i] = static_cast<int64_t>(i);
    rng.shuffle(items);
    EXPECT_EQ(items, expected.at("shuffle").get<std::vector<int64_t>>());
    EXPECT_EQ(rng.next_u32(), expected.at("after").get<uint32_t>()) << "stream out of step";
  }
}

// Both of random.sample's branches are taken by the real splits (e.g. DTD's 24 val items per
// class at K = 4 go to the set branch, 60 train items at K = 16 to the pool branch).
TEST(PythonRandom, SampleSetsizeIsCPythons) {
  EXPECT_EQ(python_sample_setsize(1), 21U);
  EXPECT_EQ(python_sample_setsize(5), 21U);
  EXPECT_EQ(python_sample_setsize(6), 21U + 64U);
  EXPECT_EQ(python_sample_setsize(16), 21U + 64U);
  EXPECT_EQ(python_sample_setsize(22), 21U + 256U);
}

TEST(DasslFewShot, EverySplitFileSeedAndShotsEqualsPython) {
  const fs::path dir = fs::path(testing::kAssetsDir) / "splits";
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  ASSERT_EQ(paths.size(), 7U) << "expected the 7 CoOp split files in " << dir;
  std::vector<std::string> args = {"splits"};
  args.insert(args.end(), paths.begin(), paths.end());
  const json expected = run_reference(args);
  int num_cases = 0;
  for (const auto& path : paths) {
    const CoopSplit split = read_coop_split(path);
    const auto train_labels = labels_of(split.train);
    const auto val_labels = labels_of(split.val);
    for (const auto& c : expected.at(path)) {
      const int shots = c.at("shots").get<int>();
      const auto seed = c.at("seed").get<uint64_t>();
      const auto sample =
          sample_few_shot_dassl(train_labels, &val_labels, shots, seed, fs::path(path).stem());
      EXPECT_EQ(sample.train, c.at("train").get<std::vector<int64_t>>())
          << path << " seed " << seed << " K " << shots << " train";
      EXPECT_EQ(sample.val, c.at("val").get<std::vector<int64_t>>())
          << path << " seed " << seed << " K " << shots << " val";
      EXPECT_EQ(sample.sampler, kDasslSampler);
      EXPECT_EQ(sample.val_split, "val");
      EXPECT_EQ(sample.train.size(), split.class_names.size() * static_cast<size_t>(shots));
      ++num_cases;
    }
  }
  EXPECT_EQ(num_cases, 7 * 3 * 5);
}

// Classes out of label order, classes smaller than K (random.choices, repeated indices) and
// shuffles drawn before the sample (ZIP's SVHN) keep the stream in step with Python's.
TEST(DasslFewShot, PreambleShufflesAndRepeatsEqualPython) {
  const json expected = run_reference({"labels"});
  const auto train_labels = expected.at("train_labels").get<std::vector<int>>();
  const auto val_labels = expected.at("val_labels").get<std::vector<int>>();
  DasslPreamble preamble;
  preamble.shuffle_lengths = expected.at("shuffles").get<std::vector<size_t>>();
  for (const auto& c : expected.at("cases")) {
    const int shots = c.at("shots").get<int>();
    const auto seed = c.at("seed").get<uint64_t>();
    const auto sample =
        sample_few_shot_dassl(train_labels, &val_labels, shots, seed, "toy", preamble);
    EXPECT_EQ(sample.train, c.at("train").get<std::vector<int64_t>>()) << "seed " << seed;
    EXPECT_EQ(sample.val, c.at("val").get<std::vector<int64_t>>()) << "seed " << seed;
    if (shots >= 4) {
      EXPECT_FALSE(sample.notes.empty()) << "class 5 has 3 train items";
    }
  }
}

TEST(DasslFewShot, WithoutValDrawsTrainOnlyAndRejectsZeroShots) {
  const std::vector<int> labels = {0, 0, 1, 1, 1};
  const auto sample = sample_few_shot_dassl(labels, nullptr, 2, 1, "imagenet-like");
  EXPECT_EQ(sample.train.size(), 4U);
  EXPECT_TRUE(sample.val.empty());
  EXPECT_EQ(sample.val_split, "none");
  EXPECT_THROW(sample_few_shot_dassl(labels, nullptr, 0, 1, "x"), ConfigError);
}

// A Dassl sample round-trips through its index file, repeats and all, and the file says which
// sampler made it; a bbpt-format file without the new fields still reads as sampler "bbpt".
TEST(DasslFewShot, IndexFileRecordsSamplerAndValSplit) {
  testing::TempDir dir;
  const std::vector<int> train_labels = {0, 1, 1, 1, 1};
  const std::vector<int> val_labels = {1, 0, 1};
  const auto sample = sample_few_shot_dassl(train_labels, &val_labels, 3, 2, "toy");
  const std::string path = dir / "shot_3-seed_2.json";
  write_few_shot_file(path, sample);
  const std::string text = core::read_file(path);
  EXPECT_NE(text.find("\"sampler\": \"dassl\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"val_split\": \"val\""), std::string::npos) << text;
  const auto back = read_few_shot_file(path, train_labels.size(), val_labels.size());
  EXPECT_EQ(back.train, sample.train);
  EXPECT_EQ(back.val, sample.val);
  EXPECT_EQ(back.sampler, kDasslSampler);
  EXPECT_EQ(back.val_split, "val");
  // val indexes the val split: 3 items there, so a bound of 1 rejects it, naming the split.
  try {
    read_few_shot_file(path, train_labels.size(), 1);
    ADD_FAILURE() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("the size of the val split"), std::string::npos)
        << e.what();
  }

  core::write_file_atomic(dir / "old.json",
                          R"({"shots": 1, "seed": 1, "train": [0, 2], "val": [1]})");
  const auto old = read_few_shot_file(dir / "old.json", 3);
  EXPECT_EQ(old.sampler, kBbptSampler);
  EXPECT_EQ(old.val_split, "train");

  core::write_file_atomic(
      dir / "bad.json", R"({"sampler": "numpy", "shots": 1, "seed": 1, "train": [0], "val": []})");
  try {
    read_few_shot_file(dir / "bad.json", 3);
    ADD_FAILURE() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("field 'sampler' = \"numpy\""), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bbpt::data
