// SPDX-License-Identifier: MIT
// Implements CLIP's residual attention blocks (reference: clip/model.py ResidualAttentionBlock).
#include "bbpt/model/transformer.h"

#include <cmath>

namespace bbpt::model {

torch::Tensor quick_gelu(const torch::Tensor& x) {
  if (torch::GradMode::is_enabled()) return x * torch::sigmoid(1.702 * x);
  // Inference: one temporary instead of three (each large allocation costs page faults on CPU).
  auto gate = x * 1.702;
  gate.sigmoid_();
  return gate.mul_(x);
}

torch::Tensor layer_norm_fp32(const torch::Tensor& x, torch::nn::LayerNorm norm) {
  if (x.scalar_type() == torch::kFloat) return norm(x);
  return norm(x.to(torch::kFloat)).to(x.scalar_type());
}

SelfAttentionImpl::SelfAttentionImpl(int64_t width, int64_t heads) : heads(heads) {
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * width, width}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * width}));
  out_proj = register_module("out_proj", torch::nn::Linear(width, width));
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& attn_mask) {
  const int64_t batch = x.size(0), length = x.size(1), width = x.size(2);
  const int64_t head_width = width / heads;
  auto qkv = torch::nn::functional::linear(x, in_proj_weight, in_proj_bias);  // [B, L, 3D]
  // [B, L, 3D] -> [3, B, H, L, Hw] -> 3 x [B*H, L, Hw]
  qkv = qkv.view({batch, length, 3, heads, head_width}).permute({2, 0, 3, 1, 4});
  auto q = qkv[0].reshape({batch * heads, length, head_width});
  auto k = qkv[1].reshape({batch * heads, length, head_width});
  auto v = qkv[2].reshape({batch * heads, length, head_width});
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_width));
  torch::Tensor scores;  // [B*H, L, L]
  if (attn_mask.defined()) {
    scores = torch::baddbmm(attn_mask, q * scale, k.transpose(1, 2));
  } else {
    scores = torch::bmm(q * scale, k.transpose(1, 2));
  }
  auto out = torch::bmm(torch::softmax(scores, -1), v);  // [B*H, L, Hw]
  // [B*H, L, Hw] -> [B, L, H, Hw] -> [B, L, D]
  out =
      out.view({batch, heads, length, head_width}).transpose(1, 2).reshape({batch, length, width});
  return out_proj(out);
}

ResidualAttentionBlockImpl::ResidualAttentionBlockImpl(int64_t width, int64_t heads) {
  attn = register_module("attn", SelfAttention(width, heads));
  ln_1 = register_module("ln_1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  auto mlp = register_module("mlp", std::make_shared<torch::nn::Module>());
  c_fc = mlp->register_module("c_fc", torch::nn::Linear(width, 4 * width));
  c_proj = mlp->register_module("c_proj", torch::nn::Linear(4 * width, width));
  ln_2 = register_module("ln_2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
}

torch::Tensor ResidualAttentionBlockImpl::forward(const torch::Tensor& x,
                                                  const torch::Tensor& attn_mask) {
  auto h = x + attn(layer_norm_fp32(x, ln_1), attn_mask);
  return h + c_proj(quick_gelu(c_fc(layer_norm_fp32(h, ln_2))));
}

TransformerImpl::TransformerImpl(int64_t width, int64_t layers, int64_t heads) {
  for (int64_t i = 0; i < layers; ++i) resblocks->push_back(ResidualAttentionBlock(width, heads));
  register_module("resblocks", resblocks);
}

torch::Tensor TransformerImpl::forward(torch::Tensor x, const torch::Tensor& attn_mask) {
  for (const auto& block : *resblocks) {
    x = block->as<ResidualAttentionBlock>()->forward(x, attn_mask);
  }
  return x;
}

}  // namespace bbpt::model
