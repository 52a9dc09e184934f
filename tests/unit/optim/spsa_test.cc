// SPDX-License-Identifier: MIT
// ZIP's SPSA and BlackVIP's SPSA-GC must match algorithms.md 2.3 / 3.2 exactly: the schedule
// values, the perturbation law, the element-wise-division estimator, clipping and the GC direction.
// Any deviation changes every ZIP/BlackVIP number we compare with the papers.
#include "bbpt/optim/spsa.h"

#include <gtest/gtest.h>

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

SpsaOptions unclipped(int q = 5) {
  SpsaOptions o;
  o.clip = ClipMode::kNone;
  o.num_perturbations = q;
  return o;
}

// The numbers quoted in algorithms.md 2.3 for ZIP's [1.0, 0.01, 0.01, 0.4, 0.1] schedule.
TEST(SpsaSchedule, MatchesZipValues) {
  const SpsaSchedule s;
  EXPECT_NEAR(s.step_size(1), 7.579e-3, 1e-6);
  EXPECT_NEAR(s.step_size(500), 8.32e-4, 1e-6);
  EXPECT_DOUBLE_EQ(s.smoothing(1), 1e-2);
  EXPECT_NEAR(s.smoothing(500), 5.372e-3, 1e-6);
  EXPECT_DOUBLE_EQ(s.step_size(7), 0.01 / std::pow(8.0, 0.4));
  EXPECT_THROW(s.step_size(0), ConfigError);
  EXPECT_THROW(s.smoothing(0), ConfigError);
}

// |Delta| in [0.5, 1] keeps the element-wise division bounded; signs must be balanced.
TEST(SegmentedUniform, MagnitudesInRangeAndBothSigns) {
  core::Rng rng(3, 1);
  const Vector d = segmented_uniform(rng, 20000);
  int positive = 0;
  double magnitude_sum = 0.0;
  for (int64_t i = 0; i < d.size(); ++i) {
    EXPECT_GE(std::abs(d[i]), 0.5);
    EXPECT_LE(std::abs(d[i]), 1.0);
    positive += d[i] > 0 ? 1 : 0;
    magnitude_sum += std::abs(d[i]);
  }
  EXPECT_NEAR(positive, 10000, 300);
  EXPECT_NEAR(magnitude_sum / d.size(), 0.75, 0.01);
  core::Rng again(3, 1);
  EXPECT_TRUE(segmented_uniform(again, 20000) == d);
}

// ZIP clips at sqrt(417) ~ 20.42 for its 417 parameters and only when ||g|| >= threshold.
TEST(ClipGradient, IntrinsicThresholdForZip) {
  const double threshold = std::sqrt(417.0);
  EXPECT_NEAR(threshold, 20.42, 5e-3);
  Vector g = Vector::Constant(417, 50.0 / std::sqrt(417.0));  // norm 50
  const Vector direction = g.normalized();
  EXPECT_TRUE(clip_gradient(g, threshold));
  EXPECT_NEAR(g.norm(), threshold, 1e-12);
  EXPECT_LT((g.normalized() - direction).norm(), 1e-14);

  Vector small = Vector::Constant(417, 10.0 / std::sqrt(417.0));
  const Vector before = small;
  EXPECT_FALSE(clip_gradient(small, threshold));
  EXPECT_TRUE(small == before);

  Vector edge = Vector::Zero(3);
  edge[0] = 2.0;
  EXPECT_TRUE(clip_gradient(edge, 2.0));  // ">=": the boundary counts as clipped
  EXPECT_DOUBLE_EQ(edge.norm(), 2.0);
  EXPECT_THROW(clip_gradient(edge, 0.0), ConfigError);
}

TEST(ClipMode, RoundTripsAndListsValidNames) {
  for (ClipMode m : {ClipMode::kNone, ClipMode::kIntrinsic, ClipMode::kFixed}) {
    EXPECT_EQ(parse_clip_mode(to_string(m)), m);
  }
  try {
    parse_clip_mode("sqrt");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("sqrt"), std::string::npos);
    EXPECT_NE(what.find("none, intrinsic, fixed"), std::string::npos);
  }
}

// Ask columns are theta + c_k D_1, theta - c_k D_1, theta + c_k D_2, ... with D_j from
// Rng(seed, k); a distributed caller relies on this layout to regenerate them.
TEST(Spsa, AskLayoutAndIdempotence) {
  const Vector theta0 = Vector::LinSpaced(7, -1.0, 1.0);
  SpsaOptions options = unclipped(3);
  options.seed = 42;
  Spsa spsa(theta0, options);
  EXPECT_EQ(spsa.num_queries_per_step(), 6);
  const Matrix a = spsa.ask();
  ASSERT_EQ(a.rows(), 7);
  ASSERT_EQ(a.cols(), 6);
  EXPECT_TRUE(spsa.ask() == a);

  core::Rng rng(42, 1);
  const double c1 = options.schedule.smoothing(1);
  const Matrix deltas = spsa.perturbations(1);
  for (int j = 0; j < 3; ++j) {
    const Vector d = segmented_uniform(rng, 7);
    EXPECT_TRUE(deltas.col(j) == d);
    EXPECT_TRUE(a.col(2 * j) == theta0 + c1 * d);
    EXPECT_TRUE(a.col(2 * j + 1) == theta0 - c1 * d);
  }
}

