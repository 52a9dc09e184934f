// SPDX-License-Identifier: MIT
// NCCL backend (compiled only with BBPT_WITH_NCCL=ON). One dedicated non-blocking stream per
// collective; every operation ends with the stream synchronised, so callers never see a
// half-finished result.
#include "nccl_collective.h"

#include <thread>
#include <utility>

#include "bbpt/core/error.h"
#include "mpi_check.h"
#include "nccl_check.h"
#include "ordered_sum.h"

namespace bbpt::comm::detail {
namespace {

// True for device and managed memory (NCCL reads it directly), false for host memory, pinned or
// not (staged through the device scratch buffer).
bool is_device_pointer(const void* p) {
  cudaPointerAttributes attributes{};
  if (cudaPointerGetAttributes(&attributes, p) != cudaSuccess) {
    cudaGetLastError();  // older runtimes report unregistered host memory as an error
    return false;
  }
  return attributes.type == cudaMemoryTypeDevice || attributes.type == cudaMemoryTypeManaged;
}

}  // namespace

int NcclCollective::visible_devices() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return count;
}

NcclCollective::NcclCollective(MPI_Comm bootstrap, int local_rank) {
  BBPT_MPI_CHECK(MPI_Comm_rank(bootstrap, &rank_));
  BBPT_MPI_CHECK(MPI_Comm_size(bootstrap, &size_));
  // Local set-up, which can fail on some ranks only (no GPU, bad CUDA_VISIBLE_DEVICES).
  ncclUniqueId id{};
  std::string local_error;
  try {
    int device_count = 0;
    BBPT_CUDA_CHECK(cudaGetDeviceCount(&device_count));
    if (device_count == 0) {
      throw_comm_error("cudaGetDeviceCount", __FILE__, __LINE__, "no CUDA device visible");
    }
    device_ = local_rank % device_count;
    BBPT_CUDA_CHECK(cudaSetDevice(device_));
    BBPT_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    if (rank_ == 0) BBPT_NCCL_CHECK(ncclGetUniqueId(&id));
  } catch (const CommError& e) {
    local_error = e.what();
  }
  try {
    // Agree before anyone enters ncclCommInitRank, which would wait for the missing ranks.
    int failed = local_error.empty() ? 0 : 1, failed_ranks = 0;
    BBPT_MPI_CHECK(MPI_Allreduce(&failed, &failed_ranks, 1, MPI_INT, MPI_SUM, bootstrap));
    if (failed) throw CommError(local_error);
    if (failed_ranks > 0) {
      BBPT_THROW(CommError, error_origin() << ": NCCL set-up failed on " << failed_ranks << " of "
                                           << size_ << " ranks (see their messages)");
    }
    BBPT_MPI_CHECK(MPI_Bcast(&id, static_cast<int>(sizeof(id)), MPI_BYTE, 0, bootstrap));
    BBPT_NCCL_CHECK(ncclCommInitRank(&comm_, size_, id, rank_));
  } catch (...) {
    release();
    throw;
  }
}

NcclCollective::~NcclCollective() {
  if (comm_ != nullptr) {
    cudaSetDevice(device_);
    ncclCommDestroy(comm_);  // nothing to report to from a destructor
    comm_ = nullptr;
  }
  release();
}

void NcclCollective::release() noexcept {
  if (comm_ != nullptr) {
    ncclCommAbort(comm_);
    comm_ = nullptr;
  }
  if (device_ >= 0) cudaSetDevice(device_);
  if (scratch_ != nullptr) cudaFree(scratch_);
  scratch_ = nullptr;
  scratch_bytes_ = 0;
  if (stream_ != nullptr) cudaStreamDestroy(stream_);
  stream_ = nullptr;
  cudaGetLastError();
}

template <class Op>
void NcclCollective::guarded(const char* what, Op&& op) {
  if (comm_ == nullptr) {
    BBPT_THROW(CommError, error_origin() << ": " << what
                                         << " on an NCCL communicator aborted after an earlier "
                                            "error");
  }
  try {
    BBPT_CUDA_CHECK(cudaSetDevice(device_));
    op();
  } catch (...) {
    ncclCommAbort(comm_);
    comm_ = nullptr;
    throw;
  }
}

