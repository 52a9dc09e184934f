// SPDX-License-Identifier: MIT
// `bbpt pack --trials FILE.jsonl --out DIR [--ranks-per-trial R] [--retry-failed]`: a hand-written
// trial list (sweep/trial_list.h) planned into the sweep store DIR and run by the sweep's MPI
// executor (sweep/packed_executor.h), as `bbpt sweep run FILE --executor mpi` runs a sweep file.
// Under `mpirun -np N` / `srun --mpi=pmix`, rank 0 schedules and the other N - 1 ranks run trials
// in groups of R; started directly, this process runs the trials one after another. Rerun the same
// command to continue after a crash or a preemption. SIGTERM, SIGINT or SIGUSR2 (mpirun passes USR2
// on to every rank) checkpoint the running trials at the end of their current step, start no
// more, and exit 75.
#include <iostream>
#include <memory>

#include "bbpt/comm/communicator.h"
#include "bbpt/core/directories.h"
#include "bbpt/core/stop_signal.h"
#include "bbpt/sweep/packed_executor.h"
#include "bbpt/sweep/trial_list.h"
#include "cli_context.h"
#include "trial_spec.h"

namespace bbpt::cli {
namespace {

struct PackCommandOptions {
  std::string trials_path;
  std::string out_dir;
  std::string model_path;
  bool retry_failed = false;
  sweep::PackedOptions packed;
  MpiOptions mpi;
};

void run_pack(const PackCommandOptions& options, CliContext& context) {
  core::install_stop_handlers();
  const auto body = [&](comm::Communicator* world) {
    std::unique_ptr<sweep::SweepStore> store;  // rank 0's: it plans and records
    sweep::Sweep list;
    if (world == nullptr || world->rank() == 0) {
      core::make_directories(options.out_dir, "the packed trials", "--out");
      list = sweep::load_trial_list(options.trials_path, plan_options(context, options.model_path));
      store = std::make_unique<sweep::SweepStore>(options.out_dir);
      sweep::check_trial_list_against(list, *store);
      store->write_plan(list);
    }
    auto base = base_trial_spec(context, "");
    if (world != nullptr) base.device = rank_device(base.device, *world);
    const auto summary = sweep::run_packed(store.get(), list.trials, options.retry_failed, base,
                                           world, options.packed);
    if (world == nullptr || world->rank() == 0) {
      std::cout << store->dir() << ": " << sweep::describe(summary) << "\n";
      context.exit_code = sweep::exit_status(summary);
    }
  };
  if (context.env.mpi_launched) {
    with_mpi_world(context, options.mpi, body);
  } else {
    body(nullptr);
  }
}

}  // namespace

void add_pack_command(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<PackCommandOptions>();
  options->packed.command = "bbpt pack";
  auto* cmd = app.add_subcommand(
      "pack",
      "Run a hand-written list of trials, in one MPI allocation under `mpirun -np N bbpt pack "
      "--trials T.jsonl --out DIR` (rank 0 schedules, the other ranks run trials in groups of "
      "--ranks-per-trial) or one after another without a launcher. DIR is a sweep directory "
      "(bbpt sweep status DIR): each trial in DIR/trials/<id>/, the results merged into "
      "DIR/results.{jsonl,csv,sqlite}. A failed trial is recorded with its reason and the rest go "
      "on; rerunning the same command runs only what is not done. Exit status 1: a trial failed; "
      "75: stopped by a signal (run again to continue). T.jsonl: one {\"id\", \"config\", "
      "\"dataset\", \"seed\", \"shots\", \"set\": [\"key=value\"]} per line.");
  cmd->add_option("--trials", options->trials_path, "Trial list, one JSON object per line")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", options->out_dir,
                  "Output directory, a sweep directory (trials/<id>/, results.jsonl)")
      ->required();
  cmd->add_option("--model", options->model_path,
                  "CLIP checkpoint for every trial (default: the embedded default model)");
  cmd->add_option("--ranks-per-trial", options->packed.ranks_per_trial,
                  "Ranks that run one trial together (its queries split over them)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--retry-failed", options->retry_failed, "Run again the trials recorded as failed");
  cmd->add_option("--silence-limit", options->packed.silence_limit_s,
                  "Seconds a busy group may report nothing (no step, no result) before the job "
                  "ends")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_mpi_options(*cmd, options->mpi);
  cmd->callback([options, &context]() {
    context.apply_runtime_settings();
    run_pack(*options, context);
  });
}

}  // namespace bbpt::cli
