// SPDX-License-Identifier: MIT
// Private to src/comm: the one summation loop behind ordered_allreduce_sum, shared by the MPI and
// NCCL backends so that both produce the same bits.
#pragma once

#include <cstddef>

namespace bbpt::comm::detail {

/// out[i] = ((gathered[0][i] + gathered[1][i]) + gathered[2][i]) + ... for `ranks` contributions
/// of `count` doubles laid out rank after rank. `out` may not alias `gathered`.
inline void sum_in_rank_order(const double* gathered, int ranks, std::size_t count, double* out) {
  for (std::size_t i = 0; i < count; ++i) {
    double acc = gathered[i];
    for (int r = 1; r < ranks; ++r) acc += gathered[static_cast<std::size_t>(r) * count + i];
    out[i] = acc;
  }
}

}  // namespace bbpt::comm::detail
