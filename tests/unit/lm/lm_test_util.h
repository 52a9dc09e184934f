// SPDX-License-Identifier: MIT
// Test helpers for the lm module: a safetensors writer (files with chosen, possibly broken,
// headers) and small random Llama models.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "bbpt/core/file_io.h"
#include "bbpt/lm/llama_model.h"
#include "safetensors_writer.h"

namespace bbpt::lm::testing {

using ::bbpt::testing::write_safetensors;

inline std::string temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("bbpt_lm_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline nlohmann::json small_config_json(int64_t kv_heads = 2) {
  return {{"architectures", {"LlamaForCausalLM"}},
          {"model_type", "llama"},
          {"vocab_size", 50},
          {"hidden_size", 32},
          {"intermediate_size", 48},
          {"num_hidden_layers", 3},
          {"num_attention_heads", 4},
          {"num_key_value_heads", kv_heads},
          {"head_dim", 8},
          {"rope_theta", 10000.0},
          {"rms_norm_eps", 1e-5},
          {"tie_word_embeddings", false},
          {"max_position_embeddings", 128},
          {"bos_token_id", 1},
          {"eos_token_id", 2}};
}

/// Hugging Face tensor names and random values for a config.
inline std::map<std::string, torch::Tensor> random_hf_tensors(const LlamaConfig& c,
                                                              uint64_t seed = 7) {
  torch::manual_seed(seed);
  std::map<std::string, torch::Tensor> t;
  const int64_t D = c.hidden_size, F = c.intermediate_size, qd = c.num_heads * c.head_dim,
                kvd = c.num_kv_heads * c.head_dim;
  t["model.embed_tokens.weight"] = torch::randn({c.vocab_size, D});
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    t[p + "input_layernorm.weight"] = 1 + 0.1 * torch::randn({D});
    t[p + "post_attention_layernorm.weight"] = 1 + 0.1 * torch::randn({D});
    t[p + "self_attn.q_proj.weight"] = 0.3 * torch::randn({qd, D});
    t[p + "self_attn.k_proj.weight"] = 0.3 * torch::randn({kvd, D});
    t[p + "self_attn.v_proj.weight"] = 0.3 * torch::randn({kvd, D});
    t[p + "self_attn.o_proj.weight"] = 0.3 * torch::randn({D, qd});
    t[p + "mlp.gate_proj.weight"] = 0.3 * torch::randn({F, D});
    t[p + "mlp.up_proj.weight"] = 0.3 * torch::randn({F, D});
    t[p + "mlp.down_proj.weight"] = 0.3 * torch::randn({D, F});
  }
  t["model.norm.weight"] = 1 + 0.1 * torch::randn({D});
  if (!c.tie_word_embeddings) t["lm_head.weight"] = torch::randn({c.vocab_size, D});
  return t;
}

/// Writes a Hugging Face checkpoint directory and returns its path.
inline std::string write_hf_checkpoint(const std::string& name,
                                       const nlohmann::json& config_json,
                                       const std::string& dtype = "F32") {
  const std::string dir = temp_dir(name);
  core::write_file_atomic(dir + "/config.json", config_json.dump(1));
  const LlamaConfig c = parse_hf_config(dir + "/config.json", "");
  write_safetensors(dir + "/model.safetensors", random_hf_tensors(c), dtype);
  return dir;
}

}  // namespace bbpt::lm::testing