// For f(x) = b.x the pair difference is exactly 2 c_k b.D_j, so each g_j[n] = b.D_j / D_j[n]:
// this pins the element-wise division (multiplying instead would give b.D_j D_j[n]).
TEST(Spsa, LinearFunctionGivesTheSpsaEstimate) {
  const int64_t n = 6;
  const Vector b = Vector::LinSpaced(n, 1.0, 3.0);
  const Vector theta0 = Vector::Constant(n, 0.25);
  Spsa spsa(theta0, unclipped(4));
  const std::vector<double> losses = run_step(spsa, [&b](const Vector& x) { return b.dot(x); });
  EXPECT_EQ(spsa.step(), 1);

  const Matrix d = spsa.perturbations(1);
  Vector expected_g = Vector::Zero(n);
  for (int j = 0; j < 4; ++j) {
    expected_g.array() += b.dot(d.col(j)) / d.col(j).array();
  }
  expected_g /= 4.0;
  const Vector expected_theta = theta0 - spsa.options().schedule.step_size(1) * expected_g;
  EXPECT_LT((spsa.current() - expected_theta).norm(), 1e-10);
  EXPECT_NEAR(spsa.last_gradient_norm(), expected_g.norm(), 1e-9);
  EXPECT_FALSE(spsa.last_clipped());
  EXPECT_DOUBLE_EQ(spsa.last_mean_loss(), 0.5 * (losses[6] + losses[7]));
}

// ZIP's default (kIntrinsic) clips ||g|| to sqrt(N); the norm before clipping is reported.
TEST(Spsa, IntrinsicClippingLimitsTheStep) {
  const int64_t n = 9;
  const Vector b = Vector::Constant(n, 100.0);  // huge gradient
  Spsa spsa(Vector::Zero(n), SpsaOptions{});
  run_step(spsa, [&b](const Vector& x) { return b.dot(x); });
  EXPECT_TRUE(spsa.last_clipped());
  EXPECT_GT(spsa.last_gradient_norm(), 3.0);
  EXPECT_NEAR(spsa.current().norm(), spsa.options().schedule.step_size(1) * 3.0, 1e-12);
}

// SPSA-GC (algorithms.md 3.2): m_1 = g_1, m_k = beta m_{k-1} + g_k, step along g_k + beta m_k,
// and no clipping unless asked for.
TEST(Spsa, GradientCorrectionFollowsSpec) {
  const int64_t n = 5;
  const Vector b = Vector::LinSpaced(n, -2.0, 2.0) * 50.0;
  SpsaOptions options;  // clip = kIntrinsic by default, ignored with GC
  options.gradient_correction = true;
  options.momentum = 0.8;
  Spsa spsa(Vector::Zero(n), options);
  EXPECT_EQ(spsa.name(), "spsa-gc");
  EXPECT_EQ(spsa.effective_clip_threshold(), 0.0);
  const auto f = [&b](const Vector& x) { return b.dot(x); };

  const auto gradient = [&](int64_t k) {
    const Matrix d = spsa.perturbations(k);
    Vector g = Vector::Zero(n);
    for (int j = 0; j < 5; ++j) g.array() += b.dot(d.col(j)) / d.col(j).array();
    return Vector(g / 5.0);
  };
  const SpsaSchedule& s = options.schedule;
  const Vector g1 = gradient(1), g2 = gradient(2);
  const Vector m1 = g1;
  const Vector theta1 = -s.step_size(1) * (g1 + 0.8 * m1);
  const Vector m2 = 0.8 * m1 + g2;
  const Vector theta2 = theta1 - s.step_size(2) * (g2 + 0.8 * m2);

  run_step(spsa, f);
  EXPECT_FALSE(spsa.last_clipped());
  EXPECT_LT((spsa.current() - theta1).norm(), 1e-9 * theta1.norm());
  run_step(spsa, f);
  EXPECT_LT((spsa.current() - theta2).norm(), 1e-9 * theta2.norm());

  options.clip_with_gradient_correction = true;
  Spsa clipped(Vector::Zero(n), options);
  EXPECT_DOUBLE_EQ(clipped.effective_clip_threshold(), std::sqrt(5.0));
  run_step(clipped, f);
  EXPECT_TRUE(clipped.last_clipped());
}

TEST(Spsa, FixedClipUsesThreshold) {
  SpsaOptions options;
  options.clip = ClipMode::kFixed;
  options.clip_threshold = 0.5;
  Spsa spsa(Vector::Zero(4), options);
  EXPECT_DOUBLE_EQ(spsa.effective_clip_threshold(), 0.5);
  options.clip_threshold = 0.0;
  EXPECT_THROW(Spsa(Vector::Zero(4), options), ConfigError);
}

