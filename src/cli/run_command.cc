// SPDX-License-Identifier: MIT
// `bbpt run --config configs/methods/<m>.yaml --dataset D --seed S [--shots K] [--set k=v ...]
// --out DIR`: one trial of a method (run_trial.h). Resumes from DIR's checkpoint; a finished DIR is
// not rerun. Under an MPI launcher (`mpirun -np N bbpt run ...`, `srun --mpi=pmix bbpt run ...`)
// the N ranks run the trial together: rank 0 leads and writes DIR, all ranks evaluate queries. If
// any rank fails, the whole job ends (no rank waits for a dead peer). SIGTERM, SIGINT or SIGUSR2
// (Slurm's preemption warning; mpirun passes USR2 on to every rank) checkpoint the trial at the end
// of the current step and exit 75; the same command continues it bit for bit.
#include <iostream>

#include "bbpt/comm/communicator.h"
#include "bbpt/core/error.h"
#include "bbpt/core/stop_signal.h"
#include "bbpt/run/method.h"
#include "bbpt/run/run_trial.h"
#include "cli_context.h"
#include "llm_inputs.h"
#include "trial_spec.h"

namespace bbpt::cli {
namespace {

struct RunCommandOptions {
  std::string config_path;
  std::string dataset;
  int64_t seed = 1;
  int64_t shots = 16;
  std::vector<std::string> overrides;
  std::string out_dir;
  std::string model_path;
  int64_t progress_every_steps = 50;
  bool print_config = false;
  bool force = false;
  MpiOptions mpi;
};

/// Exit status of a run stopped by a signal after its checkpoint (as `bbpt sweep run`:
/// EX_TEMPFAIL).
constexpr int kExitStopped = 75;

/// Prints the outcome of the trial; returns the exit status.
int print_summary(const RunCommandOptions& options, const run::RunSummary& summary) {
  if (summary.outcome == run::RunOutcome::kStopped) {
    std::cout << options.out_dir << ": stopped by signal " << core::stop_signal()
              << " and checkpointed; run the same command to continue\n";
    return kExitStopped;
  }
  if (summary.outcome == run::RunOutcome::kHelped) return 0;
  const auto& r = summary.result;
  if (summary.outcome == run::RunOutcome::kAlreadyDone) {
    std::cout << options.out_dir << ": already finished (result.json present); nothing to do\n";
  } else if (summary.resumed) {
    std::cout << "resumed from step " << summary.resumed_from_step << "\n";
  }
  std::cout << r["method"].get<std::string>() << " on " << r["dataset"].get<std::string>()
            << " seed " << r["seed"] << ": test accuracy " << 100.0 * r["test_acc"].get<double>()
            << "% (" << r["queries_used"] << " queries, " << r["steps"] << " steps, train loss "
            << r["train_loss"] << ")\n";
  return 0;
}

void run_run(const RunCommandOptions& options, CliContext& context) {
  run::RunRequest request;
  request.config_path = options.config_path;
  request.overrides = options.overrides;
  request.out_dir = options.out_dir;
  request.allow_foreign_out_dir = options.force;
  request.progress_every_steps = options.progress_every_steps;
  request.trial = base_trial_spec(context, options.model_path);
  request.trial.dataset = options.dataset;
  request.trial.seed = static_cast<uint64_t>(options.seed);
  request.trial.shots = options.shots;
  resolve_outside_inputs(request);
  if (options.print_config) {
    std::cout << run::resolve_config(request).dump(2) << "\n";
    return;
  }
  core::install_stop_handlers();
  if (!context.env.mpi_launched) {
    context.exit_code = print_summary(options, run::run_trial(request));
    return;
  }
  with_mpi_world(context, options.mpi, [&](comm::Communicator* world) {
    request.communicator = world;
    request.trial.device = rank_device(request.trial.device, *world);
    context.exit_code = print_summary(options, run::run_trial(request));
  });
}

}  // namespace

void add_run_command(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<RunCommandOptions>();
  std::string methods;
  for (const auto& m : run::method_names()) methods += (methods.empty() ? "" : ", ") + m;
  auto* cmd =
      app.add_subcommand("run", "Run one trial of a prompt-tuning method (" + methods +
                                    ") and write DIR/{config.json, few_shot.json, metrics.jsonl, "
                                    "checkpoint.bin, result.json}. "
                                    "An interrupted run resumes from its checkpoint and continues "
                                    "bit for bit; SIGTERM, SIGINT or SIGUSR2 "
                                    "checkpoint it at the end of the current step and exit 75. "
                                    "spsa-gc is BlackVIP's optimizer applied to the text prompt: "
                                    "BlackVIP's visual coordinator needs a "
                                    "pretrained MAE encoder, which is not available here. llm-opt, "
                                    "ipo and glov ask an OpenAI-compatible "
                                    "endpoint ($BBPT_LLM_BASE_URL, $BBPT_LLM_MODEL; docs/llm.md); "
                                    "glov runs without its hidden-state "
                                    "guidance, which an HTTP endpoint cannot give.");
  cmd->add_option("--config", options->config_path, "Method config, e.g. configs/methods/zip.yaml")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--dataset", options->dataset,
                  "Dataset name (fmnist, mnist, cifar10, coop:<Name>, ...)")
      ->required();
  cmd->add_option("--seed", options->seed, "Trial seed (few-shot sample, prompt init, optimizer)")
      ->capture_default_str();
  cmd->add_option("--shots", options->shots, "Training images per class")->capture_default_str();
  cmd->add_option("--set", options->overrides,
                  "Override a config key: --set budget=1000 (repeatable)");
  cmd->add_option("--out", options->out_dir, "Run directory")->required();
  cmd->add_option("--model", options->model_path,
                  "CLIP checkpoint (default: the embedded default model)");
  cmd->add_option("--progress-every", options->progress_every_steps,
                  "Progress line every N optimizer steps (not queries; 0: quiet)")
      ->capture_default_str();
  cmd->add_flag("--print-config", options->print_config, "Print the resolved config and exit");
  cmd->add_flag("--force", options->force,
                "Write the run into an --out directory that is not a bbpt run (or holds a run of "
                "another config "
                "that never checkpointed); its config.json and metrics.jsonl are replaced");
  add_mpi_options(*cmd, options->mpi);
  cmd->callback([options, &context]() {
    context.apply_runtime_settings();
    run_run(*options, context);
  });
}

}  // namespace bbpt::cli
