// SPDX-License-Identifier: MIT
// Implements the Llama forward pass, the KV cache and the steered newest position.
// ref:
// https://github.com/huggingface/transformers/blob/v4.45.0/src/transformers/models/llama/modeling_llama.py
#include "bbpt/lm/llama_model.h"

#include <cmath>
#include <limits>
#include <utility>

#include "bbpt/core/error.h"

namespace bbpt::lm {
namespace {

namespace F = torch::nn::functional;
using torch::indexing::Slice;

// transformers' _compute_llama3_parameters: long wavelengths divided by factor, short ones kept,
// a smooth blend in between.
torch::Tensor llama3_scaled(const torch::Tensor& inv_freq, const RopeScaling& s) {
  const double old_len = static_cast<double>(s.original_max_position_embeddings);
  const double low_freq_wavelen = old_len / s.low_freq_factor;
  const double high_freq_wavelen = old_len / s.high_freq_factor;
  constexpr double kPi = 3.14159265358979323846;
  const torch::Tensor wavelen = 2.0 * kPi / inv_freq;
  torch::Tensor scaled = torch::where(wavelen > low_freq_wavelen, inv_freq / s.factor, inv_freq);
  const torch::Tensor smooth =
      (old_len / wavelen - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor);
  const torch::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
  const torch::Tensor medium =
      (wavelen >= high_freq_wavelen).logical_and(wavelen <= low_freq_wavelen);
  return torch::where(medium, smoothed, scaled);
}

// [.., Hd] -> [.., Hd]: (x1, x2) -> (-x2, x1) over the two halves.
torch::Tensor rotate_half(const torch::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

}  // namespace

torch::Tensor rope_inverse_frequencies(const LlamaConfig& config) {
  const torch::Tensor exponents =
      torch::arange(0, config.head_dim, 2, torch::kInt64).to(torch::kFloat32) /
      static_cast<float>(config.head_dim);
  const torch::Tensor inv_freq =
      1.0 / torch::pow(torch::tensor(static_cast<float>(config.rope_theta)), exponents);
  return config.has_rope_scaling ? llama3_scaled(inv_freq, config.rope_scaling) : inv_freq;
}

KvCache::KvCache(const LlamaConfig& config,
                 int64_t batch,
                 int64_t capacity,
                 torch::Device device,
                 torch::Dtype dtype)
    : batch_(batch), capacity_(capacity) {
  const auto options = torch::TensorOptions().device(device).dtype(dtype);
  for (int64_t i = 0; i < config.num_layers; ++i) {
    keys.push_back(torch::zeros({batch, config.num_kv_heads, capacity, config.head_dim}, options));
    values.push_back(
        torch::zeros({batch, config.num_kv_heads, capacity, config.head_dim}, options));
  }
}

KvCache KvCache::expand(int64_t copies, int64_t capacity) const {
  BBPT_ASSERT(capacity >= length_,
              "cache capacity " << capacity << " below its length " << length_);
  KvCache out;
  out.batch_ = batch_ * copies;
  out.capacity_ = capacity;
  out.length_ = length_;
  for (size_t i = 0; i < keys.size(); ++i) {
    for (auto* pair : {&keys, &values}) {
      const torch::Tensor& src = (*pair)[i];  // [B, Hkv, cap, Hd]
      torch::Tensor dst =
          torch::zeros({out.batch_, src.size(1), capacity, src.size(3)}, src.options());
      // [B, Hkv, len, Hd] -> [copies*B, Hkv, len, Hd]: copy c of row b at c*B + b.
      dst.narrow(2, 0, length_).copy_(src.narrow(2, 0, length_).repeat({copies, 1, 1, 1}));
      (pair == &keys ? out.keys : out.values).push_back(dst);
    }
  }
  return out;
}

void KvCache::select_rows(const torch::Tensor& rows) {
  for (auto& k : keys) k = k.index_select(0, rows);
  for (auto& v : values) v = v.index_select(0, rows);
  batch_ = rows.size(0);
}

LlamaModel::LlamaModel(LlamaConfig config, LlamaWeights weights, LlamaLoadOptions options)
    : config_(std::move(config)), weights_(std::move(weights)), options_(options) {
  BBPT_ASSERT(static_cast<int64_t>(weights_.layers.size()) == config_.num_layers,
              weights_.layers.size()
                  << " layers of weights for a config of " << config_.num_layers);
  inv_freq_ = rope_inverse_frequencies(config_);
  inv_freq_ = inv_freq_.to(options_.device);
}

KvCache LlamaModel::new_cache(int64_t batch, int64_t capacity) const {
  return KvCache(config_, batch, capacity, options_.device, options_.dtype);
}

torch::Tensor LlamaModel::embed(const torch::Tensor& ids) const {
  TORCH_CHECK(ids.dim() == 2, "token ids must be [B, T], got ", ids.sizes());
  const torch::Tensor outside = (ids < 0).logical_or(ids >= config_.vocab_size);
  if (outside.any().item<bool>()) {
    BBPT_THROW(ConfigError, "token id " << ids.masked_select(outside)[0].item<int64_t>()
                                        << " is outside the model's vocabulary of "
                                        << config_.vocab_size);
  }
  return F::embedding(ids.to(options_.device), weights_.embed_tokens);  // [B, T, D]
}

torch::Tensor LlamaModel::rms_norm(const torch::Tensor& x, const torch::Tensor& weight) const {
  // LlamaRMSNorm: variance in fp32, then back to the input dtype before the weight.
  const torch::Tensor x32 = x.to(torch::kFloat32);
  const torch::Tensor normed =
      x32 * torch::rsqrt(x32.pow(2).mean(-1, /*keepdim=*/true) + config_.rms_norm_eps);
  return weight * normed.to(x.scalar_type());
}

std::pair<torch::Tensor, torch::Tensor> LlamaModel::rope(int64_t start, int64_t count) const {
  const torch::Tensor positions =
      torch::arange(start, start + count,
                    torch::TensorOptions().dtype(torch::kInt64).device(options_.device))
          .to(torch::kFloat32);
  const torch::Tensor freqs = torch::outer(positions, inv_freq_);  // [T, Hd/2]
  const torch::Tensor angles = torch::cat({freqs, freqs}, -1);     // [T, Hd]
  return {angles.cos().to(options_.dtype), angles.sin().to(options_.dtype)};
}

torch::Tensor LlamaModel::layer(
    int64_t index, const torch::Tensor& h, int64_t start, KvCache& cache, bool append) const {
  const LlamaLayerWeights& w = weights_.layers[static_cast<size_t>(index)];
  const int64_t B = h.size(0), T = h.size(1);
  const int64_t H = config_.num_heads, Hkv = config_.num_kv_heads, Hd = config_.head_dim;

  const torch::Tensor x = rms_norm(h, w.input_norm);                             // [B, T, D]
  torch::Tensor q = F::linear(x, w.q_proj).view({B, T, H, Hd}).transpose(1, 2);  // [B, H, T, Hd]
  torch::Tensor k =
      F::linear(x, w.k_proj).view({B, T, Hkv, Hd}).transpose(1, 2);  // [B, Hkv, T, Hd]
  torch::Tensor v =
      F::linear(x, w.v_proj).view({B, T, Hkv, Hd}).transpose(1, 2);  // [B, Hkv, T, Hd]
  const auto [cos, sin] = rope(start, T);  // [T, Hd], broadcast over [B, H, T, Hd]
  q = q * cos + rotate_half(q) * sin;
  k = k * cos + rotate_half(k) * sin;

  torch::Tensor keys, values;  // [B, Hkv, S, Hd], S = start + T
  if (append) {
    BBPT_ASSERT(start + T <= cache.capacity_,
                "KV cache of " << cache.capacity_ << " positions is full");
    cache.keys[static_cast<size_t>(index)].narrow(2, start, T).copy_(k);
    cache.values[static_cast<size_t>(index)].narrow(2, start, T).copy_(v);
    keys = cache.keys[static_cast<size_t>(index)].narrow(2, 0, start + T);
    values = cache.values[static_cast<size_t>(index)].narrow(2, 0, start + T);
  } else {
    keys = torch::cat({cache.keys[static_cast<size_t>(index)].narrow(2, 0, start), k}, 2);
    values = torch::cat({cache.values[static_cast<size_t>(index)].narrow(2, 0, start), v}, 2);
  }
  // Grouped-query attention without repeat_kv's copies: the n_rep query heads of kv head j
  // (heads j*n_rep .. j*n_rep+n_rep-1, transformers' order) are stacked along the positions.
  const int64_t n_rep = H / Hkv, S = start + T;
  const torch::Tensor grouped_q = q.reshape({B, Hkv, n_rep * T, Hd});  // [B, Hkv, n_rep*T, Hd]
  torch::Tensor scores =
      torch::matmul(grouped_q, keys.transpose(2, 3)) / std::sqrt(static_cast<double>(Hd));
  scores = scores.view({B, Hkv, n_rep, T, S});  // [B, Hkv, n_rep, T, S]
  if (T > 1) {
    // Query t (absolute position start+t) sees keys 0 .. start+t.
    const auto opts = torch::TensorOptions().device(options_.device).dtype(torch::kInt64);
    const torch::Tensor future =
        torch::arange(S, opts).unsqueeze(0) > (torch::arange(T, opts) + start).unsqueeze(1);
    scores =
        scores.masked_fill(future, -std::numeric_limits<float>::infinity());  // [T, S] broadcast
  }
  const torch::Tensor probs = torch::softmax(scores.to(torch::kFloat32), -1)
                                  .to(q.scalar_type())
                                  .view({B, Hkv, n_rep * T, S});
  const torch::Tensor attended = torch::matmul(probs, values)  // [B, Hkv, n_rep*T, Hd]
                                     .view({B, H, T, Hd})
                                     .transpose(1, 2)
                                     .reshape({B, T, H * Hd});              // [B, T, H*Hd]
  const torch::Tensor after_attention = h + F::linear(attended, w.o_proj);  // [B, T, D]
  const torch::Tensor y = rms_norm(after_attention, w.post_norm);
  const torch::Tensor mlp =
      F::linear(F::silu(F::linear(y, w.gate_proj)) * F::linear(y, w.up_proj), w.down_proj);
  return after_attention + mlp;  // [B, T, D]
}

torch::Tensor LlamaModel::head(const torch::Tensor& h_last) const {
  return F::linear(rms_norm(h_last, weights_.norm), weights_.lm_head)
      .to(torch::kFloat32);  // [B, V]
}

torch::Tensor LlamaModel::forward(const torch::Tensor& ids,
                                  KvCache& cache,
                                  const SteeringOffset& steering) const {
  torch::NoGradGuard no_grad;
  const int64_t start = cache.length_;
  const int64_t T = ids.size(1);
  TORCH_CHECK(ids.size(0) == cache.batch_, "ids batch ", ids.size(0), " != cache batch ",
              cache.batch_);
  const int64_t L = config_.num_layers;
  const int64_t split = steering.active() ? steering.layer : L - 1;
  BBPT_CHECK(split >= 0 && split < L, ConfigError,
             "guidance layer " << steering.layer << " is outside the model's layers 0.." << L - 1);

  torch::Tensor h = embed(ids);  // [B, T, D]
  for (int64_t i = 0; i <= split; ++i) h = layer(i, h, start, cache, /*append=*/true);
  const torch::Tensor at_split = h;  // [B, T, D], output of layer `split`
  for (int64_t i = split + 1; i < L; ++i) h = layer(i, h, start, cache, /*append=*/true);
  cache.length_ = start + T;
  if (!steering.active()) return head(h.select(1, T - 1));

  // The newest position again from layer split+1 up, shifted, attending to the unshifted cache of
  // every earlier position; its own keys and values are not stored.
  torch::Tensor offset = steering.offset.to(options_.device, options_.dtype);
  offset = offset.dim() == 1 ? offset.view({1, 1, -1}) : offset.unsqueeze(1);  // [1|B, 1, D]
  torch::Tensor shifted = at_split.narrow(1, T - 1, 1) + offset;               // [B, 1, D]
  for (int64_t i = split + 1; i < L; ++i)
    shifted = layer(i, shifted, start + T - 1, cache, /*append=*/false);
  return head(shifted.select(1, 0));
}

torch::Tensor LlamaModel::logits(const torch::Tensor& ids) const {
  torch::NoGradGuard no_grad;
  KvCache cache = new_cache(ids.size(0), ids.size(1));
  torch::Tensor h = embed(ids);
  for (int64_t i = 0; i < config_.num_layers; ++i) h = layer(i, h, 0, cache, /*append=*/true);
  return F::linear(rms_norm(h, weights_.norm), weights_.lm_head).to(torch::kFloat32);  // [B, T, V]
}

std::vector<torch::Tensor> LlamaModel::hidden_states(const torch::Tensor& ids) const {
  torch::NoGradGuard no_grad;
  KvCache cache = new_cache(ids.size(0), ids.size(1));
  std::vector<torch::Tensor> out;
  torch::Tensor h = embed(ids);
  out.push_back(h.to(torch::kFloat32));
  for (int64_t i = 0; i < config_.num_layers; ++i) {
    h = layer(i, h, 0, cache, /*append=*/true);
    out.push_back(
        (i + 1 < config_.num_layers ? h : rms_norm(h, weights_.norm)).to(torch::kFloat32));
  }
  return out;
}

}  // namespace bbpt::lm
