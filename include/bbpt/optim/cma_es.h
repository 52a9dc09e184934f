// SPDX-License-Identifier: MIT
// Full-covariance (mu/mu_w, lambda)-CMA-ES with the default strategy parameters of Hansen's
// tutorial and pycma, as BPT-VLM uses it (algorithms.md 5.1). Positive recombination weights only:
// pycma's active CMA (negative weights, on by default since pycma 2.x) is deliberately not
// implemented. No bounds, no restarts, no termination criteria: the caller owns the budget.
// ref: N. Hansen, "The CMA Evolution Strategy: A Tutorial", arXiv:1604.00772.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "bbpt/optim/optimizer.h"

namespace bbpt::optim {

struct CmaEsOptions {
  /// lambda: candidates per generation; 0 = the default 4 + floor(3 ln N) (Hansen 2016, Table 1).
  /// BPT-VLM's ZIP port uses 15 (algorithms.md 5.1). Must be 0 or >= 2.
  int population_size = 0;
  /// Initial step size sigma0 > 0, in units of the search space (BPT-VLM: 1, algorithms.md 5.1).
  double sigma0 = 1.0;
  /// Seed of the sampling streams (generation k uses core::Rng(seed, k)).
  uint64_t seed = 1;
};

/// Generation k (1-based) asks lambda candidates x_i = m + sigma B D z_i, z_i ~ N(0, I), the z_i
/// drawn column by column (i = 0..lambda-1, n = 0..N-1) with core::Rng(seed, stream = k).normal().
/// tell() ranks by loss (stable: lower column index first on ties) and applies the tutorial's
/// updates of m, p_sigma, p_c, C and sigma. The eigendecomposition C = B D^2 B^T is refreshed
/// lazily, as in the tutorial's purecmaes.m, only when more than (c1 + cmu)^-1 / N / 10 generations
/// have passed since the last one (every generation for small N, every 54 for N = 4000 and
/// lambda = 15). Cost at N = 4000, lambda = 15 on this 2-core machine: ~0.05-0.25 s per generation
/// plus 12-20 s per eigendecomposition (LAPACK dsyevd; Eigen's own solver took 88 s in the same
/// program), i.e. ~0.4 s per generation amortised; dsyevd needs ~256 MB of extra memory meanwhile.
/// Memory: C and B are [N, N] doubles (2 x 128 MB for N = 4000; ~1 GB peak while a 256 MB state
/// is serialized and restored).
class CmaEs : public Optimizer {
 public:
  /// mean0: [N] initial mean (finite, N >= 1). Throws ConfigError on bad options.
  CmaEs(Vector mean0, CmaEsOptions options);

  std::string name() const override { return "cma-es"; }
  int64_t dimension() const override { return mean_.size(); }
  int64_t step() const override { return generation_; }
  int64_t num_queries_per_step() const override { return lambda_; }
  /// [N, lambda].
  Matrix ask() override;
  /// Besides the ConfigError of the interface, throws bbpt::Error when the numerics break down
  /// (sigma overflows, the eigensolver fails); the optimizer is then half-updated and must be
  /// discarded (record the trial as failed).
  void tell(const std::vector<double>& losses) override;
  /// The mean m.
  Vector current() const override { return mean_; }
  std::string serialize_state() const override;
  void restore_state(const std::string& bytes) override;

  const CmaEsOptions& options() const { return options_; }
  /// lambda = 4 + floor(3 ln N) (Hansen 2016, Table 1), used when population_size == 0.
  static int default_population_size(int64_t n);
  double sigma() const { return sigma_; }
  int population_size() const { return lambda_; }
  /// mu = floor(lambda / 2).
  int num_parents() const { return mu_; }
  /// [mu] recombination weights, decreasing, summing to 1.
  const Vector& weights() const { return weights_; }
  double mu_eff() const { return mu_eff_; }
  /// [N, N] covariance matrix C.
  const Matrix& covariance() const { return cov_; }
  /// Generation after which B and D were last recomputed (0: never, B = I, D = 1).
  int64_t eigen_generation() const { return eigen_generation_; }
  /// B and D are recomputed after a tell() that leaves step() - eigen_generation() above this
  /// gap, (c1 + cmu)^-1 / N / 10 generations (purecmaes.m, Hansen 2016 appendix).
  double eigen_update_gap() const { return lazy_gap_; }
  /// c_sigma, d_sigma, c_c, c_1, c_mu and E||N(0, I)|| (Hansen 2016, Table 1 and Fig. 6).
  double c_sigma() const { return c_sigma_; }
  double d_sigma() const { return d_sigma_; }
  double c_c() const { return c_c_; }
  double c_1() const { return c_1_; }
  double c_mu() const { return c_mu_; }
  double expected_norm() const { return chi_n_; }
  /// Lowest loss told so far (+infinity before the first tell) and its candidate (mean0 before
  /// the first tell). Ties keep the earlier candidate.
  double best_loss() const { return best_loss_; }
  const Vector& best_solution() const { return best_solution_; }

 private:
  CmaEsOptions options_;
  int lambda_ = 0;
  int mu_ = 0;
  Vector weights_;  // [mu]
  double mu_eff_ = 0.0;
  double c_sigma_ = 0.0, d_sigma_ = 0.0, c_c_ = 0.0, c_1_ = 0.0, c_mu_ = 0.0;
  double chi_n_ = 0.0;     // E||N(0, I)||
  double lazy_gap_ = 0.0;  // generations between eigendecompositions

  Vector mean_;  // [N]
  double sigma_ = 0.0;
  Vector p_sigma_;       // [N]
  Vector p_c_;           // [N]
  Matrix cov_;           // [N, N] C
  Matrix eigenvectors_;  // [N, N] B (columns)
  Vector axis_lengths_;  // [N] D: sqrt of the eigenvalues of C
  int64_t generation_ = 0;
  int64_t eigen_generation_ = 0;
  double best_loss_ = std::numeric_limits<double>::infinity();
  Vector best_solution_;  // [N]

  // Cache of ask() for the current generation (a pure function of the state, never serialized).
  Matrix asked_z_;  // [N, lambda]
  Matrix asked_y_;  // [N, lambda] B D z
  int64_t asked_generation_ = -1;

  void set_strategy_parameters();
  void sample_current_generation();
  void update_eigensystem();
};

}  // namespace bbpt::optim
