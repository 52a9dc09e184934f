// SPDX-License-Identifier: MIT
// Private to src/comm: completion of non-blocking MPI requests with the job's wait timeout
// (job.h). Every wait of bbpt goes through here, so no rank blocks forever on a dead or stuck peer.
#pragma once

#include <mpi.h>

#define BBPT_MPI_WAIT(request, what) \
  ::bbpt::comm::detail::wait_request((request), (what), __FILE__, __LINE__)

namespace bbpt::comm::detail {

/// Polls `request` (MPI_Test) with short sleeps, so that an idle rank leaves the cores to the ranks
/// that compute, until it completes; `status` (may be MPI_STATUS_IGNORE) gets its status. Throws
/// CommError "<host:rank>: <what> failed at comm/<file>:<line>: no answer within T s ..." when
/// wait_timeout() passes first, or the MPI error of the request.
void wait_request(MPI_Request& request,
                  const char* what,
                  const char* file,
                  int line,
                  MPI_Status* status = MPI_STATUS_IGNORE);

/// Polls MPI_Iprobe(source, tag) until a message is there (same timeout and sleeps); returns its
/// status (source, tag, count).
MPI_Status wait_probe(
    MPI_Comm comm, int source, int tag, const char* what, const char* file, int line);

}  // namespace bbpt::comm::detail
