// SPDX-License-Identifier: MIT
// Private to src/comm, compiled only with BBPT_WITH_NCCL=ON: the NCCL backend of Collective, one
// rank per GPU, host or device buffers (see collective.h). Created by make_collective.
#pragma once

#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <string>
#include <vector>

#include "bbpt/comm/collective.h"

namespace bbpt::comm::detail {

class NcclCollective final : public Collective {
 public:
  /// Bootstrap (nccl-tests' and llm.c's pattern): every rank selects device
  /// local_rank % cudaGetDeviceCount() and creates its stream; rank 0 makes the ncclUniqueId;
  /// the ranks agree (MPI_Allreduce) that all of that worked, so one rank without a GPU makes
  /// every rank throw instead of leaving the others waiting; the id goes out with MPI_Bcast as
  /// bytes; ncclCommInitRank. Collective over `bootstrap`, which is used only here.
  NcclCollective(MPI_Comm bootstrap, int local_rank);
  ~NcclCollective() override;
  NcclCollective(const NcclCollective&) = delete;
  NcclCollective& operator=(const NcclCollective&) = delete;

  std::string name() const override { return "nccl"; }
  CollectiveBackend backend() const override { return CollectiveBackend::kNccl; }
  void allreduce_sum(double* data, std::size_t count) override;
  void ordered_allreduce_sum(double* data, std::size_t count) override;
  void broadcast(void* data, std::size_t bytes, int root) override;

  /// cudaGetDeviceCount, 0 when it fails (no driver, no device).
  static int visible_devices();

 private:
  // Runs one operation on this collective's device; on any error aborts the NCCL communicator
  // (ncclCommAbort: peers blocked in the same collective fail instead of hanging) and rethrows.
  template <class Op>
  void guarded(const char* what, Op&& op);
  // Waits for the stream, polling ncclCommGetAsyncError so a failed peer is reported.
  void wait();
  // The staging/scratch device buffer, grown to at least `bytes`.
  void* scratch(std::size_t bytes);
  void release() noexcept;

  int rank_ = 0;
  int size_ = 1;
  int device_ = -1;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  void* scratch_ = nullptr;
  std::size_t scratch_bytes_ = 0;
  std::vector<double> host_gather_;
};

}  // namespace bbpt::comm::detail
