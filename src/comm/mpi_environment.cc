// SPDX-License-Identifier: MIT
#include "bbpt/comm/mpi_environment.h"

#include "bbpt/core/error.h"
#include "mpi_check.h"

namespace bbpt::comm {

MpiEnvironment::MpiEnvironment() { init(nullptr, nullptr); }

MpiEnvironment::MpiEnvironment(int& argc, char**& argv) { init(&argc, &argv); }

void MpiEnvironment::init(int* argc, char*** argv) {
  int initialized = 0;
  BBPT_MPI_CHECK(MPI_Initialized(&initialized));
  if (initialized) return;  // someone else owns MPI's lifetime
  int provided = MPI_THREAD_SINGLE;
  BBPT_MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
  owns_ = true;
  BBPT_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
  if (provided < MPI_THREAD_FUNNELED) {
    BBPT_THROW(CommError, detail::error_origin() << ": MPI_Init_thread provided thread level "
                                                 << provided << ", bbpt needs MPI_THREAD_FUNNELED ("
                                                 << MPI_THREAD_FUNNELED << ")");
  }
}

MpiEnvironment::~MpiEnvironment() {
  if (owns_ && active()) MPI_Finalize();  // errors at shutdown have no one left to report to
}

bool MpiEnvironment::active() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

}  // namespace bbpt::comm
