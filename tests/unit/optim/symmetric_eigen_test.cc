// SPDX-License-Identifier: MIT
// LAPACK dsyevd must honour the contract CMA-ES had with Eigen's SelfAdjointEigenSolver
// (ascending eigenvalues, orthonormal eigenvector columns, lower triangle read), agree with it
// numerically, be bitwise repeatable, and fail loudly instead of returning NaNs.
#include "symmetric_eigen.h"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"

namespace bbpt::optim {
namespace {

// Symmetric [N, N] with N(0, 1) entries: eigenvalues of both signs, some near 0.
Matrix random_symmetric(int64_t n, uint64_t seed) {
  core::Rng rng(seed, static_cast<uint64_t>(n));
  Matrix g(n, n);
  for (int64_t j = 0; j < n; ++j) {
    for (int64_t i = 0; i < n; ++i) g(i, j) = rng.normal();
  }
  return 0.5 * (g + g.transpose());
}

// Covariance-like: G G^T / N + 1e-3 I, positive definite with a spread of eigenvalues, as C is in
// CMA-ES.
Matrix random_covariance(int64_t n, uint64_t seed) {
  const Matrix g = random_symmetric(n, seed);
  Matrix c = g * g.transpose() / static_cast<double>(n);
  c.diagonal().array() += 1e-3;
  return 0.5 * (c + c.transpose());
}

double spectral_norm(const Vector& eigenvalues) { return eigenvalues.cwiseAbs().maxCoeff(); }

// Eigenvalues are well conditioned (Weyl): both solvers are backward stable, so they agree to a
// few eps ||A||; residuals and orthogonality are O(N eps) for a backward-stable solver.
void expect_valid_decomposition(const Matrix& a, const SymmetricEigen& eig, bool relative_each) {
  const int64_t n = a.rows();
  ASSERT_EQ(eig.eigenvalues.size(), n);
  ASSERT_EQ(eig.eigenvectors.rows(), n);
  ASSERT_EQ(eig.eigenvectors.cols(), n);
  for (int64_t i = 1; i < n; ++i) EXPECT_LE(eig.eigenvalues[i - 1], eig.eigenvalues[i]) << i;

  const Eigen::SelfAdjointEigenSolver<Matrix> reference(a, Eigen::ComputeEigenvectors);
  ASSERT_EQ(reference.info(), Eigen::Success);
  const double norm = spectral_norm(reference.eigenvalues());
  double max_rel = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double scale = relative_each ? std::abs(reference.eigenvalues()[i]) : norm;
    max_rel = std::max(max_rel, std::abs(eig.eigenvalues[i] - reference.eigenvalues()[i]) / scale);
  }
  EXPECT_LE(max_rel, 1e-10) << "N = " << n;

