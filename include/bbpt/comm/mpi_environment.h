// SPDX-License-Identifier: MIT
// RAII for MPI's lifetime: the one object main() creates before any Communicator exists.
#pragma once

namespace bbpt::comm {

/// Initialises MPI with MPI_THREAD_FUNNELED (only the thread that created this object makes MPI
/// calls) and finalises it on destruction. Works under mpirun/srun and in a program started
/// directly (an MPI "singleton": world size 1). If MPI was already initialised by someone else,
/// this object neither initialises nor finalises it. Sets MPI_ERRORS_RETURN on MPI_COMM_WORLD so
/// that failures reach BBPT_MPI_CHECK instead of aborting the job. Throws CommError when MPI
/// cannot provide MPI_THREAD_FUNNELED.
///
/// Every Communicator and Collective must be destroyed before this object.
class MpiEnvironment {
 public:
  MpiEnvironment();
  /// Passes argc/argv to MPI_Init_thread (some MPI implementations strip their own arguments).
  MpiEnvironment(int& argc, char**& argv);
  ~MpiEnvironment();
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;

  /// True when this object called MPI_Init_thread (and so will call MPI_Finalize).
  bool owns_mpi() const { return owns_; }
  /// Whether MPI is initialised and not yet finalised.
  static bool active();

 private:
  void init(int* argc, char*** argv);
  bool owns_ = false;
};

}  // namespace bbpt::comm
