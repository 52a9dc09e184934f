// SPDX-License-Identifier: MIT
// CMA-ES must use Hansen's default strategy parameters (BPT-VLM runs pycma with defaults), solve
// the classic test functions, rank stably, refresh its eigensystem lazily, and stay usable at
// BPT-VLM's N = 4000.
#include "bbpt/optim/cma_es.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "bbpt/core/error.h"
#include "test_problems.h"

namespace bbpt::optim {
namespace {

using testing::rosenbrock;
using testing::run_step;
using testing::run_steps;
using testing::sphere;

// Reference values for N = 10 from Hansen 2016, Table 1 (positive weights), computed by hand:
// lambda = 10, mu = 5, mu_eff = 3.1672, c_sigma = 0.2844, d_sigma = 1.2844, c_c = 0.2950,
// c_1 = 0.01528, c_mu = 0.02015, E||N(0,I)|| = 3.0847.
TEST(CmaEs, DefaultStrategyParameters) {
  CmaEs es(Vector::Zero(10), CmaEsOptions{});
  EXPECT_EQ(es.population_size(), 10);
  EXPECT_EQ(es.num_parents(), 5);
  EXPECT_NEAR(es.weights().sum(), 1.0, 1e-15);
  for (int i = 1; i < 5; ++i) EXPECT_LT(es.weights()[i], es.weights()[i - 1]);
  EXPECT_NEAR(es.weights()[0] / es.weights()[4],
              (std::log(5.5) - std::log(1.0)) / (std::log(5.5) - std::log(5.0)), 1e-12);
  EXPECT_NEAR(es.mu_eff(), 3.1672, 1e-4);
  EXPECT_NEAR(es.c_sigma(), 0.2844, 1e-4);
  EXPECT_NEAR(es.d_sigma(), 1.2844, 1e-4);
  EXPECT_NEAR(es.c_c(), 0.2950, 1e-4);
  EXPECT_NEAR(es.c_1(), 0.01528, 1e-5);
  EXPECT_NEAR(es.c_mu(), 0.02015, 1e-5);
  EXPECT_NEAR(es.expected_norm(), 3.0847, 1e-4);
  EXPECT_LT(es.eigen_update_gap(), 1.0);  // small N: eigendecomposition every generation

  EXPECT_EQ(CmaEs::default_population_size(4000), 28);
  EXPECT_EQ(CmaEs::default_population_size(1), 4);
  CmaEsOptions bpt;
  bpt.population_size = 15;
  EXPECT_EQ(CmaEs(Vector::Zero(3), bpt).population_size(), 15);
}

TEST(CmaEs, AskIsIdempotentAndShaped) {
  CmaEs es(Vector::Constant(6, 2.0), CmaEsOptions{});
  const Matrix a = es.ask();
  ASSERT_EQ(a.rows(), 6);
  ASSERT_EQ(a.cols(), es.population_size());
  EXPECT_TRUE(es.ask() == a);
  EXPECT_EQ(es.num_queries_per_step(), es.population_size());
}

// With equal losses the first mu columns win (stable ranking), so the new mean is their weighted
// mean: ties must not depend on the sort implementation.
TEST(CmaEs, TiesRankLowerColumnFirst) {
  CmaEs es(Vector::Zero(4), CmaEsOptions{});
  const Matrix x = es.ask();
  es.tell(std::vector<double>(es.population_size(), 1.0));
  Vector expected = Vector::Zero(4);
  for (int i = 0; i < es.num_parents(); ++i) expected += es.weights()[i] * x.col(i);
  EXPECT_LT((es.current() - expected).norm(), 1e-12);
  EXPECT_TRUE(es.best_solution() == x.col(0));
  EXPECT_EQ(es.best_loss(), 1.0);
}

TEST(CmaEs, TracksBestCandidateEverTold) {
  const auto f = sphere(Vector::Constant(5, 1.0));
  CmaEs es(Vector::Zero(5), CmaEsOptions{});
  EXPECT_EQ(es.best_loss(), std::numeric_limits<double>::infinity());
  double best = std::numeric_limits<double>::infinity();
  for (int g = 0; g < 20; ++g) {
    for (double l : run_step(es, f)) best = std::min(best, l);
    EXPECT_EQ(es.best_loss(), best);
    EXPECT_EQ(f(es.best_solution()), best);
  }
}

TEST(CmaEs, ConvergesOnSphere) {
  for (int64_t n : {10, 40}) {
    const auto f = sphere(Vector::LinSpaced(n, -2.0, 2.0));
    CmaEsOptions options;
    options.sigma0 = 1.0;
    options.seed = 7;
    CmaEs es(Vector::Zero(n), options);
    int g = 0;
    while (f(es.current()) > 1e-12 && g < 2000) {
      run_step(es, f);
      ++g;
    }
    EXPECT_LT(f(es.current()), 1e-12) << "N = " << n << " after " << g << " generations";
    EXPECT_LT(es.sigma(), 1e-4);
  }
}

// Rosenbrock needs a learned, strongly non-isotropic covariance: this checks the C update and
// the eigensystem, not just the step size.
TEST(CmaEs, SolvesRosenbrock) {
  for (uint64_t seed : {1, 2, 3}) {
    const int64_t n = 8;
    CmaEsOptions options;
    options.sigma0 = 0.5;
    options.seed = seed;
    CmaEs es(Vector::Zero(n), options);
    for (int g = 0; g < 3000 && es.best_loss() > 1e-10; ++g) run_step(es, rosenbrock);
    EXPECT_LT(es.best_loss(), 1e-10) << "seed " << seed << " after " << es.step() << " generations";
    EXPECT_LT((es.best_solution() - Vector::Ones(n)).norm(), 1e-4) << "seed " << seed;
  }
}

// B and D are refreshed only when more than (c1 + cmu)^-1 / N / 10 generations have passed.
TEST(CmaEs, EigendecompositionIsLazy) {
  const int64_t n = 200;
  CmaEs es(Vector::Zero(n), CmaEsOptions{});
  const double gap = es.eigen_update_gap();
  ASSERT_GT(gap, 1.0);
  const auto f = sphere(Vector::Constant(n, 0.5));
  int64_t updates = 0;
  int64_t last = 0;
  for (int g = 1; g <= 12; ++g) {
    run_step(es, f);
    if (es.eigen_generation() != last) {
      EXPECT_EQ(es.eigen_generation(), g);
      EXPECT_GT(static_cast<double>(g - last), gap);
      EXPECT_LE(static_cast<double>(g - last - 1), gap);
      last = es.eigen_generation();
      ++updates;
    }
  }
  EXPECT_GE(updates, 2);
  EXPECT_LT(updates, 12);
}

TEST(CmaEs, SameSeedSameTrajectory) {
  CmaEsOptions options;
  options.seed = 11;
  CmaEs a(Vector::Zero(6), options), b(Vector::Zero(6), options);
  for (int g = 0; g < 30; ++g) {
    run_step(a, rosenbrock);
    run_step(b, rosenbrock);
  }
  EXPECT_TRUE(a.current() == b.current());
  EXPECT_EQ(a.sigma(), b.sigma());
  EXPECT_TRUE(a.covariance() == b.covariance());
}

// BPT-VLM's space: one generation of lambda = 15 at N = 4000 must be cheap (the eigensystem is not
// recomputed until ~60 generations later).
TEST(CmaEs, Dimension4000Smoke) {
  const int64_t n = 4000;
  CmaEsOptions options;
  options.population_size = 15;
  const auto start = std::chrono::steady_clock::now();
  CmaEs es(Vector::Zero(n), options);
  EXPECT_GT(es.eigen_update_gap(), 30.0);
  const Matrix x = es.ask();
  ASSERT_EQ(x.rows(), n);
  ASSERT_EQ(x.cols(), 15);
  std::vector<double> losses(15);
  for (int i = 0; i < 15; ++i) losses[i] = x.col(i).squaredNorm();
  es.tell(losses);
  const Matrix next = es.ask();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(es.step(), 1);
  EXPECT_EQ(es.eigen_generation(), 0);
  EXPECT_TRUE(next.allFinite());
  EXPECT_TRUE(es.current().allFinite());
  EXPECT_LT(seconds, 10.0);
  std::printf("CMA-ES N=4000 lambda=15: construct + 2 asks + 1 tell in %.3f s\n", seconds);
}

TEST(CmaEs, TellRejectsWrongSizeAndNonFinite) {
  CmaEs es(Vector::Zero(3), CmaEsOptions{});
  const int lambda = es.population_size();
  EXPECT_THROW(es.tell(std::vector<double>(lambda + 1, 0.0)), ConfigError);
  std::vector<double> losses(lambda, 0.0);
  losses[lambda - 1] = -std::numeric_limits<double>::infinity();
  EXPECT_THROW(es.tell(losses), NumericalError);
  EXPECT_EQ(es.step(), 0);
  CmaEsOptions options;
  options.population_size = 1;
  EXPECT_THROW(CmaEs(Vector::Zero(3), options), ConfigError);
  options = CmaEsOptions{};
  options.sigma0 = 0.0;
  EXPECT_THROW(CmaEs(Vector::Zero(3), options), ConfigError);
}

}  // namespace
}  // namespace bbpt::optim
