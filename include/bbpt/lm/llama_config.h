// SPDX-License-Identifier: MIT
// The shape and constants of a Llama-family decoder (transformers' LlamaConfig), read from a
// Hugging Face config.json or a llama2.c header, and checked against the tensors' shapes. No
// libtorch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace bbpt::lm {

/// Llama-3.1+ `rope_scaling` of type "llama3" (transformers' _compute_llama3_parameters).
/// ref:
/// https://github.com/huggingface/transformers/blob/v4.45.0/src/transformers/modeling_rope_utils.py#L310
struct RopeScaling {
  double factor = 8.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

/// Where a checkpoint's query/key rows come from: Hugging Face checkpoints rotate the two halves of
/// each head (rotate-half); llama2.c and Meta's original checkpoints rotate interleaved pairs and
/// are permuted to rotate-half on load, so the forward pass has one convention.
enum class CheckpointLayout { kHuggingFace, kLlama2c };

std::string to_string(CheckpointLayout layout);

struct LlamaConfig {
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;        ///< D
  int64_t intermediate_size = 0;  ///< F, the SwiGLU width
  int64_t num_layers = 0;         ///< decoder layers
  int64_t num_heads = 0;          ///< query heads H
  int64_t num_kv_heads = 0;       ///< key/value heads (grouped-query attention when < H)
  int64_t head_dim = 0;           ///< Hd; hidden_size / num_heads unless the config says otherwise
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-5;
  bool tie_word_embeddings = false;  ///< lm_head shares embed_tokens
  int64_t max_position_embeddings = 2048;
  bool has_rope_scaling = false;  ///< rope_scaling of type llama3 present
  RopeScaling rope_scaling;
  int64_t bos_id = -1;           ///< -1 when the config names none
  std::vector<int64_t> eos_ids;  ///< every id that ends a generation
  CheckpointLayout layout = CheckpointLayout::kHuggingFace;

  /// Total parameters, embeddings and output head included.
  int64_t num_parameters() const;
  /// One line: layers, width, heads, kv heads, head_dim, vocab, rope.
  std::string summary() const;
};

/// Parses a Hugging Face config.json (LlamaForCausalLM / model_type llama). Missing required
/// fields, another architecture or a rope_scaling type other than llama3 throw ConfigError naming
/// the file, the field and the value. `generation_config_path` (may be empty or absent) supplies
/// eos_token_id (int or list) when present, as transformers' generate() uses it.
LlamaConfig parse_hf_config(const std::string& config_path,
                            const std::string& generation_config_path);

}  // namespace bbpt::lm
