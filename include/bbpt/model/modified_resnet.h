// SPDX-License-Identifier: MIT
// CLIP's ModifiedResNet image tower (RN50 family): 3-conv stem with average pooling, bottleneck
// blocks whose strided convolutions are anti-aliased (AvgPool before the stride), and a QKV
// attention pool instead of global average pooling.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace bbpt::model {

/// Bottleneck block; "downsample.0" (conv) and "downsample.1" (BN) follow an AvgPool2d(stride).
class BottleneckImpl : public torch::nn::Module {
 public:
  BottleneckImpl(int64_t inplanes, int64_t planes, int64_t stride);
  torch::Tensor forward(const torch::Tensor& x);  // [B, Cin, H, W] -> [B, 4*planes, H/s, W/s]

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Conv2d downsample_conv{nullptr};     // "downsample.0"; null when identity
  torch::nn::BatchNorm2d downsample_bn{nullptr};  // "downsample.1"
  int64_t stride;
};
TORCH_MODULE(Bottleneck);

/// Multi-head attention of the mean token over the spatial tokens (plus itself).
class AttentionPool2dImpl : public torch::nn::Module {
 public:
  AttentionPool2dImpl(int64_t spatial_dim, int64_t embed_dim, int64_t heads, int64_t output_dim);
  torch::Tensor forward(const torch::Tensor& x);  // [B, C, S, S] -> [B, E]

  torch::Tensor positional_embedding;  // [S*S+1, C]
  torch::nn::Linear k_proj{nullptr}, q_proj{nullptr}, v_proj{nullptr}, c_proj{nullptr};
  int64_t heads;
};
TORCH_MODULE(AttentionPool2d);

class ModifiedResNetImpl : public torch::nn::Module {
 public:
  ModifiedResNetImpl(const std::vector<int64_t>& layers,
                     int64_t output_dim,
                     int64_t heads,
                     int64_t input_resolution,
                     int64_t width);
  torch::Tensor forward(const torch::Tensor& images);  // [B, 3, R, R] -> [B, E]

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  std::vector<torch::nn::Sequential> stages;  // "layer1".."layer4"
  AttentionPool2d attnpool{nullptr};
};
TORCH_MODULE(ModifiedResNet);

}  // namespace bbpt::model
