// SPDX-License-Identifier: MIT
// `bbpt run --config configs/methods/<m>.yaml --dataset D --seed S [--shots K] [--set k=v ...] --out DIR`:
// one trial of a method (run_trial.h). Resumes from DIR's checkpoint; a finished DIR is not rerun.
// Under an MPI launcher (`mpirun -np N bbpt run ...`, `srun --mpi=pmix bbpt run ...`) the N ranks
// run the trial together: rank 0 leads and writes DIR, all ranks evaluate queries. If any rank
// fails, the whole job ends (no rank waits for a dead peer).
#include <torch/cuda.h>

#include <iostream>
#include <optional>

#include "bbpt/comm/communicator.h"
#include "bbpt/comm/job.h"
#include "bbpt/comm/mpi_environment.h"
#include "bbpt/core/error.h"
#include "bbpt/run/method.h"
#include "bbpt/run/run_trial.h"
#include "cli_context.h"
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
  int64_t progress_every = 50;
  bool print_config = false;
  /// Seconds any rank may wait for another before the job ends (comm::set_wait_timeout).
  double comm_timeout_s = 1800;
  /// mpi | nccl: the backend of the numeric reductions across ranks.
  std::string collective = "mpi";
};

void print_summary(const RunCommandOptions& options, const run::RunSummary& summary) {
  const auto& r = summary.result;
  if (summary.outcome == run::RunOutcome::kAlreadyDone) {
    std::cout << options.out_dir << ": already finished (result.json present); nothing to do\n";
  } else if (summary.resumed) {
    std::cout << "resumed from step " << summary.resumed_from_step << "\n";
  }
  std::cout << r["method"].get<std::string>() << " on " << r["dataset"].get<std::string>() << " seed "
            << r["seed"] << ": test accuracy " << 100.0 * r["test_acc"].get<double>() << "% ("
            << r["queries_used"] << " queries, " << r["steps"] << " steps, train loss " << r["train_loss"]
            << ")\n";
}

void run_run(const RunCommandOptions& options, const CliContext& context) {
  run::RunRequest request;
  request.config_path = options.config_path;
  request.overrides = options.overrides;
  request.out_dir = options.out_dir;
  request.progress_every = options.progress_every;
  request.trial = base_trial_spec(context, options.model_path);
  request.trial.dataset = options.dataset;
  request.trial.seed = static_cast<uint64_t>(options.seed);
  request.trial.shots = options.shots;
  if (options.print_config) {
    std::cout << run::resolve_config(request).dump(2) << "\n";
    return;
  }
  if (!context.env.mpi_launched) {
    print_summary(options, run::run_trial(request));
    return;
  }
  with_mpi_world(context, options.comm_timeout_s, options.collective, [&](comm::Communicator* world) {
    request.communicator = world;
    request.trial.device = rank_device(request.trial.device, *world);
    const auto summary = run::run_trial(request);
    if (summary.outcome != run::RunOutcome::kHelped) print_summary(options, summary);
  });
}

}  // namespace

run::TrialSpec base_trial_spec(const CliContext& context, const std::string& model_path) {
  run::TrialSpec trial;
  trial.model_path = model_path.empty() ? context.cache_root() + "/models/bbpt-clip-default.pt" : model_path;
  trial.device = context.global.device;
  trial.data = context.data_options();
  trial.feature_cache_dir = context.cache_root() + "/features";
  trial.vocab_path = assets::locate_asset(assets::kClipVocabAsset, context.asset_options());
  return trial;
}

std::string rank_device(const std::string& device, const comm::Communicator& world) {
  if (device != "cuda") return device;
  const int gpus = static_cast<int>(torch::cuda::device_count());
  return gpus > 0 ? "cuda:" + std::to_string(world.local_rank() % gpus) : device;
}

void with_mpi_world(const CliContext& context, double comm_timeout_s, const std::string& collective,
                    const std::function<void(comm::Communicator*)>& body) {
  comm::set_wait_timeout(comm_timeout_s);
  const auto backend = comm::parse_collective_backend(collective);
  comm::MpiEnvironment mpi;
  std::optional<comm::Communicator> world;
  try {
    world.emplace(comm::Communicator::world());
    if (backend != comm::CollectiveBackend::kMpi) world->use_collective(backend);
    const int threads = context.share_cores(world->local_size());
    if (world->rank() == 0 && world->size() > 1) {
      std::cerr << "bbpt: " << world->size() << " ranks (" << world->local_size() << " on this node, " << threads
                << " threads each), collective " << collective << "\n";
    }
    body(&*world);
  } catch (const ConfigError& e) {
    comm::abort_job(std::string("error: ") + e.what(), 2);
  } catch (const std::exception& e) {
    comm::abort_job(std::string("error: ") + e.what(), 1);
  }
}

void add_run_command(CLI::App& app, CliContext& context) {
  auto options = std::make_shared<RunCommandOptions>();
  std::string methods;
  for (const auto& m : run::method_names()) methods += (methods.empty() ? "" : ", ") + m;
  auto* cmd = app.add_subcommand(
      "run",
      "Run one trial of a prompt-tuning method (" + methods +
          ") and write DIR/{config.json, few_shot.json, metrics.jsonl, checkpoint.bin, result.json}. "
          "An interrupted run resumes from its checkpoint and continues bit for bit. "
          "spsa-gc is BlackVIP's optimizer applied to the text prompt: BlackVIP's visual coordinator needs a "
          "pretrained MAE encoder, which is not available here.");
  cmd->add_option("--config", options->config_path, "Method config, e.g. configs/methods/zip.yaml")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--dataset", options->dataset, "Dataset name (fmnist, mnist, cifar10, coop:<Name>, ...)")
      ->required();
  cmd->add_option("--seed", options->seed, "Trial seed (few-shot sample, prompt init, optimizer)")
      ->capture_default_str();
  cmd->add_option("--shots", options->shots, "Training images per class")->capture_default_str();
  cmd->add_option("--set", options->overrides, "Override a config key: --set budget=1000 (repeatable)");
  cmd->add_option("--out", options->out_dir, "Run directory")->required();
  cmd->add_option("--model", options->model_path, "CLIP checkpoint (default: the embedded default model)");
  cmd->add_option("--progress-every", options->progress_every, "Progress line every N steps (0: quiet)")
      ->capture_default_str();
  cmd->add_flag("--print-config", options->print_config, "Print the resolved config and exit");
  cmd->add_option("--comm-timeout", options->comm_timeout_s,
                  "Under mpirun/srun: seconds a rank may wait for another before the job ends")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--collective", options->collective,
                  "Under mpirun/srun: backend of the reductions across ranks (mpi, or nccl with one GPU per rank)")
      ->capture_default_str()
      ->check(CLI::IsMember({"mpi", "nccl"}));
  cmd->callback([options, &context]() {
    context.apply_runtime_settings();
    run_run(*options, context);
  });
}

}  // namespace bbpt::cli
