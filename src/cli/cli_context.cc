// SPDX-License-Identifier: MIT
// Implements the shared CLI context: environment, asset lookup options, runtime settings.
#include "cli_context.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "bbpt/core/cache_dir.h"
#include "bbpt/core/error.h"
#include "bbpt/core/log.h"
#include "bbpt/model/cpu_threads.h"

namespace bbpt::cli {

std::string getenv_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

Environment read_environment() {
  Environment env;
  env.bbpt_assets = getenv_or_empty("BBPT_ASSETS");
  env.default_cache = core::default_cache_dir();
  env.checkout_assets = std::filesystem::path(BBPT_SOURCE_DIR)
                            .parent_path()
                            .append("shared")
                            .append("assets")
                            .string();
  // Open MPI (mpirun), PMIx (Open MPI 5, srun --mpi=pmix), PMI-1/2 (MPICH, Intel MPI, srun
  // --mpi=pmi2).
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (!getenv_or_empty(name).empty()) env.mpi_launched = true;
  }
  // A Slurm job (or array task): what `scontrol requeue` needs to put it back in the queue.
  const std::string array_job = getenv_or_empty("SLURM_ARRAY_JOB_ID");
  const std::string array_task = getenv_or_empty("SLURM_ARRAY_TASK_ID");
  env.slurm_job = !array_job.empty() && !array_task.empty() ? array_job + "_" + array_task
                                                            : getenv_or_empty("SLURM_JOB_ID");
  return env;
}

assets::AssetOptions CliContext::asset_options() const {
  assets::AssetOptions options;
  options.assets_dir = global.assets_dir;
  options.env_assets_dir = env.bbpt_assets;
  options.checkout_assets_dir = env.checkout_assets;
  options.cache_dir = cache_root() + "/assets";
  return options;
}

data::DataOptions CliContext::data_options() const {
  data::DataOptions options;
  options.data_dir = global.data_dir.empty() ? cache_root() + "/data" : global.data_dir;
  options.configs_dir =
      global.configs_dir.empty() ? std::string(BBPT_SOURCE_DIR "/configs") : global.configs_dir;
  return options;
}

int CliContext::share_cores(int ranks_on_node) const {
  if (global.num_threads > 0 || ranks_on_node <= 1) return model::cpu_threads();
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = std::max(1, cores / ranks_on_node);
  model::set_cpu_threads(threads);
  return threads;
}

void CliContext::apply_runtime_settings() const {
  if (global.num_threads > 0) model::set_cpu_threads(global.num_threads);
  const std::string& level = global.log_level;
  BBPT_CHECK(
      level == "debug" || level == "info" || level == "warning" || level == "error", ConfigError,
      "--log-level: '" << level << "' is not a level (expected debug, info, warning or error)");
  core::set_log_level(level == "debug"     ? core::LogLevel::kDebug
                      : level == "info"    ? core::LogLevel::kInfo
                      : level == "warning" ? core::LogLevel::kWarn
                                           : core::LogLevel::kError);
}

CLI::Validator seed_validator() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        if (text.find('-') == std::string::npos) return "";
        return "seed = " + text +
               ": expected an integer >= 0 (a negative seed would wrap to 2^64 - 1)";
      },
      "SEED");
}

}  // namespace bbpt::cli
