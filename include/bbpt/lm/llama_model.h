// SPDX-License-Identifier: MIT
// A Llama-family decoder in libtorch, computed as transformers' LlamaForCausalLM computes it:
// RMSNorm in fp32, rotate-half RoPE (with Llama-3.1's llama3 frequency scaling), grouped-query
// attention, SwiGLU MLP, tied or untied output head. Adds what GLOV's guidance needs: hidden
// states of any layer, and an additive offset after one layer at the newest position only, with a
// KV cache that keeps every earlier position unshifted (the official code re-runs the sequence).
//
// Shapes: B batch (sequences), T new positions, S cached + new positions, D hidden_size,
// H / Hkv query / key-value heads, Hd head_dim, F intermediate_size, V vocab.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "bbpt/lm/llama_config.h"

namespace bbpt::lm {

/// Where and in which precision the weights live. bf16 is the sensible choice on GPUs; on CPU
/// bbpt computes in fp32 (the checkpoint's bf16/fp16 are widened once at load).
struct LlamaLoadOptions {
  torch::Device device = torch::kCPU;
  torch::Dtype dtype = torch::kFloat32;
};

struct LlamaLayerWeights {
  torch::Tensor input_norm;  // [D]
  torch::Tensor q_proj;      // [H*Hd, D]
  torch::Tensor k_proj;      // [Hkv*Hd, D]
  torch::Tensor v_proj;      // [Hkv*Hd, D]
  torch::Tensor o_proj;      // [D, H*Hd]
  torch::Tensor post_norm;   // [D]
  torch::Tensor gate_proj;   // [F, D]
  torch::Tensor up_proj;     // [F, D]
  torch::Tensor down_proj;   // [D, F]
};

struct LlamaWeights {
  torch::Tensor embed_tokens;  // [V, D]
  std::vector<LlamaLayerWeights> layers;
  torch::Tensor norm;     // [D]
  torch::Tensor lm_head;  // [V, D]; the same storage as embed_tokens when tied
};

/// Keys and values of every layer for the positions computed so far, preallocated to a capacity.
/// Positions are appended only by unshifted computations (see LlamaModel::forward).
class KvCache {
 public:
  KvCache() = default;
  /// Empty cache for `batch` sequences of up to `capacity` positions.
  KvCache(const LlamaConfig& config,
          int64_t batch,
          int64_t capacity,
          torch::Device device,
          torch::Dtype dtype);

  int64_t length() const { return length_; }
  int64_t capacity() const { return capacity_; }
  int64_t batch() const { return batch_; }
  /// A cache for `copies` * batch sequences, each copy holding this cache's positions (a prompt's
  /// prefill shared by n samples), with room for `capacity` positions.
  KvCache expand(int64_t copies, int64_t capacity) const;
  /// Keeps only the sequences in `rows` (finished samples dropped).
  void select_rows(const torch::Tensor& rows);

  std::vector<torch::Tensor> keys;    // per layer [B, Hkv, capacity, Hd]
  std::vector<torch::Tensor> values;  // per layer [B, Hkv, capacity, Hd]

 private:
  friend class LlamaModel;
  int64_t batch_ = 0;
  int64_t capacity_ = 0;
  int64_t length_ = 0;
};

/// GLOV's guidance as the forward pass applies it: after decoder layer `layer`, the newest position
/// of every sequence gets `offset` added. offset: [D] (or [B, D]), already multiplied by alpha.
struct SteeringOffset {
  int64_t layer = -1;
  torch::Tensor offset;
  bool active() const { return layer >= 0 && offset.defined(); }
};

/// RoPE inverse frequencies [Hd/2] (fp32) as transformers computes them: 1 / theta^(2j / Hd),
/// rescaled by the llama3 rule when the config has rope_scaling.
torch::Tensor rope_inverse_frequencies(const LlamaConfig& config);

class LlamaModel {
 public:
  LlamaModel(LlamaConfig config, LlamaWeights weights, LlamaLoadOptions options);

  /// Loads a Hugging Face checkpoint directory (config.json, model.safetensors or shards with
  /// model.safetensors.index.json, generation_config.json) or a llama2.c legacy checkpoint file
  /// (.bin). Every tensor's shape is checked against the config; errors name the file and tensor.
  static LlamaModel load(const std::string& path, const LlamaLoadOptions& options = {});

  const LlamaConfig& config() const { return config_; }
  const LlamaLoadOptions& options() const { return options_; }
  const LlamaWeights& weights() const { return weights_; }

  /// Computes `ids` [B, T] as positions cache.length() .. +T-1, appends their keys and values to
  /// `cache`, and returns the logits of the last position [B, V] (fp32). With an active steering
  /// offset the last position's logits come from the shifted residual stream, while the cache
  /// keeps every position unshifted: exactly what re-running the whole sequence with only the
  /// newest position shifted gives, at the cost of layers above `layer` twice for one position.
  torch::Tensor forward(const torch::Tensor& ids,
                        KvCache& cache,
                        const SteeringOffset& steering = {}) const;

  /// Logits of every position of `ids` [B, T] without a cache: [B, T, V] (fp32).
  torch::Tensor logits(const torch::Tensor& ids) const;

  /// transformers' output_hidden_states for `ids` [B, T]: L+1 tensors [B, T, D] (fp32): the
  /// embeddings, the outputs of layers 0..L-2, and the final-norm output of layer L-1.
  std::vector<torch::Tensor> hidden_states(const torch::Tensor& ids) const;

  /// A new empty cache sized for this model.
  KvCache new_cache(int64_t batch, int64_t capacity) const;

 private:
  torch::Tensor embed(const torch::Tensor& ids) const;  // [B, T] -> [B, T, D]
  torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight) const;
  // cos, sin: [T, Hd] for positions start .. start+T-1, in the compute dtype.
  std::pair<torch::Tensor, torch::Tensor> rope(int64_t start, int64_t count) const;
  // One decoder layer on h [B, T, D] at positions start..start+T-1. append: write the new keys and
  // values into the cache at `start` (which must equal cache.length() for layer `index`'s view);
  // otherwise attend to cache positions [0, start) plus the new ones without storing them.
  torch::Tensor layer(
      int64_t index, const torch::Tensor& h, int64_t start, KvCache& cache, bool append) const;
  torch::Tensor head(const torch::Tensor& h_last) const;  // [B, D] -> [B, V] fp32

  LlamaConfig config_;
  LlamaWeights weights_;
  LlamaLoadOptions options_;
  torch::Tensor inv_freq_;  // [Hd/2] fp32, llama3-scaled when configured
};

}  // namespace bbpt::lm
