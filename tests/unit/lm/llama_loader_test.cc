// SPDX-License-Identifier: MIT
// Loading Hugging Face checkpoint directories: single file and shards, bf16 widened to fp32, and
// every malformed input refused with one line naming the file and what is wrong (missing shard, an
// index naming a missing file, a tensor whose shape disagrees with config.json, another
// architecture, an unknown rope_scaling).
#include <gtest/gtest.h>

#include "bbpt/core/error.h"
#include "bbpt/lm/llama_model.h"
#include "lm_test_util.h"

namespace bbpt::lm {
namespace {

using namespace testing;

std::string load_error(const std::string& path) {
  try {
    LlamaModel::load(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(LlamaLoader, SingleFileBf16LoadsAndMatchesShards) {
  const std::string single = write_hf_checkpoint("single", small_config_json(), "BF16");
  const LlamaModel a = LlamaModel::load(single);
  EXPECT_EQ(a.config().num_layers, 3);
  EXPECT_EQ(a.config().eos_ids, (std::vector<int64_t>{2}));
  EXPECT_EQ(a.weights().embed_tokens.scalar_type(), torch::kFloat32);

  // The same tensors in two shards named by an index.
  const std::string sharded = temp_dir("sharded");
  core::write_file_atomic(sharded + "/config.json", small_config_json().dump());
  const auto tensors = random_hf_tensors(parse_hf_config(sharded + "/config.json", ""));
  std::map<std::string, torch::Tensor> first, second;
  nlohmann::json map = nlohmann::json::object();
  for (const auto& [name, t] : tensors) {
    const bool in_first = name.find("layers.2") == std::string::npos && name != "lm_head.weight";
    (in_first ? first : second)[name] = t;
    map[name] = in_first ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
  }
  write_safetensors(sharded + "/model-00001-of-00002.safetensors", first, "BF16");
  write_safetensors(sharded + "/model-00002-of-00002.safetensors", second, "BF16");
  core::write_file_atomic(sharded + "/model.safetensors.index.json",
                          nlohmann::json{{"weight_map", map}}.dump());
  const LlamaModel b = LlamaModel::load(sharded);
  const torch::Tensor ids = torch::tensor({{1, 5, 9, 3}}, torch::kInt64);
  EXPECT_TRUE(torch::equal(a.logits(ids), b.logits(ids)));
}

TEST(LlamaLoader, IndexNamingAMissingShardIsRefused) {
  const std::string dir = temp_dir("missing_shard");
  core::write_file_atomic(dir + "/config.json", small_config_json().dump());
  core::write_file_atomic(
      dir + "/model.safetensors.index.json",
      R"({"weight_map":{"model.embed_tokens.weight":"model-00001-of-00002.safetensors"}})");
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find("model.safetensors.index.json: weight_map names shard "
                     "'model-00001-of-00002.safetensors'"),
            std::string::npos)
      << msg;
}

TEST(LlamaLoader, NoWeightsAtAllIsRefused) {
  const std::string dir = temp_dir("no_weights");
  core::write_file_atomic(dir + "/config.json", small_config_json().dump());
  EXPECT_NE(load_error(dir).find("neither model.safetensors nor model.safetensors.index.json"),
            std::string::npos);
  EXPECT_NE(load_error(temp_dir("no_config")).find("no config.json"), std::string::npos);
}

TEST(LlamaLoader, ShapeDisagreeingWithConfigNamesTheTensor) {
  nlohmann::json config = small_config_json();
  const std::string dir = write_hf_checkpoint("shape", config);
  config["intermediate_size"] = 40;  // the file holds 48
  core::write_file_atomic(dir + "/config.json", config.dump());
  const std::string msg = load_error(dir);
  EXPECT_NE(msg.find("tensor 'model.layers.0.mlp.gate_proj.weight' has shape [48, 32] but "
                     "config.json implies [40, 32]"),
            std::string::npos)
      << msg;
  config = small_config_json();
  config["num_hidden_layers"] = 2;  // the file holds 3
  core::write_file_atomic(dir + "/config.json", config.dump());
  EXPECT_NE(load_error(dir).find("holds layer 2 but config.json says 2 layers"), std::string::npos);
}

TEST(LlamaLoader, ConfigErrorsNameFieldAndValue) {
  const std::string dir = write_hf_checkpoint("config_errors", small_config_json());
  nlohmann::json config = small_config_json();
  config["model_type"] = "mistral";
  core::write_file_atomic(dir + "/config.json", config.dump());
  EXPECT_NE(load_error(dir).find("model_type 'mistral' is not supported"), std::string::npos);
  config = small_config_json();
  config["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  core::write_file_atomic(dir + "/config.json", config.dump());
  EXPECT_NE(load_error(dir).find("rope_scaling type 'yarn' is not supported"), std::string::npos);
  config = small_config_json();
  config.erase("hidden_size");
  core::write_file_atomic(dir + "/config.json", config.dump());
  EXPECT_NE(load_error(dir).find("field 'hidden_size' is missing"), std::string::npos);
}

TEST(LlamaLoader, GenerationConfigSuppliesEveryEosId) {
  const std::string dir = write_hf_checkpoint("generation_config", small_config_json());
  core::write_file_atomic(dir + "/generation_config.json",
                          R"({"eos_token_id": [2, 7], "bos_token_id": 1})");
  EXPECT_EQ(LlamaModel::load(dir).config().eos_ids, (std::vector<int64_t>{2, 7}));
}

TEST(LlamaLoader, Llama2cFileOfWrongSizeIsRefused) {
  const std::string path = temp_dir("l2c") + "/bad.bin";
  const int32_t header[7] = {64, 172, 4, 4, 4, 512, 128};
  core::write_file_atomic(
      path, std::string(reinterpret_cast<const char*>(header), sizeof(header)) + "xxxx");
  const std::string msg = load_error(path);
  EXPECT_NE(msg.find("bytes, but its header"), std::string::npos) << msg;
}

}  // namespace
}  // namespace bbpt::lm
