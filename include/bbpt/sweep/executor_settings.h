// SPDX-License-Identifier: MIT
// The executor a sweep runs on and its options. The first source that says wins: the command
// line's flags, then the sweep file's `executors:` (bbpt sweep run FILE) or DIR/executor.json, the
// options of the last run (bbpt sweep resume DIR), then the defaults.
#pragma once

#include <set>
#include <string>

#include "bbpt/sweep/grid.h"
#include "bbpt/sweep/slurm_executor.h"
#include "bbpt/sweep/store.h"

namespace bbpt::sweep {

struct ExecutorSettings {
  std::string executor;     // local | mpi | slurm; "" = not chosen
  int jobs = 1;             // local: trials at a time
  int ranks_per_trial = 1;  // mpi: ranks that run one trial together
  SlurmOptions slurm;
};

/// The settings the command line gave, by name: "jobs", "ranks_per_trial", or the key of a Slurm
/// field (slurm_fields()).
using GivenSettings = std::set<std::string>;

/// For `sweep run FILE`: `flags` where given, else the sweep file's executors: (local: jobs; mpi:
/// ranks_per_trial; slurm: slurm_fields()), else the defaults; the Slurm job name defaults to
/// bbpt-<sweep name>, the executor to local. Throws ConfigError naming the file and line of an
/// unknown key or a bad value under executors:.
ExecutorSettings settings_for_run(const Sweep& sweep,
                                  const ExecutorSettings& flags,
                                  const GivenSettings& given);

/// For `sweep resume DIR`: `flags` where given, else DIR/executor.json's (the last run's), else the
/// defaults; the executor is flags.executor, else the saved one, else local.
ExecutorSettings settings_for_resume(const SweepStore& store,
                                     const ExecutorSettings& flags,
                                     const GivenSettings& given);

/// Writes DIR/executor.json (what settings_for_resume reads).
void save_settings(const SweepStore& store, const ExecutorSettings& settings);

}  // namespace bbpt::sweep
