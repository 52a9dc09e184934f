// SPDX-License-Identifier: MIT
// Analytic test functions and an ask/tell driver shared by the optimizer tests.
#pragma once

#include <functional>
#include <vector>

#include "bbpt/optim/optimizer.h"

namespace bbpt::optim::testing {

using Objective = std::function<double(const Vector&)>;

/// f(x) = ||x - center||^2.
inline Objective sphere(Vector center) {
  return [center = std::move(center)](const Vector& x) { return (x - center).squaredNorm(); };
}

/// Rosenbrock: sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2, minimum 0 at (1, ..., 1).
inline double rosenbrock(const Vector& x) {
  double f = 0.0;
  for (int64_t i = 0; i + 1 < x.size(); ++i) {
    const double a = x[i + 1] - x[i] * x[i];
    const double b = 1.0 - x[i];
    f += 100.0 * a * a + b * b;
  }
  return f;
}

/// Evaluates every column of ask() and tells the losses, once.
inline std::vector<double> run_step(Optimizer& optimizer, const Objective& f) {
  const Matrix settings = optimizer.ask();
  std::vector<double> losses(settings.cols());
  for (int64_t i = 0; i < settings.cols(); ++i) losses[i] = f(settings.col(i));
  optimizer.tell(losses);
  return losses;
}

inline void run_steps(Optimizer& optimizer, const Objective& f, int steps) {
  for (int s = 0; s < steps; ++s) run_step(optimizer, f);
}

}  // namespace bbpt::optim::testing
