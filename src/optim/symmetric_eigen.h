// SPDX-License-Identifier: MIT
// Private to optim: eigendecomposition of a real symmetric matrix through LAPACK's
// divide-and-conquer dsyevd (blocked; OpenBLAS's on Debian), with Eigen types on both sides.
// CMA-ES calls it every ~54 generations at N = 4000, where Eigen's unblocked
// SelfAdjointEigenSolver takes about a minute.
#pragma once

#include "bbpt/optim/optimizer.h"

namespace bbpt::optim {

/// A = V diag(lambda) V^T.
struct SymmetricEigen {
  Vector eigenvalues;   // [N] lambda, ascending
  Matrix eigenvectors;  // [N, N] V: orthonormal columns, column i belongs to eigenvalues[i]
};

/// Eigenvalues and eigenvectors of the symmetric [N, N] matrix a. Only the lower triangle of a
/// is read (as with Eigen's SelfAdjointEigenSolver). Besides the [N, N] result it allocates a
/// workspace of about 2 N^2 doubles (256 MB at N = 4000) for the duration of the call.
/// Deterministic: the same a gives bitwise the same result in the same process, and across runs
/// with the same LAPACK library, CPU kernel and OpenBLAS thread count (OPENBLAS_NUM_THREADS may
/// change the last bits, since the threaded BLAS kernels split their sums differently).
/// Throws bbpt::Error when the lower triangle has a non-finite entry, when N does not fit
/// LAPACK's 32-bit integers, or when dsyevd reports a failure (info != 0).
SymmetricEigen symmetric_eigen(const Matrix& a);

}  // namespace bbpt::optim
