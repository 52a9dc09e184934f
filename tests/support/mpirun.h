// SPDX-License-Identifier: MIT
// The mpirun command line of the tests that start a launcher themselves. Needs BBPT_MPIEXEC and
// BBPT_MPIEXEC_FLAGS (space- or ';'-separated) defined by the test target
// (tests/mpi/CMakeLists.txt).
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace bbpt::testing {

/// mpirun -np `ranks` with the flags CMake found (Open MPI as root: --allow-run-as-root
/// --oversubscribe).
inline std::vector<std::string> mpirun(int ranks) {
  std::vector<std::string> args = {BBPT_MPIEXEC};
  std::string flags = BBPT_MPIEXEC_FLAGS;
  std::replace(flags.begin(), flags.end(), ';', ' ');
  for (size_t at = 0; at < flags.size();) {
    const size_t end = std::min(flags.find(' ', at), flags.size());
    if (end > at) args.push_back(flags.substr(at, end - at));
    at = end + 1;
  }
  args.insert(args.end(), {"-np", std::to_string(ranks)});
  return args;
}

}  // namespace bbpt::testing
