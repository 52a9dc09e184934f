// SPDX-License-Identifier: MIT
// Implements the ModifiedResNet tower (reference: clip/model.py Bottleneck, AttentionPool2d,
// ModifiedResNet). BatchNorm runs in inference mode with the checkpoint's running statistics.
#include "bbpt/model/modified_resnet.h"

#include <cmath>

namespace bbpt::model {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride = 1) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false));
}

torch::nn::BatchNorm2d batch_norm(int64_t channels) { return torch::nn::BatchNorm2d(channels); }

torch::Tensor avg_pool(const torch::Tensor& x, int64_t stride) {
  return stride > 1 ? torch::avg_pool2d(x, stride) : x;
}

}  // namespace

BottleneckImpl::BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride) : stride(stride) {
  conv1 = register_module("conv1", conv(inplanes, planes, 1));
  bn1 = register_module("bn1", batch_norm(planes));
  conv2 = register_module("conv2", conv(planes, planes, 3));
  bn2 = register_module("bn2", batch_norm(planes));
  conv3 = register_module("conv3", conv(planes, planes * 4, 1));
  bn3 = register_module("bn3", batch_norm(planes * 4));
  if (stride > 1 || inplanes != planes * 4) {
    auto downsample = register_module("downsample", std::make_shared<torch::nn::Module>());
    downsample_conv = downsample->register_module("0", conv(inplanes, planes * 4, 1));
    downsample_bn = downsample->register_module("1", batch_norm(planes * 4));
  }
}

torch::Tensor BottleneckImpl::forward(const torch::Tensor& x) {
  auto out = torch::relu(bn1(conv1(x)));
  out = torch::relu(bn2(conv2(out)));
  out = avg_pool(out, stride);  // anti-aliasing: pool, then the 1x1 conv at stride 1
  out = bn3(conv3(out));
  auto identity = downsample_conv ? downsample_bn(downsample_conv(avg_pool(x, stride))) : x;
  return torch::relu(out + identity);
}

AttentionPool2dImpl::AttentionPool2dImpl(int64_t spatial_dim,
                                         int64_t embed_dim,
                                         int64_t heads,
                                         int64_t output_dim)
    : heads(heads) {
  positional_embedding = register_parameter(
      "positional_embedding", torch::zeros({spatial_dim * spatial_dim + 1, embed_dim}));
  k_proj = register_module("k_proj", torch::nn::Linear(embed_dim, embed_dim));
  q_proj = register_module("q_proj", torch::nn::Linear(embed_dim, embed_dim));
  v_proj = register_module("v_proj", torch::nn::Linear(embed_dim, embed_dim));
  c_proj = register_module("c_proj", torch::nn::Linear(embed_dim, output_dim));
}

torch::Tensor AttentionPool2dImpl::forward(const torch::Tensor& x) {
  const int64_t batch = x.size(0), channels = x.size(1);
  auto tokens = x.flatten(2).transpose(1, 2);                          // [B, C, S*S] -> [B, S*S, C]
  tokens = torch::cat({tokens.mean(1, /*keepdim=*/true), tokens}, 1);  // [B, S*S+1, C]
  tokens = tokens + positional_embedding.to(tokens.scalar_type());
  const int64_t length = tokens.size(1), head_width = channels / heads;
  // Only the mean token queries: q [B, 1, C]; k, v [B, L, C].
  auto q = q_proj(tokens.narrow(1, 0, 1)) * (1.0 / std::sqrt(static_cast<double>(head_width)));
  auto k = k_proj(tokens);
  auto v = v_proj(tokens);
  q = q.view({batch, 1, heads, head_width}).transpose(1, 2);               // [B, H, 1, Hw]
  k = k.view({batch, length, heads, head_width}).transpose(1, 2);          // [B, H, L, Hw]
  v = v.view({batch, length, heads, head_width}).transpose(1, 2);          // [B, H, L, Hw]
  auto weights = torch::softmax(torch::matmul(q, k.transpose(2, 3)), -1);  // [B, H, 1, L]
  auto pooled = torch::matmul(weights, v).reshape({batch, channels});  // [B, H, 1, Hw] -> [B, C]
  return c_proj(pooled);                                               // [B, E]
}

ModifiedResNetImpl::ModifiedResNetImpl(const std::vector<int64_t>& layers,
                                       int64_t output_dim,
                                       int64_t heads,
                                       int64_t input_resolution,
                                       int64_t width) {
  conv1 = register_module("conv1", conv(3, width / 2, 3, 2));
  bn1 = register_module("bn1", batch_norm(width / 2));
  conv2 = register_module("conv2", conv(width / 2, width / 2, 3));
  bn2 = register_module("bn2", batch_norm(width / 2));
  conv3 = register_module("conv3", conv(width / 2, width, 3));
  bn3 = register_module("bn3", batch_norm(width));
  int64_t inplanes = width;
  for (size_t stage = 0; stage < layers.size(); ++stage) {
    const int64_t planes = width << stage;
    const int64_t stride = stage == 0 ? 1 : 2;
    torch::nn::Sequential blocks;
    blocks->push_back(Bottleneck(inplanes, planes, stride));
    inplanes = planes * 4;
    for (int64_t b = 1; b < layers[stage]; ++b) blocks->push_back(Bottleneck(inplanes, planes, 1));
    stages.push_back(register_module("layer" + std::to_string(stage + 1), blocks));
  }
  attnpool = register_module("attnpool",
                             AttentionPool2d(input_resolution / 32, width * 32, heads, output_dim));
}

torch::Tensor ModifiedResNetImpl::forward(const torch::Tensor& images) {
  auto x = images.to(conv1->weight.scalar_type());
  x = torch::relu(bn1(conv1(x)));
  x = torch::relu(bn2(conv2(x)));
  x = torch::relu(bn3(conv3(x)));
  x = torch::avg_pool2d(x, 2);  // stem output: [B, width, R/4, R/4]
  for (auto& stage : stages) x = stage->forward(x);
  return attnpool(x);  // [B, 32*width, R/32, R/32] -> [B, E]
}

}  // namespace bbpt::model
