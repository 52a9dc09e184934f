// SPDX-License-Identifier: MIT
// Job-wide controls of an MPI job: how long any bbpt MPI wait may last, and ending the whole job
// when one rank cannot go on (so that no rank ever waits forever for a dead or stuck peer).
#pragma once

#include <string>

namespace bbpt::comm {

/// The longest any bbpt MPI wait (broadcast, gather, reduction, send, receive) may take before it
/// fails with a CommError that names the call, the peer (where known) and this limit. Default
/// 1800 s; set it once in main() before any communication (`bbpt --comm-timeout`). A CommError from
/// a timeout leaves the communicator unusable: end the job with abort_job().
void set_wait_timeout(double seconds);
double wait_timeout();

/// Prints "bbpt: <where>: <message>" to stderr and ends every rank of the job (MPI_Abort on
/// MPI_COMM_WORLD, `code` as the exit status); without active MPI, exits this process with `code`.
[[noreturn]] void abort_job(const std::string& message, int code);

}  // namespace bbpt::comm
