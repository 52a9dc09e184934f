// SPDX-License-Identifier: MIT
#include "wait.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <thread>

#include "bbpt/comm/job.h"
#include "bbpt/core/error.h"
#include "comm_error.h"
#include "mpi_check.h"

namespace bbpt::comm {
namespace {

double g_wait_timeout_s = 1800.0;

/// Sleeps between polls: none for the first few (a reply that is already on its way), then from
/// 20 us doubling up to 1 ms, so that a waiting rank costs little CPU yet reacts within a
/// millisecond.
class PollPacer {
 public:
  PollPacer() : start_(std::chrono::steady_clock::now()) {}
  /// False once the timeout has passed.
  bool pause() {
    if (++polls_ > 64) {
      std::this_thread::sleep_for(std::chrono::microseconds(sleep_us_));
      sleep_us_ = std::min(sleep_us_ * 2, 1000);
    }
    return elapsed_s() < wait_timeout();
  }
  double elapsed_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
  int polls_ = 0;
  int sleep_us_ = 20;
};

[[noreturn]] void throw_timeout(const char* what, const char* file, int line) {
  std::ostringstream detail;
  detail << "no answer within " << wait_timeout()
         << " s (--comm-timeout): a peer rank is dead, stuck or much slower than this one; the job "
            "must end (finished results and checkpoints are kept; rerun to continue)";
  detail::throw_comm_error(what, file, line, detail.str());
}

}  // namespace

void set_wait_timeout(double seconds) {
  BBPT_CHECK(seconds > 0, ConfigError, "comm timeout (= " << seconds << " s) must be > 0");
  g_wait_timeout_s = seconds;
}

double wait_timeout() { return g_wait_timeout_s; }

void abort_job(const std::string& message, int code) {
  std::fprintf(stderr, "bbpt: %s: %s\n", detail::error_origin().c_str(), message.c_str());
  std::fflush(stderr);
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

namespace detail {

void wait_request(
    MPI_Request& request, const char* what, const char* file, int line, MPI_Status* status) {
  PollPacer pacer;
  for (;;) {
    int done = 0;
    const int rc = MPI_Test(&request, &done, status);
    if (rc != MPI_SUCCESS) throw_mpi_error(rc, what, file, line);
    if (done) return;
    if (!pacer.pause()) throw_timeout(what, file, line);
  }
}

MPI_Status wait_probe(
    MPI_Comm comm, int source, int tag, const char* what, const char* file, int line) {
  PollPacer pacer;
  for (;;) {
    int found = 0;
    MPI_Status status;
    const int rc = MPI_Iprobe(source, tag, comm, &found, &status);
    if (rc != MPI_SUCCESS) throw_mpi_error(rc, what, file, line);
    if (found) return status;
    if (!pacer.pause()) throw_timeout(what, file, line);
  }
}

}  // namespace detail
}  // namespace bbpt::comm
