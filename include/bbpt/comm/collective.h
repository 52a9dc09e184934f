// SPDX-License-Identifier: MIT
// Reductions and broadcasts whose backend (MPI or NCCL) is a run-time choice (style.md 2.2:
// `--comm.collective=mpi|nccl`, resolved once in cli). Callers see only this interface.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace bbpt::comm {

class Communicator;

enum class CollectiveBackend { kMpi, kNccl };

/// "mpi" or "nccl".
std::string to_string(CollectiveBackend backend);
/// Inverse of to_string; throws ConfigError naming the option comm.collective otherwise.
CollectiveBackend parse_collective_backend(const std::string& text);

/// A set of collective operations over the ranks of one Communicator. Every call is collective:
/// all ranks of the communicator must make the same calls in the same order with the same counts.
///
/// Buffers:
///  - MpiCollective: host memory only (bbpt does not assume a CUDA-aware MPI).
///  - NcclCollective: host or device memory, detected per call with cudaPointerGetAttributes.
///    Device (or managed) pointers go to NCCL directly; host pointers are staged through a device
///    buffer the collective owns (copy in, NCCL, copy out). Device data must be complete (its
///    producer's stream synchronised) before the call. Every call returns when the result is in
///    `data` (the collective's own stream is synchronised), so results are usable at once.
class Collective {
 public:
  virtual ~Collective() = default;

  /// "mpi" or "nccl".
  virtual std::string name() const = 0;
  virtual CollectiveBackend backend() const = 0;

  /// Element-wise sum over ranks, in place, result on every rank. The summation order is the
  /// backend's (MPI_Allreduce, ncclAllReduce): implementation-defined, may change with the number
  /// of ranks, the message size or the library version. Use it where a few ulps do not matter.
  virtual void allreduce_sum(double* data, std::size_t count) = 0;

  /// Element-wise sum over ranks with a defined order: out[i] = ((c_0[i] + c_1[i]) + c_2[i]) + ...
  /// with c_r rank r's contribution, result on every rank. Both backends produce identical bits
  /// (MPI: gather to rank 0, sum there, broadcast; NCCL: all-gather, every rank sums on the host
  /// in rank order with the same code). Costs size() times the data of allreduce_sum.
  ///
  /// This is the path to use when results must not depend on the number of ranks. It does so when
  /// every element has a single contributing rank and the others contribute +0.0 (x + 0.0 == x
  /// exactly, except -0.0 + 0.0 == +0.0): write each item's value (a query's loss) into its
  /// global slot, zero elsewhere, reduce, then combine the slots in slot order on every rank.
  /// Summing per-rank partial sums instead is reproducible for a fixed rank count but not across
  /// rank counts, because the grouping of the additions changes.
  virtual void ordered_allreduce_sum(double* data, std::size_t count) = 0;

  /// Copies `bytes` bytes from `root`'s buffer into every other rank's buffer.
  virtual void broadcast(void* data, std::size_t bytes, int root) = 0;
};

/// Creates a backend over (a duplicate of) comm's ranks. Collective: every rank of comm calls it.
/// kNccl needs bbpt built with -DBBPT_WITH_NCCL=ON (else ConfigError naming comm.collective) and a
/// CUDA device per rank: device local_rank % device_count is used (one rank per GPU; NCCL rejects
/// two ranks on one GPU). If any rank cannot set up its device, every rank throws CommError.
std::unique_ptr<Collective> make_collective(CollectiveBackend backend, const Communicator& comm);

/// Whether this bbpt was built with the NCCL backend (BBPT_WITH_NCCL=ON).
bool nccl_compiled();
/// CUDA devices visible to this process: 0 without NCCL support, without a driver or without a
/// device (cudaGetDeviceCount failing counts as 0). For tests and diagnostics.
int visible_cuda_devices();

}  // namespace bbpt::comm