  const double eps = std::numeric_limits<double>::epsilon();
  const Matrix& v = eig.eigenvectors;
  // A v_i = lambda_i v_i, column by column: [N, N] x [N, N] - [N, N] .* diag
  const double residual =
      (a * v - v * eig.eigenvalues.asDiagonal()).colwise().norm().maxCoeff() / norm;
  const double orthogonality = (v.transpose() * v - Matrix::Identity(n, n)).cwiseAbs().maxCoeff();
  EXPECT_LE(residual, 10.0 * n * eps) << "N = " << n;
  EXPECT_LE(orthogonality, 10.0 * n * eps) << "N = " << n;
  std::printf(
      "N = %3lld: max eigenvalue diff vs Eigen %.2e (%s), max ||Av - lv|| / ||A|| %.2e, "
      "max |V^T V - I| %.2e\n",
      static_cast<long long>(n), max_rel, relative_each ? "relative" : "/ ||A||", residual,
      orthogonality);
}

TEST(SymmetricEigen, MatchesEigenOnRandomSymmetric) {
  for (int64_t n : {5, 50, 300}) {
    const Matrix a = random_symmetric(n, 3);
    expect_valid_decomposition(a, symmetric_eigen(a), /*relative_each=*/false);
  }
}

// On positive-definite matrices like C every eigenvalue (the squared axis lengths D^2) must agree
// to 1e-10 relative, not just relative to the largest.
TEST(SymmetricEigen, MatchesEigenOnCovariances) {
  for (int64_t n : {5, 50, 300}) {
    const Matrix a = random_covariance(n, 5);
    expect_valid_decomposition(a, symmetric_eigen(a), /*relative_each=*/true);
  }
}

// CMA-ES symmetrizes C but relies on the solver reading one triangle only, like Eigen's.
TEST(SymmetricEigen, ReadsLowerTriangleOnly) {
  const Matrix a = random_symmetric(40, 9);
  Matrix garbage_upper = a;
  for (int64_t j = 1; j < a.cols(); ++j) {
    for (int64_t i = 0; i < j; ++i) garbage_upper(i, j) = 1e6 + static_cast<double>(i * j);
  }
  const SymmetricEigen expected = symmetric_eigen(a);
  const SymmetricEigen got = symmetric_eigen(garbage_upper);
  EXPECT_TRUE(got.eigenvalues == expected.eigenvalues);
  EXPECT_TRUE(got.eigenvectors == expected.eigenvectors);
}

// Bit-for-bit resume and same-seed trajectories need a repeatable solver.
TEST(SymmetricEigen, IsBitwiseDeterministic) {
  const Matrix a = random_covariance(300, 11);
  const SymmetricEigen first = symmetric_eigen(a);
  for (int r = 0; r < 3; ++r) {
    const SymmetricEigen again = symmetric_eigen(a);
    EXPECT_TRUE(again.eigenvalues == first.eigenvalues);
    EXPECT_TRUE(again.eigenvectors == first.eigenvectors);
  }
}

// CMA-ES starts from C = I: repeated eigenvalues must still give an orthonormal basis.
TEST(SymmetricEigen, HandlesDiagonalAndTinyMatrices) {
  const SymmetricEigen identity = symmetric_eigen(Matrix::Identity(7, 7));
  EXPECT_TRUE(identity.eigenvalues == Vector::Ones(7));
  EXPECT_LE((identity.eigenvectors.transpose() * identity.eigenvectors - Matrix::Identity(7, 7))
                .cwiseAbs()
                .maxCoeff(),
            1e-15);

  Matrix one(1, 1);
  one(0, 0) = -2.5;
  const SymmetricEigen scalar = symmetric_eigen(one);
  EXPECT_EQ(scalar.eigenvalues[0], -2.5);
  EXPECT_EQ(std::abs(scalar.eigenvectors(0, 0)), 1.0);

  Vector d(4);
  d << 3.0, -1.0, 2.0, 0.5;
  const SymmetricEigen diagonal = symmetric_eigen(d.asDiagonal().toDenseMatrix());
  Vector sorted(4);
  sorted << -1.0, 0.5, 2.0, 3.0;
  EXPECT_TRUE(diagonal.eigenvalues == sorted);

  EXPECT_EQ(symmetric_eigen(Matrix(0, 0)).eigenvalues.size(), 0);
}

// LAPACK may return NaNs with info = 0 for non-finite input; the helper must throw bbpt::Error
// so that CMA-ES records a failed trial. (dsyevd's own info > 0, a convergence failure, has no
// cheap trigger on finite input.)
TEST(SymmetricEigen, RejectsNonFiniteInput) {
  Matrix a = random_symmetric(6, 1);
  a(4, 2) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(symmetric_eigen(a), Error);
  a(4, 2) = std::numeric_limits<double>::infinity();
  try {
    symmetric_eigen(a);
    ADD_FAILURE() << "no exception for an infinite entry";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("entry (4, 2)"), std::string::npos) << e.what();
  }
  // The upper triangle is not read, so a NaN there is harmless.
  a(4, 2) = 0.0;
  a(2, 4) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(symmetric_eigen(a).eigenvalues.allFinite());
}

// Timing at BPT-VLM's N = 4000, LAPACK vs Eigen (~1 min for Eigen): run with
//   optim_test --gtest_also_run_disabled_tests --gtest_filter='*DISABLED_Dimension4000Timing'
TEST(SymmetricEigen, DISABLED_Dimension4000Timing) {
  const int64_t n = 4000;
  const Matrix a = random_covariance(n, 13);
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const SymmetricEigen lapack = symmetric_eigen(a);
  const auto t1 = Clock::now();
  const Eigen::SelfAdjointEigenSolver<Matrix> eigen(a, Eigen::ComputeEigenvectors);
  const auto t2 = Clock::now();
  ASSERT_EQ(eigen.info(), Eigen::Success);
  const double max_rel =
      ((lapack.eigenvalues - eigen.eigenvalues()).array() / eigen.eigenvalues().array())
          .abs()
          .maxCoeff();
  EXPECT_LE(max_rel, 1e-10);
  std::printf(
      "N = 4000 eigendecomposition: LAPACK dsyevd %.2f s, Eigen SelfAdjointEigenSolver "
      "%.2f s, max relative eigenvalue diff %.2e\n",
      std::chrono::duration<double>(t1 - t0).count(),
      std::chrono::duration<double>(t2 - t1).count(), max_rel);
}

}  // namespace
}  // namespace bbpt::optim