void NcclCollective::wait() {
  for (;;) {
    const cudaError_t state = cudaStreamQuery(stream_);
    if (state == cudaSuccess) return;
    if (state != cudaErrorNotReady) throw_cuda_error(state, "cudaStreamQuery", __FILE__, __LINE__);
    ncclResult_t async = ncclSuccess;
    BBPT_NCCL_CHECK(ncclCommGetAsyncError(comm_, &async));
    if (async != ncclSuccess && async != ncclInProgress) {
      throw_nccl_error(async, "ncclCommGetAsyncError", __FILE__, __LINE__);
    }
    std::this_thread::yield();
  }
}

void* NcclCollective::scratch(std::size_t bytes) {
  if (bytes > scratch_bytes_) {
    if (scratch_ != nullptr) BBPT_CUDA_CHECK(cudaFree(scratch_));
    scratch_ = nullptr;
    scratch_bytes_ = 0;
    BBPT_CUDA_CHECK(cudaMalloc(&scratch_, bytes));
    scratch_bytes_ = bytes;
  }
  return scratch_;
}

void NcclCollective::allreduce_sum(double* data, std::size_t count) {
  if (count == 0) return;
  guarded("allreduce_sum", [&] {
    const std::size_t bytes = count * sizeof(double);
    if (is_device_pointer(data)) {
      BBPT_NCCL_CHECK(ncclAllReduce(data, data, count, ncclDouble, ncclSum, comm_, stream_));
    } else {
      void* staged = scratch(bytes);
      BBPT_CUDA_CHECK(cudaMemcpyAsync(staged, data, bytes, cudaMemcpyHostToDevice, stream_));
      BBPT_NCCL_CHECK(ncclAllReduce(staged, staged, count, ncclDouble, ncclSum, comm_, stream_));
      BBPT_CUDA_CHECK(cudaMemcpyAsync(data, staged, bytes, cudaMemcpyDeviceToHost, stream_));
    }
    wait();
  });
}

void NcclCollective::ordered_allreduce_sum(double* data, std::size_t count) {
  if (count == 0) return;
  guarded("ordered_allreduce_sum", [&] {
    const std::size_t bytes = count * sizeof(double);
    const bool on_device = is_device_pointer(data);
    // scratch = [own contribution (host data only) | all contributions, rank after rank]
    auto* base = static_cast<char*>(scratch(bytes * (static_cast<std::size_t>(size_) + 1)));
    void* gathered = base + bytes;
    const void* send = data;
    if (!on_device) {
      BBPT_CUDA_CHECK(cudaMemcpyAsync(base, data, bytes, cudaMemcpyHostToDevice, stream_));
      send = base;
    }
    BBPT_NCCL_CHECK(ncclAllGather(send, gathered, count, ncclDouble, comm_, stream_));
    host_gather_.resize(count * static_cast<std::size_t>(size_ + 1));
    double* contributions = host_gather_.data();
    double* sum = contributions + count * static_cast<std::size_t>(size_);
    BBPT_CUDA_CHECK(cudaMemcpyAsync(contributions, gathered,
                                    bytes * static_cast<std::size_t>(size_), cudaMemcpyDeviceToHost,
                                    stream_));
    wait();
    sum_in_rank_order(contributions, size_, count, on_device ? sum : data);
    if (on_device) {
      BBPT_CUDA_CHECK(cudaMemcpyAsync(data, sum, bytes, cudaMemcpyHostToDevice, stream_));
      wait();
    }
  });
}

void NcclCollective::broadcast(void* data, std::size_t bytes, int root) {
  if (bytes == 0) return;
  guarded("broadcast", [&] {
    if (is_device_pointer(data)) {
      BBPT_NCCL_CHECK(ncclBroadcast(data, data, bytes, ncclUint8, root, comm_, stream_));
    } else {
      void* staged = scratch(bytes);
      if (rank_ == root) {
        BBPT_CUDA_CHECK(cudaMemcpyAsync(staged, data, bytes, cudaMemcpyHostToDevice, stream_));
      }
      BBPT_NCCL_CHECK(ncclBroadcast(staged, staged, bytes, ncclUint8, root, comm_, stream_));
      BBPT_CUDA_CHECK(cudaMemcpyAsync(data, staged, bytes, cudaMemcpyDeviceToHost, stream_));
    }
    wait();
  });
}

}  // namespace bbpt::comm::detail
