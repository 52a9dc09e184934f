// SPDX-License-Identifier: MIT
// Private to src/comm: the error text shared by the MPI, NCCL and CUDA checks,
//   "host:rank: <call> failed at comm/<file>.cc:<line>: <library's error string>"
// (style.md 2.5 and 2.8.3). No MPI/NCCL types here, so every backend file can use it.
#pragma once

#include <cstddef>
#include <string>

namespace bbpt::comm::detail {

/// "host:rank" of this process: MPI_COMM_WORLD rank while MPI is active, else "host:?".
std::string error_origin();
/// The called function's name from the call's source text: "MPI_Bcast(p, n, ...)" -> "MPI_Bcast".
std::string call_name(const char* call_text);
/// __FILE__ shortened to start at "comm/" (the path below src/), or the base name.
std::string short_file(const char* file);
/// Throws CommError "<origin>: <call name> failed at <short file>:<line>: <detail>".
[[noreturn]] void throw_comm_error(const char* call_text,
                                   const char* file,
                                   int line,
                                   const std::string& detail);
/// `count` as an int for MPI/NCCL count arguments; CommError naming `what` when it does not fit.
int checked_int(std::size_t count, const char* what);

}  // namespace bbpt::comm::detail
