// SPDX-License-Identifier: MIT
// Implements YAML reading and validation of PretrainConfig.
#include "bbpt/pretrain/pretrain_config.h"

#include <yaml-cpp/yaml.h>

#include <nlohmann/json.hpp>
#include <set>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::pretrain {
namespace {

// Reads `node[key]` into `value` when present; a wrong type names the file, key and value.
template <typename T>
void read_key(const YAML::Node& node,
              const std::string& section,
              const std::string& key,
              T& value,
              const std::string& source) {
  const YAML::Node child = node[key];
  if (!child) return;
  try {
    value = child.as<T>();
  } catch (const YAML::Exception&) {
    BBPT_THROW(ConfigError, source << ": " << section << key << " = '" << YAML::Dump(child)
                                   << "' has the wrong type");
  }
}

void reject_unknown_keys(const YAML::Node& node,
                         const std::set<std::string>& known,
                         const std::string& section,
                         const std::string& source) {
  if (!node || !node.IsMap()) return;
  for (const auto& item : node) {
    const auto key = item.first.as<std::string>();
    BBPT_CHECK(known.count(key) > 0, ConfigError,
               source << ": unknown key '" << section << key << "' (line "
                      << item.first.Mark().line + 1 << ")");
  }
}

}  // namespace

PretrainConfig load_pretrain_config(const std::string& path) {
  const std::string text = core::read_file(path);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    BBPT_THROW(ConfigError,
               path << ": not valid YAML (line " << e.mark.line + 1 << ": " << e.msg << ")");
  }
  BBPT_CHECK(root.IsMap(), ConfigError, path << ": expected a mapping with model, train, datasets");
  reject_unknown_keys(root, {"seed", "model", "train", "datasets"}, "", path);
  PretrainConfig config;
  read_key(root, "", "seed", config.seed, path);

  const YAML::Node model = root["model"];
  reject_unknown_keys(model,
                      {"embed_dim", "image_resolution", "patch_size", "vision_width",
                       "vision_layers", "text_width", "text_layers", "context_length"},
                      "model.", path);
  PretrainModelOptions& m = config.model;
  read_key(model, "model.", "embed_dim", m.embed_dim, path);
  read_key(model, "model.", "image_resolution", m.image_resolution, path);
  read_key(model, "model.", "patch_size", m.patch_size, path);
  read_key(model, "model.", "vision_width", m.vision_width, path);
  read_key(model, "model.", "vision_layers", m.vision_layers, path);
  read_key(model, "model.", "text_width", m.text_width, path);
  read_key(model, "model.", "text_layers", m.text_layers, path);
  read_key(model, "model.", "context_length", m.context_length, path);

  const YAML::Node train = root["train"];
  reject_unknown_keys(
      train,
      {"steps", "batch_size", "learning_rate", "warmup_steps", "weight_decay", "init_temperature",
       "max_logit_scale", "shift_pad", "freeze_token_embedding", "log_every"},
      "train.", path);
  PretrainTrainOptions& t = config.train;
  read_key(train, "train.", "steps", t.steps, path);
  read_key(train, "train.", "batch_size", t.batch_size, path);
  read_key(train, "train.", "learning_rate", t.learning_rate, path);
  read_key(train, "train.", "warmup_steps", t.warmup_steps, path);
  read_key(train, "train.", "weight_decay", t.weight_decay, path);
  read_key(train, "train.", "init_temperature", t.init_temperature, path);
  read_key(train, "train.", "max_logit_scale", t.max_logit_scale, path);
  read_key(train, "train.", "shift_pad", t.shift_pad, path);
  read_key(train, "train.", "freeze_token_embedding", t.freeze_token_embedding, path);
  read_key(train, "train.", "log_every", t.log_every_steps, path);

  const YAML::Node datasets = root["datasets"];
  BBPT_CHECK(datasets && datasets.IsSequence(), ConfigError,
             path << ": 'datasets' must be a list of {name, captions, flip}");
  for (size_t i = 0; i < datasets.size(); ++i) {
    const std::string section = "datasets[" + std::to_string(i) + "].";
    reject_unknown_keys(datasets[i], {"name", "captions", "flip"}, section, path);
    PretrainDataset dataset;
    read_key(datasets[i], section, "name", dataset.name, path);
    read_key(datasets[i], section, "captions", dataset.captions, path);
    read_key(datasets[i], section, "flip", dataset.flip, path);
    config.datasets.push_back(dataset);
  }
  validate(config, path);
  return config;
}

