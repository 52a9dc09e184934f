// SPDX-License-Identifier: MIT
// Private to src/comm: the MPI backend of Collective (host buffers). Created by make_collective.
#pragma once

#include <mpi.h>

#include "bbpt/comm/collective.h"

namespace bbpt::comm::detail {

class MpiCollective final : public Collective {
 public:
  /// Duplicates `parent` (its own context, so reductions never match the Communicator's
  /// messages) and sets MPI_ERRORS_RETURN on the duplicate. Collective over parent.
  explicit MpiCollective(MPI_Comm parent);
  ~MpiCollective() override;
  MpiCollective(const MpiCollective&) = delete;
  MpiCollective& operator=(const MpiCollective&) = delete;

  std::string name() const override { return "mpi"; }
  CollectiveBackend backend() const override { return CollectiveBackend::kMpi; }
  void allreduce_sum(double* data, std::size_t count) override;
  void ordered_allreduce_sum(double* data, std::size_t count) override;
  void broadcast(void* data, std::size_t bytes, int root) override;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace bbpt::comm::detail
