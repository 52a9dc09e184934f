// SPDX-License-Identifier: MIT
// The MPI executor: many trials of a sweep's store in one MPI allocation (`mpirun -np N bbpt sweep
// run FILE --executor mpi`, `mpirun -np N bbpt pack --trials T.jsonl --out DIR`). World rank 0 is
// the scheduler; the other N - 1 ranks form groups of ranks_per_trial ranks (MPI_Comm_split), and
// each group runs one trial at a time (a distributed trial when ranks_per_trial > 1) with
// run_planned_trial, asking rank 0 for the next one when it is done. Trials go to whichever group
// is free, so long and short trials mix without idle groups.
//
// The store (store.h) is the only record: a trial's leader writes its directory (result.json, or
// failed.json with the reason), and rank 0 merges them into results.sqlite, results.csv and
// results.jsonl every merge_every_s and at the end. A trial that fails is recorded with its reason
// and the others go on. A rank that dies ends the job (the MPI launcher stops every rank); a group
// that sends nothing for silence_limit_s ends it too (abort_job). The same command continues:
// trials_to_run skips done trials (and failed ones unless retry_failed), and interrupted ones
// resume from their checkpoints. On a stop request rank 0 hands out no more trials and each group
// checkpoints its trial at the end of the current step.
#pragma once

#include <string>
#include <vector>

#include "bbpt/run/trial_context.h"
#include "bbpt/sweep/executor.h"

namespace bbpt::comm {
class Communicator;
}

namespace bbpt::sweep {

struct PackedOptions {
  /// Ranks that run one trial together (1: one trial per rank).
  int ranks_per_trial = 1;
  /// A busy group that reports nothing (no finished step, no result) for this many seconds ends
  /// the job.
  double silence_limit_s = 3600;
  /// A group's leader reports a finished step to rank 0 at most once per this many seconds.
  double heartbeat_every_s = 10;
  /// Rank 0 prints the running trials and how far they are once per this many seconds.
  double progress_every_s = 30;
  /// Rank 0 merges the finished trials into results.{sqlite,csv,jsonl} at least once per this many
  /// seconds while running (and always at the end).
  double merge_every_s = 60;
  /// The command named in progress lines ("bbpt sweep", "bbpt pack").
  std::string command = "bbpt sweep";
};

/// Runs the trials of `plan` that need a run (trials_to_run with `retry_failed`). Every rank of
/// `world` calls it; `store`, `plan`, `retry_failed` and options.ranks_per_trial are rank 0's
/// (the other ranks may pass nullptr and {}), which it broadcasts. `world` nullptr (or one rank):
/// this process runs the trials one after another. `base`: this rank's device, data, caches and
/// vocabulary. Returns rank 0's summary (the other ranks get an empty one). Throws ConfigError on
/// every rank when the N - 1 worker ranks do not form whole groups of ranks_per_trial.
ExecutorSummary run_packed(const SweepStore* store,
                           const std::vector<PlannedTrial>& plan,
                           bool retry_failed,
                           const run::TrialSpec& base,
                           comm::Communicator* world,
                           const PackedOptions& options);

}  // namespace bbpt::sweep
