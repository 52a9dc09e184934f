// SPDX-License-Identifier: MIT
// The TrialSpec fields every trial-running command fills the same way from the global options.
#pragma once

#include <functional>
#include <string>

#include "bbpt/run/trial_context.h"
#include "cli_context.h"

namespace bbpt::comm {
class Communicator;
}

namespace bbpt::cli {

/// Model (default: the embedded default model in the cache), device, data, feature cache and
/// vocabulary from the CLI context; dataset, seed and shots are left to the caller.
run::TrialSpec base_trial_spec(const CliContext& context, const std::string& model_path);

/// The device of this rank: `--device cuda` (no index) under an MPI launcher means one GPU per rank,
/// cuda:<node-local rank mod GPU count>; anything else is used as given.
std::string rank_device(const std::string& device, const comm::Communicator& world);

/// Runs `body` with MPI when an MPI launcher started this process (context.env.mpi_launched), with
/// the world communicator (nullptr otherwise). Sets the wait timeout, the collective backend and
/// each rank's share of the node's cores. Any exception on any rank ends every rank of the job
/// (exit status 2 for a configuration error, 1 otherwise): no rank waits for a failed one.
void with_mpi_world(const CliContext& context, double comm_timeout_s, const std::string& collective,
                    const std::function<void(comm::Communicator*)>& body);

}  // namespace bbpt::cli