void validate(const PretrainConfig& config, const std::string& source) {
  const auto& m = config.model;
  const auto& t = config.train;
  auto positive = [&](const char* key, int64_t value) {
    BBPT_CHECK(value > 0, ConfigError,
               source << ": " << key << " = " << value << " must be positive");
  };
  positive("model.embed_dim", m.embed_dim);
  positive("model.patch_size", m.patch_size);
  positive("model.vision_layers", m.vision_layers);
  positive("model.text_layers", m.text_layers);
  positive("train.steps", t.steps);
  positive("train.batch_size", t.batch_size);
  positive("train.log_every", t.log_every_steps);
  BBPT_CHECK(m.image_resolution % m.patch_size == 0, ConfigError,
             source << ": model.image_resolution = " << m.image_resolution
                    << " must be a multiple of model.patch_size = " << m.patch_size);
  BBPT_CHECK(m.vision_width % 64 == 0 && m.vision_width > 0, ConfigError,
             source << ": model.vision_width = " << m.vision_width
                    << " must be a positive multiple of 64");
  BBPT_CHECK(
      m.text_width % 64 == 0 && m.text_width > 0, ConfigError,
      source << ": model.text_width = " << m.text_width << " must be a positive multiple of 64");
  BBPT_CHECK(m.context_length >= 8 && m.context_length <= 77, ConfigError,
             source << ": model.context_length = " << m.context_length << " must be in [8, 77]");
  BBPT_CHECK(t.learning_rate > 0, ConfigError,
             source << ": train.learning_rate = " << t.learning_rate << " must be positive");
  BBPT_CHECK(t.init_temperature > 0 && t.max_logit_scale > 1, ConfigError,
             source << ": train.init_temperature must be > 0 and train.max_logit_scale > 1");
  BBPT_CHECK(t.warmup_steps >= 0 && t.shift_pad >= 0, ConfigError,
             source << ": train.warmup_steps and train.shift_pad must be >= 0");
  BBPT_CHECK(!config.datasets.empty(), ConfigError, source << ": 'datasets' is empty");
  for (size_t i = 0; i < config.datasets.size(); ++i) {
    const auto& d = config.datasets[i];
    BBPT_CHECK(!d.name.empty(), ConfigError, source << ": datasets[" << i << "].name is missing");
    BBPT_CHECK(!d.captions.empty(), ConfigError,
               source << ": datasets[" << i << "].captions (" << d.name << ") is empty");
    for (const auto& caption : d.captions) {
      BBPT_CHECK(caption.find("{}") != std::string::npos, ConfigError,
                 source << ": datasets[" << i << "].captions: '" << caption
                        << "' has no {} slot for the class name");
    }
  }
}

std::string to_json(const PretrainConfig& config) {
  const auto& m = config.model;
  const auto& t = config.train;
  nlohmann::json datasets = nlohmann::json::array();
  for (const auto& d : config.datasets) {
    datasets.push_back({{"name", d.name}, {"captions", d.captions}, {"flip", d.flip}});
  }
  nlohmann::json j = {{"seed", config.seed},
                      {"model",
                       {{"embed_dim", m.embed_dim},
                        {"image_resolution", m.image_resolution},
                        {"patch_size", m.patch_size},
                        {"vision_width", m.vision_width},
                        {"vision_layers", m.vision_layers},
                        {"text_width", m.text_width},
                        {"text_layers", m.text_layers},
                        {"context_length", m.context_length}}},
                      {"train",
                       {{"steps", t.steps},
                        {"batch_size", t.batch_size},
                        {"learning_rate", t.learning_rate},
                        {"warmup_steps", t.warmup_steps},
                        {"weight_decay", t.weight_decay},
                        {"init_temperature", t.init_temperature},
                        {"max_logit_scale", t.max_logit_scale},
                        {"shift_pad", t.shift_pad},
                        {"freeze_token_embedding", t.freeze_token_embedding},
                        {"log_every", t.log_every_steps}}},
                      {"datasets", datasets}};
  return j.dump(2);
}

}  // namespace bbpt::pretrain
