// SPDX-License-Identifier: MIT
// Implements parsing of Hugging Face Llama config.json / generation_config.json.
#include "bbpt/lm/llama_config.h"

#include <nlohmann/json.hpp>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::lm {
namespace {

using nlohmann::json;

json read_json(const std::string& path) {
  const std::string text = core::read_file(path);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    BBPT_THROW(IoError, path << ": not valid JSON (" << e.what() << ")");
  }
}

int64_t require_int(const json& config, const std::string& path, const char* field) {
  BBPT_CHECK(config.contains(field), ConfigError, path << ": field '" << field << "' is missing");
  const json& value = config.at(field);
  BBPT_CHECK(
      value.is_number_integer() && value.get<int64_t>() > 0, ConfigError,
      path << ": field '" << field << "' is " << value.dump() << ", expected a positive integer");
  return value.get<int64_t>();
}

double optional_number(const json& config,
                       const std::string& path,
                       const char* field,
                       double fallback) {
  if (!config.contains(field) || config.at(field).is_null()) return fallback;
  const json& value = config.at(field);
  BBPT_CHECK(value.is_number(), ConfigError,
             path << ": field '" << field << "' is " << value.dump() << ", expected a number");
  return value.get<double>();
}

// eos_token_id is an int or a list of ints in both config.json and generation_config.json.
std::vector<int64_t> parse_ids(const json& value, const std::string& path, const char* field) {
  std::vector<int64_t> ids;
  if (value.is_number_integer()) {
    ids.push_back(value.get<int64_t>());
  } else if (value.is_array()) {
    for (const auto& id : value) {
      BBPT_CHECK(id.is_number_integer(), ConfigError,
                 path << ": field '" << field << "' holds " << id.dump() << ", expected token ids");
      ids.push_back(id.get<int64_t>());
    }
  } else {
    BBPT_THROW(ConfigError, path << ": field '" << field << "' is " << value.dump()
                                 << ", expected a token id or a list of them");
  }
  return ids;
}

void parse_rope_scaling(const json& config, const std::string& path, LlamaConfig& out) {
  if (!config.contains("rope_scaling") || config.at("rope_scaling").is_null()) return;
  const json& scaling = config.at("rope_scaling");
  BBPT_CHECK(
      scaling.is_object(), ConfigError,
      path << ": field 'rope_scaling' is " << scaling.dump() << ", expected an object or null");
  std::string type = scaling.value("rope_type", scaling.value("type", std::string()));
  BBPT_CHECK(type == "llama3", ConfigError,
             path << ": rope_scaling type '" << type
                  << "' is not supported (bbpt implements the 'llama3' scaling of Llama-3.1+)");
  out.has_rope_scaling = true;
  out.rope_scaling.factor = optional_number(scaling, path, "factor", out.rope_scaling.factor);
  out.rope_scaling.low_freq_factor =
      optional_number(scaling, path, "low_freq_factor", out.rope_scaling.low_freq_factor);
  out.rope_scaling.high_freq_factor =
      optional_number(scaling, path, "high_freq_factor", out.rope_scaling.high_freq_factor);
  out.rope_scaling.original_max_position_embeddings = static_cast<int64_t>(
      optional_number(scaling, path, "original_max_position_embeddings",
                      static_cast<double>(out.rope_scaling.original_max_position_embeddings)));
  BBPT_CHECK(out.rope_scaling.high_freq_factor != out.rope_scaling.low_freq_factor, ConfigError,
             path << ": rope_scaling high_freq_factor equals low_freq_factor ("
                  << out.rope_scaling.low_freq_factor << ")");
}

}  // namespace

std::string to_string(CheckpointLayout layout) {
  return layout == CheckpointLayout::kHuggingFace ? "huggingface" : "llama2c";
}

int64_t LlamaConfig::num_parameters() const {
  const int64_t attention = hidden_size * head_dim * (2 * num_heads + 2 * num_kv_heads);
  const int64_t mlp = 3 * hidden_size * intermediate_size;
  const int64_t per_layer = attention + mlp + 2 * hidden_size;
  const int64_t embeddings = vocab_size * hidden_size * (tie_word_embeddings ? 1 : 2);
  return num_layers * per_layer + embeddings + hidden_size;
}

std::string LlamaConfig::summary() const {
  std::ostringstream out;
  out << num_layers << " layers, hidden " << hidden_size << ", mlp " << intermediate_size << ", "
      << num_heads << " heads / " << num_kv_heads << " kv heads of " << head_dim << ", vocab "
      << vocab_size << ", rope_theta " << rope_theta
      << (has_rope_scaling ? " (llama3 scaling)" : "")
      << (tie_word_embeddings ? ", tied head" : ", untied head");
  return out.str();
}

