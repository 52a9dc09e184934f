// SPDX-License-Identifier: MIT
// Method configs: values come from the file, then --set overrides; a wrong type, a duplicate or an
// unknown key is an error that names the file, the line and the key, so a typo never silently runs
// the default.
#include "bbpt/run/run_config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace {
namespace fs = std::filesystem;
using bbpt::run::RunConfig;

std::string write_yaml(const std::string& name, const std::string& text) {
  const auto path =
      (fs::temp_directory_path() / ("bbpt_run_config_test_" + name + ".yaml")).string();
  bbpt::core::write_file_atomic(path, text);
  return path;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const bbpt::Error& e) {
    return e.what();
  }
  return "";
}

TEST(RunConfig, FileValuesOverridesAndDefaults) {
  auto config = RunConfig::from_file(
      write_yaml("values", "method: zip\nbudget: 5000\nspsa_c: 0.01\nclip: intrinsic\n"));
  config.set("budget=200");
  config.set("spsa_c=2e-2");
  EXPECT_EQ(config.get_string("method", ""), "zip");
  EXPECT_EQ(config.get_int("budget", 1), 200);
  EXPECT_DOUBLE_EQ(config.get_double("spsa_c", 0), 0.02);
  EXPECT_EQ(config.get_string("clip", ""), "intrinsic");
  EXPECT_EQ(config.get_int("rank", 5), 5) << "absent key: the options struct's default";
  EXPECT_NO_THROW(config.reject_unread());
  EXPECT_EQ(config.resolved()["budget"], 200);
  EXPECT_EQ(config.resolved()["rank"], 5);
  config.set("batch_size=5e3");  // integral floats are integers
  EXPECT_EQ(config.get_int("batch_size", 1), 5000);
}

TEST(RunConfig, TypeErrorNamesFileLineKeyAndValue) {
  const auto path = write_yaml("types", "method: zip\nbudget: lots\n");
  auto config = RunConfig::from_file(path);
  const auto message = error_of([&] { config.get_int("budget", 1); });
  EXPECT_NE(message.find(path + ":2"), std::string::npos) << message;
  EXPECT_NE(message.find("budget"), std::string::npos) << message;
  EXPECT_NE(message.find("'lots'"), std::string::npos) << message;
  config.set("shared_feature=maybe");
  EXPECT_NE(
      error_of([&] { config.get_bool("shared_feature", true); }).find("--set shared_feature=maybe"),
      std::string::npos);
}

TEST(RunConfig, UnknownAndDuplicateKeysAreRejected) {
  const auto path = write_yaml("unknown", "method: zip\nbudjet: 100\n");
  auto config = RunConfig::from_file(path);
  config.get_string("method", "");
  config.get_int("budget", 5000);
  const auto message = error_of([&] { config.reject_unread(); });
  EXPECT_NE(message.find(path + ":2: budjet"), std::string::npos) << message;

  const auto dup = write_yaml("dup", "budget: 1\nbudget: 2\n");
  const auto dup_message = error_of([&] { RunConfig::from_file(dup); });
  EXPECT_NE(dup_message.find("budget"), std::string::npos) << dup_message;
  EXPECT_NE(error_of([&] {
              RunConfig::from_file("/nonexistent/zip.yaml");
            }).find("/nonexistent/zip.yaml"),
            std::string::npos);
  EXPECT_NE(error_of([&] { RunConfig::empty().set("novalue"); }).find("key=value"),
            std::string::npos);
}

// The resolved config is shown and stored (config.json, the trial's identity): a URL's credentials
// must not be in it, while the value the endpoint is opened with keeps them.
TEST(RunConfig, ResolvedConfigAndMessagesHideUrlCredentials) {
  auto config = RunConfig::from_file(
      write_yaml("urls", "method: llm-opt\nllm_base_url: http://u:s3cret@h:8000/v1\n"));
  config.set("vision_base_url=http://h/v1?api_key=k3y");
  EXPECT_EQ(config.get_string("llm_base_url", ""), "http://u:s3cret@h:8000/v1");
  EXPECT_EQ(config.get_string("vision_base_url", ""), "http://h/v1?api_key=k3y");
  EXPECT_EQ(config.resolved()["llm_base_url"], "http://***@h:8000/v1");
  EXPECT_EQ(config.resolved()["vision_base_url"], "http://h/v1?api_key=***");
  EXPECT_EQ(config.where("vision_base_url"), "--set vision_base_url=http://h/v1?api_key=***");
  config.set("llm_timeout_s=http://u:s3cret@h");
  const auto message = error_of([&] { config.get_double("llm_timeout_s", 1); });
  EXPECT_NE(message.find("llm_timeout_s"), std::string::npos) << message;
  EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
}

}  // namespace
