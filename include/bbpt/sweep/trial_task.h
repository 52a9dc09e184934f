// SPDX-License-Identifier: MIT
// One planned trial of a sweep run in this process (every executor ends here): the trial runs
// from its frozen method config into its directory of the store; a failure is recorded there
// (failed.json) with its reason, and a stop request (core/stop_signal.h) checkpoints it.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "bbpt/run/trial_context.h"
#include "bbpt/sweep/grid.h"
#include "bbpt/sweep/store.h"
#include "bbpt/sweep/trial_outcome.h"

namespace bbpt::comm {
class Communicator;
}

namespace bbpt::sweep {

struct TaskOptions {
  /// Ranks that run the trial together (nullptr: this process alone).
  comm::Communicator* group = nullptr;
  /// Called on the leader after each step (heartbeats).
  std::function<void(int64_t step, int64_t queries)> on_step;
  /// Append this process's stdout and stderr to trials/<id>/log.txt while the trial runs.
  bool log_to_trial_dir = false;
  /// Progress line every this many steps (0: none).
  int64_t progress_every = 50;
};

/// Runs (or resumes) `trial`; `base` gives the device, data, caches and vocabulary. A
/// communication failure (CommError) is not a trial failure: it passes through.
TrialOutcome run_planned_trial(const SweepStore& store,
                               const PlannedTrial& trial,
                               const run::TrialSpec& base,
                               const TaskOptions& options);

}  // namespace bbpt::sweep
