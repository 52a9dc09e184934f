// SPDX-License-Identifier: MIT
// Implements FrameProgram (algorithms.md 4; ref: LOG-postech/ZIP visual_prompters.PROGRAM).
#include "bbpt/prompt/frame_program.h"

#include <cmath>

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"
#include "bbpt/prompt/rng_streams.h"

namespace bbpt::prompt {
namespace {

// BAR pastes a 194 x 194 image into a 224 x 224 canvas (algorithms.md 4, INPUT.SIZE = (194, 194)).
constexpr double kBarInner = 194.0;
constexpr double kBarCanvas = 224.0;

// CLIP normalisation (algorithms.md 1.2; ref: openai/CLIP clip/clip.py _transform).
constexpr float kClipMean[3] = {0.48145466F, 0.4578275F, 0.40821073F};
constexpr float kClipStd[3] = {0.26862954F, 0.26130258F, 0.27577711F};

}  // namespace

int64_t bar_inner_size(int64_t resolution) {
  return static_cast<int64_t>(
      std::lround(static_cast<double>(resolution) * kBarInner / kBarCanvas));
}

FrameProgram::FrameProgram(int64_t resolution) : resolution_(resolution) {
  BBPT_CHECK(resolution >= 3, ConfigError,
             "BAR frame program resolution (= " << resolution << ") must be >= 3");
  inner_size_ = bar_inner_size(resolution);
  offset_ = (resolution - inner_size_) / 2;
  BBPT_ASSERT(inner_size_ >= 1 && inner_size_ < resolution, "inner size " << inner_size_);
  mask_ = torch::ones({1, resolution, resolution}, torch::kFloat);  // [1, R, R]
  mask_.narrow(1, offset_, inner_size_).narrow(2, offset_, inner_size_).zero_();
  mean_ = torch::tensor({kClipMean[0], kClipMean[1], kClipMean[2]}, torch::kFloat).view({3, 1, 1});
  std_ = torch::tensor({kClipStd[0], kClipStd[1], kClipStd[2]}, torch::kFloat).view({3, 1, 1});
}

int64_t FrameProgram::num_effective_parameters() const {
  return 3 * (resolution_ * resolution_ - inner_size_ * inner_size_);
}

std::vector<double> FrameProgram::initial_parameters(int64_t resolution, uint64_t seed) {
  BBPT_CHECK(resolution >= 3, ConfigError,
             "BAR frame program resolution (= " << resolution << ") must be >= 3");
  core::Rng rng(seed, kBarProgramStream);
  std::vector<double> w(static_cast<size_t>(3 * resolution * resolution));
  for (auto& v : w) v = rng.normal();  // algorithms.md 4: W ~ N(0, 1)
  return w;
}

torch::Tensor FrameProgram::apply(const torch::Tensor& images01, const torch::Tensor& w) const {
  const int64_t big = resolution_, small = inner_size_;
  TORCH_CHECK(images01.dim() == 4 && images01.size(1) == 3 && images01.size(2) == small &&
                  images01.size(3) == small,
              "FrameProgram::apply expects images [B, 3, ", small, ", ", small, "], got ",
              images01.sizes());
  TORCH_CHECK(w.dim() == 2 && w.size(1) == num_parameters(), "FrameProgram::apply expects w [K, ",
              num_parameters(), "], got ", w.sizes());
  const int64_t k = w.size(0), b = images01.size(0);
  auto canvas = torch::zeros({b, 3, big, big}, mask_.options());  // [B, 3, R, R]
  canvas.narrow(2, offset_, small).narrow(3, offset_, small).copy_(images01);
  auto wd = w.to(device());
  if (!wd.is_floating_point()) wd = wd.to(torch::kFloat);
  auto program =
      torch::sigmoid(wd).to(torch::kFloat).view({k, 3, big, big}) * mask_;  // [K, 3, R, R]
  auto programmed = canvas.unsqueeze(0) + program.unsqueeze(1);             // [K, B, 3, R, R]
  return (programmed - mean_) / std_;                                       // [K, B, 3, R, R]
}

void FrameProgram::to(torch::Device device) {
  mask_ = mask_.to(device);
  mean_ = mean_.to(device);
  std_ = std_.to(device);
}

}  // namespace bbpt::prompt
