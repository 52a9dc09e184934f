// SPDX-License-Identifier: MIT
#include "trial_spec.h"

#include <iostream>
#include <optional>

#include "bbpt/comm/communicator.h"
#include "bbpt/comm/job.h"
#include "bbpt/comm/mpi_environment.h"
#include "bbpt/core/error.h"
#include "bbpt/model/cpu_threads.h"
#include "llm_inputs.h"

namespace bbpt::cli {

run::TrialSpec base_trial_spec(const CliContext& context, const std::string& model_path) {
  run::TrialSpec trial;
  trial.model_path =
      model_path.empty() ? context.cache_root() + "/models/bbpt-clip-default.pt" : model_path;
  trial.device = context.global.device;
  trial.data = context.data_options();
  trial.feature_cache_dir = context.cache_root() + "/features";
  trial.llm_cache_dir = context.cache_root() + "/llm";
  trial.llm_base_url = getenv_or_empty("BBPT_LLM_BASE_URL");
  trial.vision_base_url = getenv_or_empty("BBPT_VISION_BASE_URL");
  trial.vocab_path = assets::locate_asset(assets::kClipVocabAsset, context.asset_options());
  return trial;
}

sweep::PlanOptions plan_options(const CliContext& context, const std::string& model) {
  sweep::PlanOptions o;
  o.model_override = model;
  o.configs_dir = context.data_options().configs_dir;
  o.default_model = base_trial_spec(context, "").model_path;
  o.resolve_inputs = [](nlohmann::json& config) { resolve_outside_inputs(config); };
  return o;
}

std::string rank_device(const std::string& device, const comm::Communicator& world) {
  if (device != "cuda") return device;
  const int gpus = model::cuda_device_count();
  return gpus > 0 ? "cuda:" + std::to_string(world.local_rank() % gpus) : device;
}

void add_mpi_options(CLI::App& command, MpiOptions& options) {
  command
      .add_option("--comm-timeout", options.comm_timeout_s,
                  "Under mpirun/srun: seconds a rank may wait for another before the job ends")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command
      .add_option("--collective", options.collective,
                  "Under mpirun/srun: backend of the reductions across a trial's ranks (mpi, or "
                  "nccl with one GPU "
                  "per rank)")
      ->capture_default_str()
      ->check(CLI::IsMember({"mpi", "nccl"}));
}

void with_mpi_world(const CliContext& context,
                    const MpiOptions& options,
                    const std::function<void(comm::Communicator*)>& body) {
  comm::set_wait_timeout(options.comm_timeout_s);
  const auto backend = comm::parse_collective_backend(options.collective);
  comm::MpiEnvironment mpi;
  std::optional<comm::Communicator> world;
  try {
    world.emplace(comm::Communicator::world());
    if (backend != comm::CollectiveBackend::kMpi) world->use_collective(backend);
    const int threads = context.share_cores(world->local_size());
    if (world->rank() == 0 && world->size() > 1) {
      std::cerr << "bbpt: " << world->size() << " ranks (" << world->local_size()
                << " on this node, " << threads << " threads each), collective "
                << options.collective << "\n";
    }
    body(&*world);
  } catch (const ConfigError& e) {
    comm::abort_job(std::string("error: ") + e.what(), 2);
  } catch (const std::exception& e) {
    comm::abort_job(std::string("error: ") + e.what(), 1);
  }
}

}  // namespace bbpt::cli
