// SPDX-License-Identifier: MIT
// (mu/mu_w, lambda)-CMA-ES with full covariance and lazy eigendecomposition. Equations and default
// strategy parameters follow N. Hansen, "The CMA Evolution Strategy: A Tutorial" (arXiv:1604.00772,
// Appendix A: Fig. 6 and Table 1), restricted to positive weights; the lazy-update rule is that of
// the tutorial's purecmaes.m. State serialization lives in optim_serialization.cc; the
// eigendecomposition is LAPACK's dsyevd (symmetric_eigen.cc).
#include "bbpt/optim/cma_es.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"
#include "symmetric_eigen.h"

namespace bbpt::optim {

CmaEs::CmaEs(Vector mean0, CmaEsOptions options) : options_(options), mean_(std::move(mean0)) {
  BBPT_CHECK(mean_.size() >= 1, ConfigError, "cma-es: mean0 is empty; the dimension must be >= 1");
  BBPT_CHECK(mean_.allFinite(), ConfigError, "cma-es: mean0 has a non-finite entry");
  BBPT_CHECK(
      options_.population_size == 0 || options_.population_size >= 2, ConfigError,
      "cma-es: population_size (= " << options_.population_size << ") must be 0 (default) or >= 2");
  BBPT_CHECK(options_.sigma0 > 0.0 && std::isfinite(options_.sigma0), ConfigError,
             "cma-es: sigma0 (= " << options_.sigma0 << ") must be > 0");
  set_strategy_parameters();
  const int64_t n = mean_.size();
  sigma_ = options_.sigma0;
  p_sigma_ = Vector::Zero(n);
  p_c_ = Vector::Zero(n);
  cov_ = Matrix::Identity(n, n);
  eigenvectors_ = Matrix::Identity(n, n);
  axis_lengths_ = Vector::Ones(n);
  best_solution_ = mean_;
}

int CmaEs::default_population_size(int64_t n) {
  BBPT_CHECK(n >= 1, ConfigError, "cma-es: dimension (= " << n << ") must be >= 1");
  // lambda = 4 + floor(3 ln N) (Hansen 2016, Table 1; pycma's popsize default).
  return 4 + static_cast<int>(std::floor(3.0 * std::log(static_cast<double>(n))));
}

void CmaEs::set_strategy_parameters() {
  const double n = static_cast<double>(mean_.size());
  lambda_ = options_.population_size > 0 ? options_.population_size
                                         : default_population_size(mean_.size());
  // mu = floor(lambda / 2) and w_i proportional to ln((lambda + 1)/2) - ln i, i = 1..mu, summing
  // to 1 (Hansen 2016, Table 1, restricted to the positive weights).
  mu_ = lambda_ / 2;
  weights_.resize(mu_);
  for (int i = 0; i < mu_; ++i) {
    weights_[i] = std::log((lambda_ + 1) / 2.0) - std::log(static_cast<double>(i + 1));
  }
  weights_ /= weights_.sum();
  // mu_eff = (sum w)^2 / sum w^2 (Hansen 2016, Sect. 2 and Table 1)
  mu_eff_ = 1.0 / weights_.squaredNorm();
  // Step-size control (Hansen 2016, Table 1): c_sigma and d_sigma.
  c_sigma_ = (mu_eff_ + 2.0) / (n + mu_eff_ + 5.0);
  d_sigma_ = 1.0 + 2.0 * std::max(0.0, std::sqrt((mu_eff_ - 1.0) / (n + 1.0)) - 1.0) + c_sigma_;
  // Covariance adaptation (Hansen 2016, Table 1 with alpha_cov = 2).
  c_c_ = (4.0 + mu_eff_ / n) / (n + 4.0 + 2.0 * mu_eff_ / n);
  const double alpha_cov = 2.0;
  c_1_ = alpha_cov / ((n + 1.3) * (n + 1.3) + mu_eff_);
  c_mu_ = std::min(1.0 - c_1_, alpha_cov * (mu_eff_ - 2.0 + 1.0 / mu_eff_) /
                                   ((n + 2.0) * (n + 2.0) + alpha_cov * mu_eff_ / 2.0));
  // E||N(0, I)|| ~ sqrt(N) (1 - 1/(4N) + 1/(21 N^2)) (Hansen 2016, Sect. 4 / Fig. 6).
  chi_n_ = std::sqrt(n) * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));
  // Lazy eigendecomposition: every (c1 + cmu)^-1 / N / 10 generations (purecmaes.m in Hansen 2016:
  // "if counteval - eigeneval > lambda/(c1+cmu)/N/10", here counted in generations).
  lazy_gap_ = 1.0 / (c_1_ + c_mu_) / n / 10.0;
}

