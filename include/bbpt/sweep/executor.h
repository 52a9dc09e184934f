// SPDX-License-Identifier: MIT
// What every executor of a sweep shares: which trials still need a run, and the tally of a run.
// The executors: local (local_executor.h), mpi (packed_executor.h: one allocation) and slurm
// (slurm_executor.h: job arrays).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bbpt/sweep/grid.h"
#include "bbpt/sweep/store.h"

namespace bbpt::sweep {

struct ExecutorSummary {
  int64_t trials = 0;             // in the plan
  int64_t already_done = 0;       // done before this run
  int64_t running_elsewhere = 0;  // another process (or Slurm task) runs it now
  int64_t skipped_failed = 0;     // failed before and not retried
  int64_t finished = 0;           // done by this run
  int64_t failed = 0;             // failed in this run
  int64_t stopped = 0;            // checkpointed on a stop request; the next run continues them
  int64_t submitted = 0;          // slurm: handed to the scheduler
};

/// The trials of `plan` that need a run: not done, not running now, and failed ones only when
/// `retry_failed`. Fills the counts of `summary` that are known before running.
std::vector<PlannedTrial> trials_to_run(const SweepStore& store,
                                        const std::vector<PlannedTrial>& plan,
                                        bool retry_failed,
                                        ExecutorSummary& summary);

/// One line: "12 trials: 3 done before, 7 finished, 1 failed, 1 stopped (...)".
std::string describe(const ExecutorSummary& summary);

/// The exit status of a sweep command: 0 when nothing failed, 75 (EX_TEMPFAIL) when a stop
/// request interrupted it (run it again to continue), 1 when a trial failed.
int exit_status(const ExecutorSummary& summary);

}  // namespace bbpt::sweep
