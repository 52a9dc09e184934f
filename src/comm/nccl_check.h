// SPDX-License-Identifier: MIT
// Private to src/comm, compiled only with BBPT_WITH_NCCL=ON: checks of NCCL and CUDA runtime
// calls, with the same message shape as BBPT_MPI_CHECK:
//   "host:rank: ncclAllReduce failed at comm/nccl_collective.cc:88: 'unhandled system error /
//    <ncclGetLastError>'"
#pragma once

#include <cuda_runtime.h>
#include <nccl.h>

#include <string>

#include "comm_error.h"

namespace bbpt::comm::detail {

[[noreturn]] inline void throw_nccl_error(ncclResult_t rc,
                                          const char* call_text,
                                          const char* file,
                                          int line) {
  const char* last = ncclGetLastError(nullptr);  // thread's last error; the comm is not used
  throw_comm_error(call_text, file, line,
                   std::string("'") + ncclGetErrorString(rc) + " / " +
                       (last != nullptr && *last != '\0' ? last : "no further detail") + "'");
}

[[noreturn]] inline void throw_cuda_error(cudaError_t rc,
                                          const char* call_text,
                                          const char* file,
                                          int line) {
  cudaGetLastError();  // reset the last-error state so later calls are not blamed
  throw_comm_error(call_text, file, line,
                   std::string(cudaGetErrorName(rc)) + ": " + cudaGetErrorString(rc));
}

}  // namespace bbpt::comm::detail

#define BBPT_NCCL_CHECK(call)                                                           \
  do {                                                                                  \
    const ncclResult_t bbpt_nccl_rc_ = (call);                                          \
    if (bbpt_nccl_rc_ != ncclSuccess)                                                   \
      ::bbpt::comm::detail::throw_nccl_error(bbpt_nccl_rc_, #call, __FILE__, __LINE__); \
  } while (false)

#define BBPT_CUDA_CHECK(call)                                                           \
  do {                                                                                  \
    const cudaError_t bbpt_cuda_rc_ = (call);                                           \
    if (bbpt_cuda_rc_ != cudaSuccess)                                                   \
      ::bbpt::comm::detail::throw_cuda_error(bbpt_cuda_rc_, #call, __FILE__, __LINE__); \
  } while (false)
