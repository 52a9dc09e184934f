// SPDX-License-Identifier: MIT
// Packed mode: many trials in one MPI allocation (`mpirun -np N bbpt pack ...`). World rank 0 is
// the scheduler and the only writer of the store; the other N - 1 ranks form groups of
// ranks_per_trial ranks (MPI_Comm_split), and each group runs one trial at a time (a distributed
// trial when ranks_per_trial > 1), asking rank 0 for the next one when it is done. Trials go to
// whichever group is free, so long and short trials mix without idle groups.
//
// Layout of the output directory:
//   DIR/trials/<id>/   one run directory per trial (run_trial.h), written by its group's leader
//   DIR/results.jsonl  one line per trial outcome, appended by rank 0 only:
//                      {"id", "status": "done", "result": {result.json}} or
//                      {"id", "status": "failed", "reason": "..."}
// A trial that throws is recorded as failed with its reason and the others go on. A rank that
// dies ends the job (the MPI launcher stops every rank); a group that sends nothing for
// silence_limit_s ends it too (abort_job). Every finished result and checkpoint stays on disk, so
// the same command continues: done trials (result.json present) are not run again, interrupted
// ones resume from their checkpoint, failed ones are skipped unless retry_failed.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/run/run_trial.h"
#include "bbpt/sweep/trial_list.h"
#include "bbpt/sweep/trial_outcome.h"

namespace bbpt::comm {
class Communicator;
}

namespace bbpt::sweep {

struct PackedOptions {
  /// Ranks that run one trial together (1: one trial per rank).
  int ranks_per_trial = 1;
  /// Run again the trials results.jsonl records as failed.
  bool retry_failed = false;
  /// A busy group that reports nothing (no finished step, no result) for this long ends the job.
  double silence_limit_s = 3600;
  /// A group's leader reports a finished step to rank 0 at most this often.
  double heartbeat_every_s = 10;
  /// Rank 0 prints the running trials and how far they are this often.
  double progress_every_s = 30;
};

struct PackedSummary {
  int64_t trials = 0;
  int64_t already_done = 0;    // result.json present before this run
  int64_t skipped_failed = 0;  // recorded as failed before, not retried
  int64_t finished = 0;        // run to the end by this run
  int64_t failed = 0;          // failed in this run
  int64_t stopped = 0;         // checkpointed on a stop request (core/stop_signal.h)
};

/// The RunRequest of a trial (out_dir and communicator are set by run_packed).
using RequestFactory = std::function<run::RunRequest(const TrialEntry&)>;

/// Runs one trial on a group (nullptr: this process alone) and returns its outcome. CommError
/// passes through.
using TrialRunner = std::function<TrialOutcome(
    const TrialEntry&, comm::Communicator* group, std::function<void(int64_t, int64_t)> on_step)>;

/// Runs the pending trials of `trials` into out_dir. `world` nullptr (or one rank): this process
/// runs them one after another. Every rank of world calls it; the summary is rank 0's (the other
/// ranks get an empty one). Throws ConfigError when the N - 1 worker ranks do not form whole
/// groups of ranks_per_trial.
PackedSummary run_packed(const std::vector<TrialEntry>& trials,
                         const std::string& out_dir,
                         const RequestFactory& make_request,
                         comm::Communicator* world,
                         const PackedOptions& options);

/// The same with the caller's runner (the sweep's: trials from its store, failures recorded there).
/// On a stop request rank 0 hands out no more trials and each group stops after its current step.
PackedSummary run_packed(const std::vector<TrialEntry>& trials,
                         const std::string& out_dir,
                         const TrialRunner& runner,
                         comm::Communicator* world,
                         const PackedOptions& options);

}  // namespace bbpt::sweep
