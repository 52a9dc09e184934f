// SPDX-License-Identifier: MIT
// The local executor: N trials at a time, each in its own process (`bbpt sweep task DIR --trial
// ID`, output appended to trials/<id>/log.txt). On a stop request (Ctrl-C, SIGTERM, USR2) it
// starts nothing new and passes the request on, so every running trial checkpoints; a trial
// process that dies without saying why is recorded as failed with its exit status.
#pragma once

#include <string>
#include <vector>

#include "bbpt/sweep/executor.h"

namespace bbpt::sweep {

struct LocalOptions {
  /// Trials at a time.
  int jobs = 1;
  /// `bbpt` and its global options; `sweep task DIR --trial ID` is appended.
  std::vector<std::string> task_command;
  /// Merge results.sqlite/csv at least this often while running (and always at the end).
  double merge_every_s = 60;
  /// Print the running trials and their time so far this often.
  double progress_every_s = 60;
};

/// Runs `to_run` (trials_to_run's choice) and adds the outcomes to `summary`.
void run_local(const SweepStore& store,
               const std::vector<PlannedTrial>& to_run,
               const LocalOptions& options,
               ExecutorSummary& summary);

}  // namespace bbpt::sweep
