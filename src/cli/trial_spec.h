// SPDX-License-Identifier: MIT
// What the trial-running commands (run, pack, sweep) share: the TrialSpec fields filled from the
// global options, the MPI options and the MPI job around a command.
#pragma once

#include <functional>
#include <string>

#include "bbpt/run/trial_context.h"
#include "bbpt/sweep/grid.h"
#include "cli_context.h"

namespace bbpt::comm {
class Communicator;
}

namespace bbpt::cli {

/// Model (default: the embedded default model in the cache), device, data, feature cache and
/// vocabulary from the CLI context; dataset, seed and shots are left to the caller.
run::TrialSpec base_trial_spec(const CliContext& context, const std::string& model_path);

/// How sweep files and trial lists are planned here: configs from --configs, `model: default` the
/// embedded default model, `model` (--model; "" keeps the file's) for every trial, and the LLM
/// methods' outside inputs resolved into each config (llm_inputs.h).
sweep::PlanOptions plan_options(const CliContext& context, const std::string& model);

/// The device of this rank: `--device cuda` (no index) under an MPI launcher means one GPU per
/// rank, cuda:<node-local rank mod GPU count>; anything else is used as given.
std::string rank_device(const std::string& device, const comm::Communicator& world);

/// Options of a command that may run under an MPI launcher.
struct MpiOptions {
  /// Seconds any rank may wait for another before the job ends (comm::set_wait_timeout).
  double comm_timeout_s = 1800;
  /// mpi | nccl: the backend of the numeric reductions across a trial's ranks.
  std::string collective = "mpi";
};
/// --comm-timeout and --collective.
void add_mpi_options(CLI::App& command, MpiOptions& options);

/// Runs `body` with MPI when an MPI launcher started this process (context.env.mpi_launched), with
/// the world communicator (nullptr otherwise). Sets the wait timeout, the collective backend and
/// each rank's share of the node's cores. Any exception on any rank ends every rank of the job
/// (exit status 2 for a configuration error, 1 otherwise): no rank waits for a failed one.
void with_mpi_world(const CliContext& context,
                    const MpiOptions& options,
                    const std::function<void(comm::Communicator*)>& body);

}  // namespace bbpt::cli