void CmaEs::sample_current_generation() {
  const int64_t k = generation_ + 1;
  if (asked_generation_ == k) return;
  const int64_t n = mean_.size();
  core::Rng rng(options_.seed, static_cast<uint64_t>(k));
  asked_z_.resize(n, lambda_);  // [N, lambda]
  for (int i = 0; i < lambda_; ++i) {
    for (int64_t r = 0; r < n; ++r) asked_z_(r, i) = rng.normal();
  }
  if (eigen_generation_ == 0) {
    asked_y_ = asked_z_;  // B = I, D = 1 until the first eigendecomposition
  } else {
    // y = B D z: [N, N] x ([N] .* [N, lambda]) -> [N, lambda]
    asked_y_.noalias() = eigenvectors_ * (axis_lengths_.asDiagonal() * asked_z_);
  }
  asked_generation_ = k;
}

Matrix CmaEs::ask() {
  sample_current_generation();
  Matrix candidates(mean_.size(), lambda_);  // [N, lambda]
  // x_i = m + sigma y_i, y_i = B D z_i (Hansen 2016, Fig. 6, sample new population)
  for (int i = 0; i < lambda_; ++i) candidates.col(i) = mean_ + sigma_ * asked_y_.col(i);
  return candidates;
}

void CmaEs::tell(const std::vector<double>& losses) {
  check_losses(losses, lambda_, name());
  sample_current_generation();
  const int64_t n_int = mean_.size();
  const double n = static_cast<double>(n_int);

  std::vector<int> order(lambda_);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&losses](int a, int b) { return losses[a] < losses[b]; });
  for (int i = 0; i < lambda_; ++i) {
    if (losses[i] < best_loss_) {
      best_loss_ = losses[i];
      best_solution_ = mean_ + sigma_ * asked_y_.col(i);  // same expression as ask()
    }
  }

  // The mu best steps, weighted: y_w = sum w_i y_{i:lambda}, z_w = sum w_i z_{i:lambda}.
  Matrix selected_y(n_int, mu_);  // [N, mu]
  Vector y_w = Vector::Zero(n_int);
  Vector z_w = Vector::Zero(n_int);
  for (int i = 0; i < mu_; ++i) {
    selected_y.col(i) = asked_y_.col(order[i]);
    y_w += weights_[i] * asked_y_.col(order[i]);
    z_w += weights_[i] * asked_z_.col(order[i]);
  }

  // Mean, c_m = 1 (Hansen 2016, Fig. 6, selection and recombination).
  mean_ += sigma_ * y_w;
  // Cumulation for sigma (Hansen 2016, Fig. 6, step-size control): C^-1/2 y_w = B D^-1 B^T B D z_w
  // = B z_w with the (possibly stale) B and D the candidates were sampled with, as pycma does.
  const double ps_scale = std::sqrt(c_sigma_ * (2.0 - c_sigma_) * mu_eff_);
  if (eigen_generation_ == 0) {
    p_sigma_ = (1.0 - c_sigma_) * p_sigma_ + ps_scale * z_w;
  } else {
    p_sigma_ = (1.0 - c_sigma_) * p_sigma_ + ps_scale * (eigenvectors_ * z_w);
  }
  const int64_t g = generation_ + 1;
  const double ps_norm = p_sigma_.norm();
  // h_sigma stalls p_c while ||p_sigma|| is large (Hansen 2016, Fig. 6: threshold
  // (1.4 + 2/(N+1)) E||N(0,I)|| on ||p_sigma|| / sqrt(1 - (1 - c_sigma)^(2(g+1)))).
  const double h_sigma =
      ps_norm / std::sqrt(1.0 - std::pow(1.0 - c_sigma_, 2.0 * static_cast<double>(g))) <
              (1.4 + 2.0 / (n + 1.0)) * chi_n_
          ? 1.0
          : 0.0;
  // Cumulation for C (Hansen 2016, Fig. 6, covariance matrix adaptation).
  p_c_ = (1.0 - c_c_) * p_c_ + h_sigma * std::sqrt(c_c_ * (2.0 - c_c_) * mu_eff_) * y_w;
  // Covariance update (Hansen 2016, Fig. 6, with delta(h_sigma) and sum w = 1):
  // C <- (1 + c1 delta(h) - c1 - cmu) C + c1 p_c p_c^T + cmu sum w_i y_i y_i^T
  const double delta_h = (1.0 - h_sigma) * c_c_ * (2.0 - c_c_);
  cov_ *= 1.0 + c_1_ * delta_h - c_1_ - c_mu_;
  cov_.noalias() += c_1_ * p_c_ * p_c_.transpose();
  if (c_mu_ > 0.0) {
    const Matrix weighted_y = selected_y * weights_.asDiagonal();     // [N, mu]
    cov_.noalias() += (c_mu_ * weighted_y) * selected_y.transpose();  // [N, mu] x [mu, N]
  }
  // Step size (Hansen 2016, Fig. 6); the exponent is capped at 1 as in purecma.py so a burst of
  // long steps cannot overflow sigma.
  sigma_ *= std::exp(std::min(1.0, (c_sigma_ / d_sigma_) * (ps_norm / chi_n_ - 1.0)));
  BBPT_CHECK(std::isfinite(sigma_) && sigma_ > 0.0, NumericalError,
             "cma-es: step size became " << sigma_ << " at generation " << g);

  generation_ = g;
  if (static_cast<double>(generation_ - eigen_generation_) > lazy_gap_) update_eigensystem();
}

