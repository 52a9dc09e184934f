// SPDX-License-Identifier: MIT
// BAR's randomized gradient-free estimator: one-sided forward differences along random unit
// directions, with BAR's polynomial learning-rate decay (algorithms.md 4). Only the optimizer: the
// visual program and focal loss live with the caller.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bbpt/optim/optimizer.h"

namespace bbpt::optim {

struct RandomGradientOptions {
  /// q: random directions per step; each step asks 1 + q settings (BAR SP_AVG = 5, algorithms.md
  /// 4).
  int num_directions = 5;
  /// beta > 0: finite-difference step along each unit direction (BAR SMOOTH = 0.01).
  double smoothing = 0.01;
  /// Initial learning rate (ZIP port: 10.0, algorithms.md 4).
  double lr0 = 10.0;
  /// Final learning rate, reached after decay_steps steps (ZIP port: 0.1).
  double lr_min = 0.1;
  /// T >= 1: steps of the polynomial decay (0.9 * batches_per_epoch * MAX_EPOCH; 900 for
  /// one-batch datasets, algorithms.md 4).
  int64_t decay_steps = 900;
  /// Decay exponent (0.9, algorithms.md 4).
  double power = 0.9;
  /// Seed of the direction streams (step k uses core::Rng(seed, k)).
  uint64_t seed = 1;
};

/// Step k (1-based) asks [N, 1 + q]: column 0 = w, column j = w + beta u_j, u_j = v_j / ||v_j||
/// with v_j ~ N(0, I) drawn j = 1..q, n = 0..N-1 by core::Rng(seed, stream = k).normal(). tell()
/// forms g = (N/q) sum_j (L_j - L_0) / beta u_j and sets w -= lr_t g with t = k, the 1-based index
/// of this update: BAR's trainers (ZIP port trainers/bar.py, BlackVIP trainers/reprogramming.py)
/// increment step_for_pdecay before each update, so even the first update uses lr_1 < lr0.
class RandomGradient : public Optimizer {
 public:
  /// w0: [N] initial parameters (finite, N >= 1). Throws ConfigError on bad options.
  RandomGradient(Vector w0, RandomGradientOptions options);

  std::string name() const override { return "random-gradient"; }
  int64_t dimension() const override { return w_.size(); }
  int64_t step() const override { return step_; }
  int64_t num_queries_per_step() const override { return 1 + int64_t{options_.num_directions}; }
  Matrix ask() override;
  void tell(const std::vector<double>& losses) override;
  /// [k, w_0, ..., w_{N-1}]: the replicas redraw u_1..u_q from (seed, k).
  std::vector<double> step_message() override;
  Matrix columns_from_message(const std::vector<double>& message,
                              int64_t first,
                              int64_t count) const override;
  Vector current() const override { return w_; }
  std::string serialize_state() const override;
  void restore_state(const std::string& bytes) override;

  const RandomGradientOptions& options() const { return options_; }
  /// lr_t = (lr0 - lr_min)(1 - min(t, T)/T)^power + lr_min, t >= 0 (algorithms.md 4); update k
  /// uses lr_k.
  double learning_rate(int64_t t) const;
  /// [N, q]: the unit directions u_1..u_q of step k (a pure function of seed and k).
  Matrix directions(int64_t k) const;

  /// Diagnostics of the last tell() (0 before the first one).
  /// L_0: the loss at w, BAR's train loss.
  double last_loss() const { return last_loss_; }
  double last_gradient_norm() const { return last_gradient_norm_; }
  double last_learning_rate() const { return last_learning_rate_; }

 private:
  Vector w_;  // [N]
  RandomGradientOptions options_;
  int64_t step_ = 0;
  double last_loss_ = 0.0;
  double last_gradient_norm_ = 0.0;
  double last_learning_rate_ = 0.0;
  // Cache of ask() for the current step (a pure function of the state, never serialized).
  Matrix asked_directions_;  // [N, q]
  int64_t asked_step_ = -1;

  const Matrix& directions_for_current_step();
};

}  // namespace bbpt::optim
