// SPDX-License-Identifier: MIT
// MPI backend. Large buffers are processed in chunks, which keeps MPI's int counts in range and
// bounds rank 0's gather buffer in ordered_allreduce_sum; chunking never changes which values are
// added to which, so results do not depend on the chunk size.
#include "mpi_collective.h"

#include <algorithm>
#include <vector>

#include "mpi_check.h"
#include "ordered_sum.h"
#include "wait.h"

namespace bbpt::comm::detail {
namespace {
// Elements per MPI call. ordered_allreduce_sum holds size() * kChunk doubles on rank 0.
constexpr std::size_t kChunk = std::size_t{1} << 20;
}  // namespace

MpiCollective::MpiCollective(MPI_Comm parent) {
  BBPT_MPI_CHECK(MPI_Comm_dup(parent, &comm_));
  BBPT_MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  BBPT_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  BBPT_MPI_CHECK(MPI_Comm_size(comm_, &size_));
}

MpiCollective::~MpiCollective() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
}

void MpiCollective::allreduce_sum(double* data, std::size_t count) {
  for (std::size_t begin = 0; begin < count; begin += kChunk) {
    const int n = static_cast<int>(std::min(kChunk, count - begin));
    MPI_Request request = MPI_REQUEST_NULL;
    BBPT_MPI_CHECK(
        MPI_Iallreduce(MPI_IN_PLACE, data + begin, n, MPI_DOUBLE, MPI_SUM, comm_, &request));
    BBPT_MPI_WAIT(request, "MPI_Iallreduce in allreduce_sum");
  }
}

void MpiCollective::ordered_allreduce_sum(double* data, std::size_t count) {
  std::vector<double> gathered(
      rank_ == 0 ? static_cast<std::size_t>(size_) * std::min(kChunk, count) : 0);
  for (std::size_t begin = 0; begin < count; begin += kChunk) {
    const std::size_t n = std::min(kChunk, count - begin);
    const int n_int = static_cast<int>(n);
    MPI_Request request = MPI_REQUEST_NULL;
    BBPT_MPI_CHECK(MPI_Igather(data + begin, n_int, MPI_DOUBLE, gathered.data(), n_int, MPI_DOUBLE,
                               0, comm_, &request));
    BBPT_MPI_WAIT(request, "MPI_Igather in ordered_allreduce_sum");
    if (rank_ == 0) sum_in_rank_order(gathered.data(), size_, n, data + begin);
    BBPT_MPI_CHECK(MPI_Ibcast(data + begin, n_int, MPI_DOUBLE, 0, comm_, &request));
    BBPT_MPI_WAIT(request, "MPI_Ibcast in ordered_allreduce_sum");
  }
}

void MpiCollective::broadcast(void* data, std::size_t bytes, int root) {
  auto* p = static_cast<char*>(data);
  const std::size_t chunk_bytes = kChunk * sizeof(double);
  // One call even for 0 bytes, so an invalid root is reported on every path.
  std::size_t begin = 0;
  do {
    const int n = static_cast<int>(std::min(chunk_bytes, bytes - begin));
    MPI_Request request = MPI_REQUEST_NULL;
    BBPT_MPI_CHECK(MPI_Ibcast(p + begin, n, MPI_BYTE, root, comm_, &request));
    BBPT_MPI_WAIT(request, "MPI_Ibcast in broadcast");
    begin += static_cast<std::size_t>(n);
  } while (begin < bytes);
}

}  // namespace bbpt::comm::detail
