// SPDX-License-Identifier: MIT
// locate_asset must honour the documented search order (an explicit --assets beats the
// environment, which beats the checkout, which beats the cache), must never leave an
// unverified download under the final name, and must say everywhere it looked when it fails.
// Downloads use file:// URLs: these tests never touch the network.
#include "bbpt/assets/asset_locator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/sha256.h"

namespace bbpt::assets {
namespace {

namespace fs = std::filesystem;

/// A fresh folder per test, removed afterwards.
class AssetLocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("bbpt_assets_test_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string dir(const std::string& name) const { return (root_ / name).string(); }

  /// Writes dir(folder)/file_name holding contents and returns the folder.
  std::string put(const std::string& folder, const std::string& contents) {
    core::write_file_atomic(dir(folder) + "/" + spec_.file_name, contents);
    return dir(folder);
  }

  static std::vector<std::string> files_in(const std::string& folder) {
    std::vector<std::string> names;
    if (!fs::is_directory(folder)) return names;
    for (const auto& entry : fs::directory_iterator(folder)) {
      names.push_back(entry.path().filename().string());
    }
    return names;
  }

  static std::string error_of(const AssetSpec& spec, const AssetOptions& options) {
    try {
      locate_asset(spec, options);
    } catch (const IoError& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected IoError";
    return "";
  }

  fs::path root_;
  AssetSpec spec_{"vocab.txt.gz", "", ""};
};

TEST_F(AssetLocatorTest, SearchOrderIsAssetsThenEnvThenCheckoutThenCache) {
  AssetOptions options;
  options.allow_download = false;
  options.assets_dir = put("explicit", "1");
  options.env_assets_dir = put("env", "2");
  options.checkout_assets_dir = put("checkout", "3");
  options.cache_dir = put("cache", "4");
  const auto found = [&] { return core::read_file(locate_asset(spec_, options)); };
  EXPECT_EQ(found(), "1");
  fs::remove(dir("explicit") + "/" + spec_.file_name);
  EXPECT_EQ(found(), "2");
  options.env_assets_dir = "";  // empty entries are skipped
  EXPECT_EQ(found(), "3");
  options.checkout_assets_dir = dir("missing-folder");
  EXPECT_EQ(found(), "4");
  EXPECT_EQ(locate_asset(spec_, options), dir("cache") + "/" + spec_.file_name);
}

TEST_F(AssetLocatorTest, LocalCopiesAreNotChecksummed) {
  AssetOptions options;
  options.assets_dir = put("explicit", "a user's own copy");
  spec_.sha256 = std::string(64, '0');
  EXPECT_EQ(core::read_file(locate_asset(spec_, options)), "a user's own copy");
}

TEST_F(AssetLocatorTest, VerifiedDownloadLandsInTheCache) {
  const std::string contents = "pretend vocabulary\n";
  const std::string source = put("server", contents) + "/" + spec_.file_name;
  spec_.url = "file://" + source;
  spec_.sha256 = core::sha256_hex(contents);
  AssetOptions options;
  options.cache_dir = dir("cache/nested");  // created on demand
  const std::string path = locate_asset(spec_, options);
  EXPECT_EQ(path, options.cache_dir + "/" + spec_.file_name);
  EXPECT_EQ(core::read_file(path), contents);
  EXPECT_EQ(files_in(options.cache_dir), std::vector<std::string>{spec_.file_name});  // no temp
  fs::remove(source);  // the second call is served from the cache
  EXPECT_EQ(locate_asset(spec_, options), path);
}

TEST_F(AssetLocatorTest, WrongChecksumIsAnErrorAndLeavesNothing) {
  const std::string source = put("server", "tampered") + "/" + spec_.file_name;
  spec_.url = "file://" + source;
  spec_.sha256 = core::sha256_hex("the real thing");
  AssetOptions options;
  options.cache_dir = dir("cache");
  const std::string error = error_of(spec_, options);
  EXPECT_NE(error.find("sha256"), std::string::npos) << error;
  EXPECT_NE(error.find(spec_.sha256), std::string::npos) << error;
  EXPECT_TRUE(files_in(options.cache_dir).empty());
}

TEST_F(AssetLocatorTest, FailedDownloadIsReportedAndLeavesNothing) {
  spec_.url = "file://" + dir("server") + "/absent.gz";
  spec_.sha256 = std::string(64, 'a');
  AssetOptions options;
  options.cache_dir = dir("cache");
  const std::string error = error_of(spec_, options);
  EXPECT_NE(error.find("download " + spec_.url + " failed: "), std::string::npos) << error;
  EXPECT_TRUE(files_in(options.cache_dir).empty());
}

TEST_F(AssetLocatorTest, NothingFoundListsEveryPlaceOnOneLine) {
  AssetOptions options;
  options.env_assets_dir = dir("env");
  fs::create_directories(options.env_assets_dir);
  options.checkout_assets_dir = dir("no-checkout");
  options.cache_dir = dir("cache");
  options.allow_download = false;
  const std::string error = error_of(spec_, options);
  for (const std::string& expected :
       {spec_.file_name + " not found: --assets (not set); ",
        "BBPT_ASSETS=" + options.env_assets_dir + " (no such file); ",
        options.checkout_assets_dir + " (no such folder); ",
        "cache " + options.cache_dir + " (no such folder); ", std::string("download (disabled)"),
        std::string("Pass --assets DIR or set BBPT_ASSETS")}) {
    EXPECT_NE(error.find(expected), std::string::npos) << "'" << expected << "' not in: " << error;
  }
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST_F(AssetLocatorTest, DownloadNeedsACacheFolderAndAChecksum) {
  spec_.url = "file://" + dir("server") + "/" + spec_.file_name;
  AssetOptions options;
  EXPECT_NE(error_of(spec_, options).find("no cache folder"), std::string::npos);
  options.cache_dir = dir("cache");
  EXPECT_NE(error_of(spec_, options).find("no sha256"), std::string::npos);
}

TEST(ClipVocabAsset, NamesTheOpenAiFile) {
  EXPECT_EQ(kClipVocabAsset.file_name, "bpe_simple_vocab_16e6.txt.gz");
  EXPECT_EQ(kClipVocabAsset.sha256.size(), 64u);
  EXPECT_EQ(kClipVocabAsset.url.rfind("https://", 0), 0u);
}

TEST(ClipVocabAsset, SharedCopyHasTheExpectedChecksum) {
  const std::string path = BBPT_SHARED_DIR "/assets/" + kClipVocabAsset.file_name;
  if (!core::is_regular_file(path)) GTEST_SKIP() << path << " not available";
  EXPECT_EQ(core::sha256_file(path), kClipVocabAsset.sha256);
}

}  // namespace
}  // namespace bbpt::assets
