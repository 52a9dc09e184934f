// SPDX-License-Identifier: MIT
// Config files are user input: every mistake names the file, the key and the value.
#include "bbpt/pretrain/pretrain_config.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::pretrain {
namespace {

std::string write_config(const std::string& name, const std::string& text) {
  const auto path =
      (std::filesystem::temp_directory_path() / ("bbpt_pretrain_" + name + ".yaml")).string();
  core::write_file_atomic(path, text);
  return path;
}

const char* kValid = R"(seed: 3
model: {embed_dim: 64, patch_size: 8, vision_width: 64, vision_layers: 1, text_width: 64, text_layers: 1}
train: {steps: 10, batch_size: 8}
datasets:
  - {name: mnist, captions: ["a digit {}."]}
)";

void expect_config_error(const std::string& text, const std::string& phrase) {
  const std::string path = write_config("bad", text);
  try {
    load_pretrain_config(path);
    FAIL() << "expected ConfigError for: " << text;
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(path), std::string::npos) << what;
    EXPECT_NE(what.find(phrase), std::string::npos) << what;
  }
}

TEST(PretrainConfig, ReadsValuesAndKeepsDefaults) {
  const auto config = load_pretrain_config(write_config("valid", kValid));
  EXPECT_EQ(config.seed, 3u);
  EXPECT_EQ(config.model.embed_dim, 64);
  EXPECT_EQ(config.model.image_resolution, 32);  // default
  EXPECT_EQ(config.train.steps, 10);
  EXPECT_DOUBLE_EQ(config.train.learning_rate, 1e-3);  // default
  ASSERT_EQ(config.datasets.size(), 1u);
  EXPECT_EQ(config.datasets[0].captions[0], "a digit {}.");
  EXPECT_NE(to_json(config).find("\"embed_dim\": 64"), std::string::npos);
}

TEST(PretrainConfig, ErrorsNameKeyAndValue) {
  expect_config_error(std::string(kValid) + "extra: 1\n", "unknown key 'extra'");
  expect_config_error("model: {patch_szie: 4}\ndatasets: [{name: a, captions: ['{}']}]\n",
                      "model.patch_szie");
  expect_config_error("train: {steps: many}\ndatasets: [{name: a, captions: ['{}']}]\n",
                      "train.steps");
  expect_config_error("model: {vision_width: 100}\ndatasets: [{name: a, captions: ['{}']}]\n",
                      "model.vision_width = 100");
  expect_config_error("datasets: [{name: a, captions: ['no slot']}]\n", "no {} slot");
  expect_config_error("datasets: [\n", "not valid YAML");
}

}  // namespace
}  // namespace bbpt::pretrain
