// SPDX-License-Identifier: MIT
// `bbpt pack --trials FILE.jsonl --out DIR [--ranks-per-trial R] [--retry-failed]`: many trials in
// one allocation (sweep/packed_executor.h). Under `mpirun -np N` / `srun --mpi=pmix`, rank 0
// schedules and the other N - 1 ranks run trials in groups of R; started directly, this process
// runs the trials one after another. Rerun the same command to continue after a crash or a
// preemption. SIGTERM, SIGINT or SIGUSR2 (mpirun passes USR2 on to every rank) checkpoint the
// running trials at the end of their current step, start no more, and exit 75.
#include <iostream>

#include "bbpt/comm/communicator.h"
#include "bbpt/core/stop_signal.h"
#include "bbpt/sweep/packed_executor.h"
#include "bbpt/sweep/trial_list.h"
#include "cli_context.h"
#include "llm_inputs.h"
#include "trial_spec.h"

namespace bbpt::cli {
namespace {

struct PackCommandOptions {
  std::string trials_path;
  std::string out_dir;
  std::string model_path;
  sweep::PackedOptions packed;
  MpiOptions mpi;
};

void run_pack(const PackCommandOptions& options, CliContext& context) {
  const auto trials = sweep::read_trial_list(options.trials_path);  // errors before any MPI work
  auto base = base_trial_spec(context, options.model_path);
  const sweep::RequestFactory make_request = [&](const sweep::TrialEntry& t) {
    run::RunRequest request;
    request.config_path = t.config_path;
    request.overrides = t.overrides;
    request.trial = base;
    request.trial.dataset = t.dataset;
    request.trial.seed = t.seed;
    request.trial.shots = t.shots;
    request.progress_every = 0;
    resolve_outside_inputs(request);
    return request;
  };
  const auto report = [&](const sweep::PackedSummary& s) {
    std::cout << options.out_dir << ": " << s.trials << " trials: " << s.already_done
              << " done before, " << s.finished << " finished now, " << s.failed << " failed now, "
              << s.skipped_failed << " failed before (not retried; --retry-failed runs them)";
    if (s.stopped > 0)
      std::cout << "; " << s.stopped << " stopped by a signal (run the same command to continue)";
    std::cout << "\n";
    if (s.stopped > 0) context.exit_code = 75;
  };
  core::install_stop_handlers();
  if (!context.env.mpi_launched) {
    report(sweep::run_packed(trials, options.out_dir, make_request, nullptr, options.packed));
    return;
  }
  with_mpi_world(context, options.mpi, [&](comm::Communicator* world) {
    base.device = rank_device(base.device, *world);
    const auto summary =
        sweep::run_packed(trials, options.out_dir, make_request, world, options.packed);
    if (world->rank() == 0) report(summary);
  });
}

}  // namespace

void add_pack_command(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<PackCommandOptions>();
  auto* cmd = app.add_subcommand("pack",
                                 "Run many trials in one MPI allocation: `mpirun -np N bbpt pack "
                                 "--trials T.jsonl --out DIR`. Rank 0 "
                                 "schedules and writes DIR/results.jsonl; the other ranks run "
                                 "trials in groups of --ranks-per-trial, each "
                                 "into DIR/trials/<id>/. A failed trial is recorded with its "
                                 "reason and the rest go on; rerunning the same "
                                 "command runs only what is not done. T.jsonl: one {\"id\", "
                                 "\"config\", \"dataset\", \"seed\", \"shots\", "
                                 "\"set\": [\"key=value\"]} per line.");
  cmd->add_option("--trials", options->trials_path, "Trial list, one JSON object per line")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", options->out_dir, "Output directory (trials/<id>/ and results.jsonl)")
      ->required();
  cmd->add_option("--model", options->model_path,
                  "CLIP checkpoint (default: the embedded default model)");
  cmd->add_option("--ranks-per-trial", options->packed.ranks_per_trial,
                  "Ranks that run one trial together (its queries split over them)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--retry-failed", options->packed.retry_failed,
                "Run again the trials recorded as failed");
  cmd->add_option(
         "--silence-limit", options->packed.silence_limit_s,
         "Seconds a busy group may report nothing (no step, no result) before the job ends")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_mpi_options(*cmd, options->mpi);
  cmd->callback([options, &context]() {
    context.apply_runtime_settings();
    run_pack(*options, context);
  });
}

}  // namespace bbpt::cli
