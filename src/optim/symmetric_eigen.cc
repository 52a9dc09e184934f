// SPDX-License-Identifier: MIT
// Symmetric eigendecomposition by LAPACK dsyevd (jobz = 'V', uplo = 'L'): workspace query, then
// the decomposition in place on a column-major copy of the input, which Eigen's default
// (column-major) MatrixXd already is.
#include "symmetric_eigen.h"

#include <cmath>
#include <cstddef>
#include <limits>

#include "bbpt/core/error.h"

// LAPACK's Fortran interface (no lapacke.h is installed). Fortran passes every argument by
// reference and, for each CHARACTER argument, a hidden length after the visible arguments
// (size_t with gfortran >= 8). dsyevd passes uplo on to dormtr with that length, so the two
// hidden lengths are declared rather than left to whatever lies on the stack.
extern "C" void dsyevd_(const char* jobz,
                        const char* uplo,
                        const int* n,
                        double* a,
                        const int* lda,
                        double* w,
                        double* work,
                        const int* lwork,
                        int* iwork,
                        const int* liwork,
                        int* info,
                        std::size_t jobz_len,
                        std::size_t uplo_len);

namespace bbpt::optim {

SymmetricEigen symmetric_eigen(const Matrix& a) {
  BBPT_ASSERT(a.rows() == a.cols(),
              "symmetric_eigen: matrix is " << a.rows() << " x " << a.cols() << ", not square");
  const Eigen::Index n = a.rows();
  SymmetricEigen result;
  if (n == 0) return result;
  BBPT_CHECK(n <= std::numeric_limits<int>::max(), Error,
             "symmetric eigendecomposition: N = " << n << " exceeds LAPACK's 32-bit sizes");
  // LAPACK gives no guarantee for NaN or Inf input (it may return NaNs with info = 0), so reject
  // them here. Only the lower triangle is read.
  for (Eigen::Index j = 0; j < n; ++j) {
    for (Eigen::Index i = j; i < n; ++i) {
      BBPT_CHECK(std::isfinite(a(i, j)), Error,
                 "symmetric eigendecomposition: entry (" << i << ", " << j << ") of the " << n
                                                         << " x " << n << " matrix is " << a(i, j));
    }
  }

  const char jobz = 'V';
  const char uplo = 'L';
  const int n_int = static_cast<int>(n);
  result.eigenvectors = a;  // dsyevd overwrites its input with the eigenvectors
  result.eigenvalues.resize(n);
  int info = 0;

  // Workspace query: lwork = liwork = -1 returns the optimal sizes in work[0] and iwork[0].
  double work_query = 0.0;
  int iwork_query = 0;
  int lwork = -1;
  int liwork = -1;
  dsyevd_(&jobz, &uplo, &n_int, result.eigenvectors.data(), &n_int, result.eigenvalues.data(),
          &work_query, &lwork, &iwork_query, &liwork, &info, 1, 1);
  BBPT_CHECK(info == 0, Error,
             "symmetric eigendecomposition: LAPACK dsyevd workspace query failed for N = "
                 << n << " (info = " << info << ")");
  // work[0] is a double; 1 + 6 N + 2 N^2 for jobz = 'V' overflows int beyond N ~ 32700.
  BBPT_CHECK(work_query >= 1.0 && work_query <= std::numeric_limits<int>::max(), Error,
             "symmetric eigendecomposition: LAPACK dsyevd asks for a workspace of "
                 << work_query << " doubles for N = " << n << ", beyond its 32-bit sizes");
  lwork = static_cast<int>(std::ceil(work_query));
  liwork = iwork_query;
  Vector work(lwork);             // uninitialised: dsyevd only writes before it reads
  Eigen::VectorXi iwork(liwork);  // int, LAPACK's INTEGER

  dsyevd_(&jobz, &uplo, &n_int, result.eigenvectors.data(), &n_int, result.eigenvalues.data(),
          work.data(), &lwork, iwork.data(), &liwork, &info, 1, 1);
  if (info < 0) {
    BBPT_THROW(Error, "symmetric eigendecomposition: LAPACK dsyevd rejected argument "
                          << -info << " for N = " << n << " (info = " << info << ")");
  }
  if (info > 0) {
    // jobz = 'V': an eigenvalue of the submatrix in rows/columns info/(N+1) .. mod(info, N+1)
    // failed to converge.
    BBPT_THROW(Error, "symmetric eigendecomposition: LAPACK dsyevd did not converge for N = "
                          << n << " (info = " << info << ": submatrix rows " << info / (n + 1)
                          << " to " << info % (n + 1) << ")");
  }
  return result;
}

}  // namespace bbpt::optim
