// SPDX-License-Identifier: MIT
// BAR's randomized gradient-free step and learning-rate decay (algorithms.md 4). State
// serialization lives in optim_serialization.cc.
#include "bbpt/optim/random_gradient.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"

namespace bbpt::optim {

RandomGradient::RandomGradient(Vector w0, RandomGradientOptions options)
    : w_(std::move(w0)), options_(options) {
  const RandomGradientOptions& o = options_;
  BBPT_CHECK(w_.size() >= 1, ConfigError,
             "random-gradient: w0 is empty; the dimension must be >= 1");
  BBPT_CHECK(w_.allFinite(), ConfigError, "random-gradient: w0 has a non-finite entry");
  BBPT_CHECK(o.num_directions >= 1, ConfigError,
             "random-gradient: num_directions (= " << o.num_directions << ") must be >= 1");
  BBPT_CHECK(o.smoothing > 0.0 && std::isfinite(o.smoothing), ConfigError,
             "random-gradient: smoothing (= " << o.smoothing << ") must be > 0");
  BBPT_CHECK(o.lr0 >= 0.0 && std::isfinite(o.lr0), ConfigError,
             "random-gradient: lr0 (= " << o.lr0 << ") must be >= 0");
  BBPT_CHECK(o.lr_min >= 0.0 && std::isfinite(o.lr_min), ConfigError,
             "random-gradient: lr_min (= " << o.lr_min << ") must be >= 0");
  BBPT_CHECK(o.decay_steps >= 1, ConfigError,
             "random-gradient: decay_steps (= " << o.decay_steps << ") must be >= 1");
  BBPT_CHECK(o.power >= 0.0 && std::isfinite(o.power), ConfigError,
             "random-gradient: power (= " << o.power << ") must be >= 0");
}

double RandomGradient::learning_rate(int64_t t) const {
  BBPT_CHECK(t >= 0, ConfigError,
             "random-gradient: learning_rate step t (= " << t << ") must be >= 0");
  const RandomGradientOptions& o = options_;
  // lr_t = (lr0 - lr_min)(1 - min(t, T)/T)^0.9 + lr_min (algorithms.md 4).
  const double fraction =
      static_cast<double>(std::min(t, o.decay_steps)) / static_cast<double>(o.decay_steps);
  return (o.lr0 - o.lr_min) * std::pow(1.0 - fraction, o.power) + o.lr_min;
}

Matrix RandomGradient::directions(int64_t k) const {
  BBPT_CHECK(k >= 1, ConfigError,
             "random-gradient directions: step k (= " << k << ") must be >= 1");
  core::Rng rng(options_.seed, static_cast<uint64_t>(k));
  const int64_t n = w_.size();
  Matrix u(n, options_.num_directions);  // [N, q]
  for (int j = 0; j < options_.num_directions; ++j) {
    for (int64_t i = 0; i < n; ++i) u(i, j) = rng.normal();
    // u_j ~ N(0, I) / ||.||: uniform on the unit sphere (algorithms.md 4). A zero norm has
    // probability 0 and would need N consecutive exact zeros from Box-Muller.
    const double norm = u.col(j).norm();
    BBPT_ASSERT(norm > 0.0, "random direction of zero norm");
    u.col(j) /= norm;
  }
  return u;
}

const Matrix& RandomGradient::directions_for_current_step() {
  if (asked_step_ != step_ + 1) {
    asked_directions_ = directions(step_ + 1);
    asked_step_ = step_ + 1;
  }
  return asked_directions_;
}

namespace {
/// Columns [first, first + count) of a step's [N, 1 + q] settings: column 0 is w, column j is
/// w + beta u_j. ask() and the replicas both use this, so they agree bit for bit.
template <class W>
Matrix random_gradient_columns(
    const W& w, const Matrix& u, double beta, int64_t first, int64_t count) {
  Matrix settings(w.size(), count);  // [N, count]
  for (int64_t i = 0; i < count; ++i) {
    const int64_t column = first + i;
    if (column == 0) {
      settings.col(i) = w;
    } else {
      settings.col(i) = w + beta * u.col(column - 1);
    }
  }
  return settings;
}
}  // namespace

Matrix RandomGradient::ask() {
  const Matrix& u = directions_for_current_step();  // [N, q]
  return random_gradient_columns(w_, u, options_.smoothing, 0,
                                 num_queries_per_step());  // [N, 1 + q]
}

std::vector<double> RandomGradient::step_message() {
  directions_for_current_step();  // cached for this rank's own columns_from_message calls
  return step_and_point_message(step_ + 1, w_);
}

Matrix RandomGradient::columns_from_message(const std::vector<double>& message,
                                            int64_t first,
                                            int64_t count) const {
  const auto [k, w] = read_step_and_point(message, w_.size(), name());
  check_column_range(first, count, num_queries_per_step(), name());
  const Matrix u = k == asked_step_ ? asked_directions_ : directions(k);  // [N, q]
  return random_gradient_columns(w, u, options_.smoothing, first, count);
}

void RandomGradient::tell(const std::vector<double>& losses) {
  check_losses(losses, num_queries_per_step(), name());
  const Matrix& u = directions_for_current_step();  // [N, q]
  const int q = options_.num_directions;
  const double beta = options_.smoothing;
  // g = (N/q) sum_j (L_j - L_0) / beta u_j: one-sided forward differences (algorithms.md 4).
  Vector gradient = Vector::Zero(w_.size());
  for (int j = 0; j < q; ++j) gradient += ((losses[1 + j] - losses[0]) / beta) * u.col(j);
  gradient *= static_cast<double>(w_.size()) / static_cast<double>(q);

  // t = k = step_ + 1: BAR's trainers increment step_for_pdecay before the update (ZIP
  // trainers/bar.py run_epoch). At k = 834, T = 900 this gives 1.042, the spec's "~1.05"
  // (algorithms.md 4, [DERIVED]).
  last_learning_rate_ = learning_rate(step_ + 1);
  last_gradient_norm_ = gradient.norm();
  last_loss_ = losses[0];
  w_ -= last_learning_rate_ * gradient;
  ++step_;
}

}  // namespace bbpt::optim