// The ZIP schedule's a = 0.01 is tuned for CLIP losses; a sphere needs a larger a to converge in
// a few hundred steps, the law itself is unchanged.
TEST(Spsa, ConvergesOnSphereWithAndWithoutGradientCorrection) {
  const int64_t n = 20;
  const Vector center = Vector::LinSpaced(n, -1.0, 1.0);
  const auto f = sphere(center);
  for (bool gc : {false, true}) {
    SpsaOptions options;
    options.schedule.a = gc ? 0.02 : 0.1;
    options.schedule.c = 0.01;
    options.gradient_correction = gc;
    options.seed = 5;
    Spsa spsa(Vector::Zero(n), options);
    const double f0 = f(spsa.current());
    run_steps(spsa, f, 600);
    EXPECT_EQ(spsa.step(), 600);
    EXPECT_LT(f(spsa.current()), 1e-4 * f0) << (gc ? "spsa-gc" : "spsa");
  }
}

// Rosenbrock's curved valley: SPSA (Spall's standard schedule, alpha 0.602, gamma 0.101, with a
// stability constant) must follow it from the origin to the minimum at (1, ..., 1), with and
// without the gradient correction. This is the classic hard case for first-order ZO methods.
TEST(Spsa, ConvergesOnRosenbrock) {
  for (bool gc : {false, true}) {
    for (uint64_t seed : {1, 2, 3}) {
      SpsaOptions options;
      options.schedule = {/*o=*/100.0, /*c=*/0.01, /*a=*/gc ? 0.025 : 0.05, /*alpha=*/0.602,
                          /*gamma=*/0.101};
      options.clip =
          ClipMode::kFixed;  // keeps the early, large estimates from overshooting the valley
      options.clip_threshold = 10.0;
      options.clip_with_gradient_correction = true;
      options.gradient_correction = gc;
      options.momentum = 0.5;
      options.seed = seed;
      Spsa spsa(Vector::Zero(2), options);
      run_steps(spsa, rosenbrock, 40000);
      EXPECT_LT(rosenbrock(spsa.current()), 1e-3)
          << (gc ? "spsa-gc" : "spsa") << " seed " << seed << " at " << spsa.current().transpose();
    }
  }
}

// The whole trajectory is a function of (theta0, options): required for resume and for ranks
// that regenerate perturbations.
TEST(Spsa, SameSeedSameTrajectory) {
  const auto f = sphere(Vector::Constant(8, 0.3));
  SpsaOptions options;
  options.seed = 9;
  Spsa a(Vector::Zero(8), options), b(Vector::Zero(8), options);
  options.seed = 10;
  Spsa c(Vector::Zero(8), options);
  for (int s = 0; s < 20; ++s) {
    run_step(a, f);
    run_step(b, f);
    run_step(c, f);
    ASSERT_TRUE(a.current() == b.current());
  }
  EXPECT_FALSE(a.current() == c.current());
}

// tell() without a preceding ask() in this process (a restored master) is the same update.
TEST(Spsa, TellWithoutAskMatchesAskThenTell) {
  const auto f = sphere(Vector::Constant(6, -0.5));
  Spsa asked(Vector::Zero(6), SpsaOptions{});
  Spsa blind(Vector::Zero(6), SpsaOptions{});
  const std::vector<double> losses = run_step(asked, f);
  blind.tell(losses);
  EXPECT_TRUE(asked.current() == blind.current());
}

// A bad tell must leave the state untouched so the caller can record the failure and go on.
TEST(Spsa, TellRejectsWrongSizeAndNonFinite) {
  Spsa spsa(Vector::Zero(3), SpsaOptions{});
  spsa.ask();
  EXPECT_THROW(spsa.tell(std::vector<double>(9, 1.0)), ConfigError);
  std::vector<double> losses(10, 1.0);
  losses[3] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(spsa.tell(losses), NumericalError);
  losses[3] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(spsa.tell(losses), NumericalError);
  EXPECT_EQ(spsa.step(), 0);
  EXPECT_TRUE(spsa.current() == Vector::Zero(3));
}

TEST(Spsa, RejectsBadOptions) {
  SpsaOptions options;
  options.num_perturbations = 0;
  EXPECT_THROW(Spsa(Vector::Zero(3), options), ConfigError);
  options = SpsaOptions{};
  options.momentum = 1.0;
  EXPECT_THROW(Spsa(Vector::Zero(3), options), ConfigError);
  EXPECT_THROW(Spsa(Vector(), SpsaOptions{}), ConfigError);
  Vector bad = Vector::Zero(3);
  bad[1] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(Spsa(bad, SpsaOptions{}), ConfigError);
}

}  // namespace
}  // namespace bbpt::optim
