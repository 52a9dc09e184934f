// SPDX-License-Identifier: MIT
// ZIP's zeroth-order optimizer (SPSA with segmented-uniform perturbations, a_k/c_k schedule and
// intrinsic-dimensional clipping, algorithms.md 2.3) and BlackVIP's SPSA-GC (algorithms.md 3.2) in
// one class. It does not know what theta parametrises nor how a loss is computed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bbpt/core/rng.h"
#include "bbpt/optim/optimizer.h"

namespace bbpt::optim {

/// ZIP's SPSA schedule [o, c, a, alpha, gamma] (algorithms.md 2.3; ZIP config vit_b16.yaml values).
struct SpsaSchedule {
  /// o: stability offset of the step size.
  double o = 1.0;
  /// c: smoothing (perturbation) scale at k = 1.
  double c = 0.01;
  /// a: step size scale.
  double a = 0.01;
  /// alpha: step size decay exponent.
  double alpha = 0.4;
  /// gamma: smoothing decay exponent.
  double gamma = 0.1;

  /// a_k = a / (k + o)^alpha, k >= 1 (throws ConfigError for k < 1).
  double step_size(int64_t k) const;
  /// c_k = c / k^gamma, k >= 1 (throws ConfigError for k < 1).
  double smoothing(int64_t k) const;
};

/// Delta[n] = sigma_n * u_n, u_n ~ U[0.5, 1], sigma_n Rademacher (algorithms.md 2.3), for
/// n = 0..n-1 in order; per element the draws are u_n (one uniform01) then sigma_n (one next_u64).
Vector segmented_uniform(core::Rng& rng, int64_t n);

/// Gradient clipping rule.
enum class ClipMode {
  /// No clipping (SPSA-GC, algorithms.md 3.2).
  kNone,
  /// ZIP's intrinsic-dimensional clipping with threshold sqrt(N) (algorithms.md 2.3).
  kIntrinsic,
  /// Clipping at SpsaOptions::clip_threshold.
  kFixed,
};
/// "none", "intrinsic" or "fixed".
std::string to_string(ClipMode mode);
/// Inverse of to_string; throws ConfigError listing the valid names.
ClipMode parse_clip_mode(const std::string& name);

/// ZIP's intrinsic-dimensional clipping: if ||g|| >= threshold, g *= threshold/||g||
/// (algorithms.md 2.3). Returns true when it clipped. threshold must be > 0.
bool clip_gradient(Vector& g, double threshold);

struct SpsaOptions {
  /// a_k / c_k schedule (algorithms.md 2.3).
  SpsaSchedule schedule;
  /// q: perturbations per step; each step asks 2q settings, ordered theta+c_k*D_1,
  /// theta-c_k*D_1, theta+c_k*D_2, ... (ZIP SP_AVG = 5, algorithms.md 2.1).
  int num_perturbations = 5;
  /// Clipping rule for the plain SPSA step; kIntrinsic uses threshold sqrt(N).
  ClipMode clip = ClipMode::kIntrinsic;
  /// Threshold used when clip == kFixed; must then be > 0.
  double clip_threshold = 0.0;
  /// SPSA-GC (algorithms.md 3.2): m_1 = g_1, m_k = beta m_{k-1} + g_k, direction = g_k + beta m_k.
  bool gradient_correction = false;
  /// beta in [0, 1), used only with gradient_correction (ZIP-port MOMS = 0.8, algorithms.md 3.2).
  double momentum = 0.8;
  /// SPSA-GC has no clipping (algorithms.md 3.2): with gradient_correction, `clip` is ignored
  /// unless this is true.
  bool clip_with_gradient_correction = false;
  /// Seed of the perturbation streams (step k uses core::Rng(seed, k)).
  uint64_t seed = 1;
};

/// Two-sided SPSA. Step k (1-based) asks K = 2q settings: column 2(j-1) is theta + c_k Delta_j and
/// column 2(j-1)+1 is theta - c_k Delta_j, j = 1..q, where Delta_1..Delta_q are drawn in that order
/// by segmented_uniform from core::Rng(seed, stream = k). tell() forms
/// g_j[n] = (L+ - L-) / (2 c_k Delta_j[n]) (element-wise division), g = mean_j g_j, clips g (see
/// SpsaOptions), applies gradient correction if enabled, and sets theta -= a_k * direction.
class Spsa : public Optimizer {
 public:
  /// theta0: [N] initial parameters (finite, N >= 1). Throws ConfigError on bad options.
  Spsa(Vector theta0, SpsaOptions options);

  std::string name() const override;
  int64_t dimension() const override { return theta_.size(); }
  int64_t step() const override { return step_; }
  int64_t num_queries_per_step() const override { return 2 * int64_t{options_.num_perturbations}; }
  Matrix ask() override;
  void tell(const std::vector<double>& losses) override;
  /// [k, theta_0, ..., theta_{N-1}]: the replicas redraw Delta_1..Delta_q from (seed, k).
  std::vector<double> step_message() override;
  Matrix columns_from_message(const std::vector<double>& message,
                              int64_t first,
                              int64_t count) const override;
  Vector current() const override { return theta_; }
  std::string serialize_state() const override;
  void restore_state(const std::string& bytes) override;

  const SpsaOptions& options() const { return options_; }
  /// [N, q]: Delta_1..Delta_q of step k (a pure function of seed and k), for workers that
  /// regenerate the perturbations instead of receiving them.
  Matrix perturbations(int64_t k) const;
  /// The clipping threshold in effect (0 when no clipping applies).
  double effective_clip_threshold() const;

  /// Diagnostics of the last tell() (0 / false before the first one).
  /// ||g|| before clipping.
  double last_gradient_norm() const { return last_gradient_norm_; }
  bool last_clipped() const { return last_clipped_; }
  /// Mean of the last +/- pair, (L+_q + L-_q) / 2: what ZIP reports as train loss
  /// (algorithms.md 2.3).
  double last_mean_loss() const { return last_mean_loss_; }

 private:
  Vector theta_;  // [N]
  SpsaOptions options_;
  int64_t step_ = 0;
  Vector momentum_buffer_;  // [N], m_k of SPSA-GC; zero before the first step
  double last_gradient_norm_ = 0.0;
  bool last_clipped_ = false;
  double last_mean_loss_ = 0.0;
  // Cache of ask() for the current step (a pure function of the state, so never serialized).
  Matrix asked_deltas_;  // [N, q]
  int64_t asked_step_ = -1;

  const Matrix& deltas_for_current_step();
};

}  // namespace bbpt::optim