LlamaConfig parse_hf_config(const std::string& config_path,
                            const std::string& generation_config_path) {
  const json config = read_json(config_path);
  BBPT_CHECK(config.is_object(), ConfigError, config_path << ": expected a JSON object");
  const std::string model_type = config.value("model_type", std::string());
  BBPT_CHECK(
      model_type == "llama" || model_type.empty(), ConfigError,
      config_path
          << ": model_type '" << model_type
          << "' is not supported (bbpt runs LlamaForCausalLM checkpoints, model_type llama)");
  if (config.contains("architectures") && config.at("architectures").is_array()) {
    for (const auto& arch : config.at("architectures")) {
      BBPT_CHECK(arch == "LlamaForCausalLM", ConfigError,
                 config_path << ": architecture " << arch.dump()
                             << " is not supported (expected LlamaForCausalLM)");
    }
  }
  const std::string act = config.value("hidden_act", std::string("silu"));
  BBPT_CHECK(act == "silu", ConfigError,
             config_path << ": hidden_act '" << act << "' is not supported (Llama uses silu)");
  for (const char* flag : {"attention_bias", "mlp_bias"}) {
    BBPT_CHECK(!config.value(flag, false), ConfigError,
               config_path << ": field '" << flag << "' is true; bbpt's Llama has no biases");
  }

  LlamaConfig out;
  out.vocab_size = require_int(config, config_path, "vocab_size");
  out.hidden_size = require_int(config, config_path, "hidden_size");
  out.intermediate_size = require_int(config, config_path, "intermediate_size");
  out.num_layers = require_int(config, config_path, "num_hidden_layers");
  out.num_heads = require_int(config, config_path, "num_attention_heads");
  out.num_kv_heads =
      config.contains("num_key_value_heads") && !config.at("num_key_value_heads").is_null()
          ? require_int(config, config_path, "num_key_value_heads")
          : out.num_heads;
  out.head_dim = config.contains("head_dim") && !config.at("head_dim").is_null()
                     ? require_int(config, config_path, "head_dim")
                     : out.hidden_size / out.num_heads;
  BBPT_CHECK(config.contains("head_dim") || out.hidden_size % out.num_heads == 0, ConfigError,
             config_path << ": hidden_size " << out.hidden_size
                         << " is not a multiple of num_attention_heads " << out.num_heads);
  BBPT_CHECK(out.num_heads % out.num_kv_heads == 0, ConfigError,
             config_path << ": num_attention_heads " << out.num_heads
                         << " is not a multiple of num_key_value_heads " << out.num_kv_heads);
  BBPT_CHECK(out.head_dim % 2 == 0, ConfigError,
             config_path << ": head_dim " << out.head_dim << " is odd");
  out.rope_theta = optional_number(config, config_path, "rope_theta", 10000.0);
  out.rms_norm_eps = optional_number(config, config_path, "rms_norm_eps", 1e-6);
  out.tie_word_embeddings = config.value("tie_word_embeddings", false);
  out.max_position_embeddings =
      static_cast<int64_t>(optional_number(config, config_path, "max_position_embeddings", 2048));
  parse_rope_scaling(config, config_path, out);
  if (config.contains("bos_token_id") && config.at("bos_token_id").is_number_integer()) {
    out.bos_id = config.at("bos_token_id").get<int64_t>();
  }
  if (config.contains("eos_token_id") && !config.at("eos_token_id").is_null()) {
    out.eos_ids = parse_ids(config.at("eos_token_id"), config_path, "eos_token_id");
  }
  // generate() takes its stop ids from generation_config.json when the checkpoint ships one.
  if (!generation_config_path.empty() && core::is_regular_file(generation_config_path)) {
    const json generation = read_json(generation_config_path);
    if (generation.contains("eos_token_id") && !generation.at("eos_token_id").is_null()) {
      out.eos_ids =
          parse_ids(generation.at("eos_token_id"), generation_config_path, "eos_token_id");
    }
    if (generation.contains("bos_token_id") && generation.at("bos_token_id").is_number_integer()) {
      out.bos_id = generation.at("bos_token_id").get<int64_t>();
    }
  }
  for (int64_t id : out.eos_ids) {
    BBPT_CHECK(id >= 0 && id < out.vocab_size, ConfigError,
               config_path << ": eos_token_id " << id << " is outside the vocabulary of "
                           << out.vocab_size);
  }
  return out;
}

}  // namespace bbpt::lm
