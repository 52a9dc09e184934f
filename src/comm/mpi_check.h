// SPDX-License-Identifier: MIT
// Private to src/comm: BBPT_MPI_CHECK and access to a Communicator's MPI handle. Our
// communicators carry MPI_ERRORS_RETURN, so a failing call returns its code here and becomes a
//   CommError "host:rank: MPI_Bcast failed at comm/communicator.cc:88: MPI_ERR_ROOT: invalid root"
// instead of MPI aborting the job before anything is said.
#pragma once

#include <mpi.h>

#include "comm_error.h"

namespace bbpt::comm {
class Communicator;
namespace detail {

/// Throws the CommError for MPI return code `code` of `call_text`.
[[noreturn]] void throw_mpi_error(int code, const char* call_text, const char* file, int line);

/// The friend of Communicator that lets backends reach its MPI handle.
struct CommunicatorAccess {
  static MPI_Comm handle(const Communicator& comm);
};

}  // namespace detail
}  // namespace bbpt::comm

#define BBPT_MPI_CHECK(call)                                                          \
  do {                                                                                \
    const int bbpt_mpi_rc_ = (call);                                                  \
    if (bbpt_mpi_rc_ != MPI_SUCCESS)                                                  \
      ::bbpt::comm::detail::throw_mpi_error(bbpt_mpi_rc_, #call, __FILE__, __LINE__); \
  } while (false)
