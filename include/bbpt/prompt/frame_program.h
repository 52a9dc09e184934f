// SPDX-License-Identifier: MIT
// BAR's visual reprogramming (algorithms.md 4; ref: LOG-postech/ZIP trainers/bar.py and
// visual_prompters.PROGRAM, same algorithm as changdaeoh/BlackVIP trainers/reprogramming.py): the
// downsized image is pasted in the centre of a zero canvas and a learned frame sigmoid(W) * M is
// added around it.
// Dimension letters: include/bbpt/model/README.md (R tower resolution, r inner size, B images,
// K settings).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace bbpt::prompt {

/// Inner (pasted image) size for a tower resolution R: round(R * 194 / 224), BAR's 194 at 224
/// (algorithms.md 4), 28 at 32. The image starts at offset (R - inner) / 2 (15 at 224).
int64_t bar_inner_size(int64_t resolution);

/// The frame program for one tower resolution. The parameter vector w (length 3 R R) is W [3, R, R]
/// row-major; only the entries outside the central inner square change the output.
class FrameProgram {
 public:
  /// Throws ConfigError unless resolution >= 3 (so that the frame is not empty).
  explicit FrameProgram(int64_t resolution);

  /// R.
  int64_t resolution() const { return resolution_; }
  /// r = bar_inner_size(R).
  int64_t inner_size() const { return inner_size_; }
  /// Row/column where the inner square starts: (R - r) / 2.
  int64_t offset() const { return offset_; }
  /// 3 R R (150,528 at 224).
  int64_t num_parameters() const { return 3 * resolution_ * resolution_; }
  /// 3 (R^2 - r^2), the entries outside the mask (37,620 at 224, algorithms.md 4).
  int64_t num_effective_parameters() const;
  /// W0 ~ N(0, 1) (algorithms.md 4), 3 R R normal() draws row-major from
  /// core::Rng(seed, kBarProgramStream) (rng_streams.h).
  static std::vector<double> initial_parameters(int64_t resolution, uint64_t seed);

  /// M: [1, R, R] float32, 1 outside the central inner square and 0 inside.
  const torch::Tensor& mask() const { return mask_; }

  /// images01: [B, 3, r, r] in [0, 1] (not normalised); w: [K, 3 R R] (float32 or float64, any
  /// device) -> normalize_clip(canvas + sigmoid(W) * M): [K, B, 3, R, R] float32 on this program's
  /// device, no clamp (algorithms.md 4). sigmoid is taken in w's dtype. The output holds
  /// K * B * 3 R R floats (0.6 MB per setting and image at R = 224, so 462 MB for K = 6 and
  /// B = 128): callers chunk large K * B.
  torch::Tensor apply(const torch::Tensor& images01, const torch::Tensor& w) const;

  /// Moves the mask and normalisation constants to device.
  void to(torch::Device device);
  torch::Device device() const { return mask_.device(); }

 private:
  int64_t resolution_ = 0;  // R
  int64_t inner_size_ = 0;  // r
  int64_t offset_ = 0;      // (R - r) / 2
  torch::Tensor mask_;      // [1, R, R] float32
  torch::Tensor mean_;      // [3, 1, 1] float32, CLIP normalisation mean
  torch::Tensor std_;       // [3, 1, 1] float32, CLIP normalisation std
};

}  // namespace bbpt::prompt
