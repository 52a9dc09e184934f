// SPDX-License-Identifier: MIT
// ZIP's SPSA step (algorithms.md 2.3) and BlackVIP's SPSA-GC (algorithms.md 3.2). State
// serialization lives in optim_serialization.cc.
#include "bbpt/optim/spsa.h"

#include <cmath>
#include <utility>

#include "bbpt/core/error.h"

namespace bbpt::optim {

double SpsaSchedule::step_size(int64_t k) const {
  BBPT_CHECK(k >= 1, ConfigError, "SPSA step_size: step k (= " << k << ") must be >= 1");
  // a_k = a / (k + o)^alpha (algorithms.md 2.3)
  return a / std::pow(static_cast<double>(k) + o, alpha);
}

double SpsaSchedule::smoothing(int64_t k) const {
  BBPT_CHECK(k >= 1, ConfigError, "SPSA smoothing: step k (= " << k << ") must be >= 1");
  // c_k = c / k^gamma (algorithms.md 2.3)
  return c / std::pow(static_cast<double>(k), gamma);
}

Vector segmented_uniform(core::Rng& rng, int64_t n) {
  BBPT_CHECK(n >= 0, ConfigError, "segmented_uniform: length (= " << n << ") must be >= 0");
  Vector delta(n);
  for (int64_t i = 0; i < n; ++i) {
    // |Delta| ~ U[0.5, 1] with a Rademacher sign (algorithms.md 2.3); the magnitude is bounded
    // away from 0, so the element-wise division of the estimator is safe.
    const double magnitude = rng.uniform(0.5, 1.0);
    delta[i] = rng.rademacher() * magnitude;
  }
  return delta;
}

std::string to_string(ClipMode mode) {
  switch (mode) {
    case ClipMode::kNone:
      return "none";
    case ClipMode::kIntrinsic:
      return "intrinsic";
    case ClipMode::kFixed:
      return "fixed";
  }
  BBPT_ASSERT(false, "unknown ClipMode " << static_cast<int>(mode));
  return "";
}

ClipMode parse_clip_mode(const std::string& name) {
  if (name == "none") return ClipMode::kNone;
  if (name == "intrinsic") return ClipMode::kIntrinsic;
  if (name == "fixed") return ClipMode::kFixed;
  BBPT_THROW(ConfigError,
             "unknown clip mode '" << name << "'; expected one of: none, intrinsic, fixed");
}

bool clip_gradient(Vector& g, double threshold) {
  BBPT_CHECK(threshold > 0.0, ConfigError,
             "clip_gradient: threshold (= " << threshold << ") must be > 0");
  const double norm = g.norm();
  // ZIP: if ||g|| >= threshold, g <- g * threshold / ||g|| (algorithms.md 2.3)
  if (norm < threshold) return false;
  g *= threshold / norm;
  return true;
}

Spsa::Spsa(Vector theta0, SpsaOptions options) : theta_(std::move(theta0)), options_(options) {
  const SpsaSchedule& s = options_.schedule;
  BBPT_CHECK(theta_.size() >= 1, ConfigError, "SPSA: theta0 is empty; the dimension must be >= 1");
  BBPT_CHECK(theta_.allFinite(), ConfigError, "SPSA: theta0 has a non-finite entry");
  BBPT_CHECK(options_.num_perturbations >= 1, ConfigError,
             "SPSA: num_perturbations (= " << options_.num_perturbations << ") must be >= 1");
  BBPT_CHECK(s.a > 0.0 && std::isfinite(s.a), ConfigError,
             "SPSA: schedule a (= " << s.a << ") must be > 0");
  BBPT_CHECK(s.c > 0.0 && std::isfinite(s.c), ConfigError,
             "SPSA: schedule c (= " << s.c << ") must be > 0");
  BBPT_CHECK(s.o > -1.0 && std::isfinite(s.o), ConfigError,
             "SPSA: schedule o (= " << s.o << ") must be > -1 so that k + o > 0 from k = 1");
  BBPT_CHECK(s.alpha >= 0.0 && std::isfinite(s.alpha), ConfigError,
             "SPSA: schedule alpha (= " << s.alpha << ") must be >= 0");
  BBPT_CHECK(s.gamma >= 0.0 && std::isfinite(s.gamma), ConfigError,
             "SPSA: schedule gamma (= " << s.gamma << ") must be >= 0");
  BBPT_CHECK(options_.clip != ClipMode::kFixed || options_.clip_threshold > 0.0, ConfigError,
             "SPSA: clip_threshold (= " << options_.clip_threshold
                                        << ") must be > 0 with clip mode 'fixed'");
  BBPT_CHECK(options_.momentum >= 0.0 && options_.momentum < 1.0, ConfigError,
             "SPSA: momentum (= " << options_.momentum << ") must be in [0, 1)");
  momentum_buffer_ = Vector::Zero(theta_.size());
}

std::string Spsa::name() const { return options_.gradient_correction ? "spsa-gc" : "spsa"; }

double Spsa::effective_clip_threshold() const {
  if (options_.gradient_correction && !options_.clip_with_gradient_correction) return 0.0;
  switch (options_.clip) {
    case ClipMode::kNone:
      return 0.0;
    case ClipMode::kIntrinsic:
      // Intrinsic-dimensional clipping: threshold sqrt(delta), delta = len(theta)
      // (algorithms.md 2.3)
      return std::sqrt(static_cast<double>(theta_.size()));
    case ClipMode::kFixed:
      return options_.clip_threshold;
  }
  BBPT_ASSERT(false, "unknown ClipMode " << static_cast<int>(options_.clip));
  return 0.0;
}

Matrix Spsa::perturbations(int64_t k) const {
  BBPT_CHECK(k >= 1, ConfigError, "SPSA perturbations: step k (= " << k << ") must be >= 1");
  core::Rng rng(options_.seed, static_cast<uint64_t>(k));
  const int64_t n = theta_.size();
  Matrix deltas(n, options_.num_perturbations);  // [N, q]
  for (int j = 0; j < options_.num_perturbations; ++j) deltas.col(j) = segmented_uniform(rng, n);
  return deltas;
}

const Matrix& Spsa::deltas_for_current_step() {
  if (asked_step_ != step_ + 1) {
    asked_deltas_ = perturbations(step_ + 1);
    asked_step_ = step_ + 1;
  }
  return asked_deltas_;
}

namespace {
/// Columns [first, first + count) of step k's [N, 2q] settings: column 2(j-1) is theta + c_k
/// Delta_j, column 2(j-1)+1 is theta - c_k Delta_j. ask() and the replicas both use this, so they
/// agree bit for bit.
template <class Theta>
Matrix spsa_columns(
    const Theta& theta, const Matrix& deltas, double c_k, int64_t first, int64_t count) {
  Matrix settings(theta.size(), count);  // [N, count]
  for (int64_t i = 0; i < count; ++i) {
    const int64_t column = first + i;
    const int64_t j = column / 2;
    if (column % 2 == 0) {
      settings.col(i) = theta + c_k * deltas.col(j);
    } else {
      settings.col(i) = theta - c_k * deltas.col(j);
    }
  }
  return settings;
}
}  // namespace

Matrix Spsa::ask() {
  const int64_t k = step_ + 1;
  const Matrix& deltas = deltas_for_current_step();  // [N, q]
  return spsa_columns(theta_, deltas, options_.schedule.smoothing(k), 0,
                      num_queries_per_step());  // [N, 2q]
}

std::vector<double> Spsa::step_message() {
  deltas_for_current_step();  // cached for this rank's own columns_from_message calls
  return step_and_point_message(step_ + 1, theta_);
}

Matrix Spsa::columns_from_message(const std::vector<double>& message,
                                  int64_t first,
                                  int64_t count) const {
  const auto [k, theta] = read_step_and_point(message, theta_.size(), name());
  check_column_range(first, count, num_queries_per_step(), name());
  const Matrix deltas = k == asked_step_ ? asked_deltas_ : perturbations(k);  // [N, q]
  return spsa_columns(theta, deltas, options_.schedule.smoothing(k), first, count);
}

void Spsa::tell(const std::vector<double>& losses) {
  check_losses(losses, num_queries_per_step(), name());
  const int64_t k = step_ + 1;
  const Matrix& deltas = deltas_for_current_step();  // [N, q]
  const double a_k = options_.schedule.step_size(k);
  const double c_k = options_.schedule.smoothing(k);
  const int q = options_.num_perturbations;

  // g_j[n] = (L+ - L-) / (2 c_k Delta_j[n]): element-wise division (algorithms.md 2.3).
  Vector gradient = Vector::Zero(theta_.size());
  for (int j = 0; j < q; ++j) {
    const double scale = (losses[2 * j] - losses[2 * j + 1]) / (2.0 * c_k);
    gradient.array() += scale / deltas.col(j).array();
  }
  gradient /= static_cast<double>(q);

  last_gradient_norm_ = gradient.norm();
  const double threshold = effective_clip_threshold();
  last_clipped_ = threshold > 0.0 && clip_gradient(gradient, threshold);

  if (options_.gradient_correction) {
    // SPSA-GC (algorithms.md 3.2): m_1 = g_1, m_k = beta m_{k-1} + g_k, direction = g_k + beta m_k.
    const double beta = options_.momentum;
    if (step_ == 0) {
      momentum_buffer_ = gradient;
    } else {
      momentum_buffer_ = beta * momentum_buffer_ + gradient;
    }
    theta_ -= a_k * (gradient + beta * momentum_buffer_);
  } else {
    theta_ -= a_k * gradient;
  }
  // ZIP reports the average of the last +/- pair as the step's train loss (algorithms.md 2.3).
  last_mean_loss_ = 0.5 * (losses[2 * q - 2] + losses[2 * q - 1]);
  ++step_;
}

}  // namespace bbpt::optim