void CmaEs::update_eigensystem() {
  const int64_t n = cov_.rows();
  // Enforce exact symmetry: the rank-mu GEMM need not produce a bitwise-symmetric C.
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = j + 1; i < n; ++i) {
      const double v = 0.5 * (cov_(i, j) + cov_(j, i));
      cov_(i, j) = v;
      cov_(j, i) = v;
    }
  }
  // LAPACK's blocked dsyevd rather than Eigen's unblocked SelfAdjointEigenSolver: at N = 4000 on
  // a 2-core machine ~12-20 s instead of ~55-90 s. Its last bits depend on the OpenBLAS thread
  // count; a resumed run does not recompute B and D (the state stores them), but must use the
  // same thread count to stay bit-identical after its next eigendecomposition.
  SymmetricEigen decomposition;
  try {
    decomposition = symmetric_eigen(cov_);
  } catch (const Error& e) {
    BBPT_THROW(Error, "cma-es: eigendecomposition of C failed at generation " << generation_ << ": "
                                                                              << e.what());
  }
  // Eigenvalues of a covariance matrix are >= 0; clamp round-off below 0 before the square root.
  axis_lengths_ = decomposition.eigenvalues.cwiseMax(0.0).cwiseSqrt();
  eigenvectors_ = std::move(decomposition.eigenvectors);
  eigen_generation_ = generation_;
  asked_generation_ = -1;
}

}  // namespace bbpt::optim
