// SPDX-License-Identifier: MIT
// What every bbpt subcommand shares: the global options (bound once to CLI flags), the environment
// read once at start-up, and the exit status a command reports.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "bbpt/assets/asset_locator.h"
#include "bbpt/data/dataset_registry.h"

namespace bbpt::cli {

struct GlobalOptions {
  /// cpu, cuda or cuda:N.
  std::string device = "cpu";
  /// Folder holding bpe_simple_vocab_16e6.txt.gz and the other assets (--assets).
  std::string assets_dir;
  /// Root of bbpt's caches (features, downloads); default $XDG_CACHE_HOME/bbpt or ~/.cache/bbpt.
  std::string cache_dir;
  /// Intra-op CPU threads for libtorch; 0 keeps libtorch's default (all cores).
  int num_threads = 0;
  /// debug, info, warning or error.
  std::string log_level = "info";
  /// Where `bbpt data prepare` puts the datasets (--data-dir); default <cache-dir>/data.
  std::string data_dir;
  /// The configs/ folder with configs/datasets/*.yaml (--configs); default the source checkout's.
  std::string configs_dir;
};

/// Environment values read once in main() (library code never reads the environment).
struct Environment {
  std::string bbpt_assets;      // $BBPT_ASSETS
  std::string default_cache;    // $XDG_CACHE_HOME/bbpt or $HOME/.cache/bbpt
  std::string checkout_assets;  // ../shared/assets beside the source checkout
  /// An MPI launcher started this process (mpirun/mpiexec of Open MPI, MPICH or Intel MPI, srun
  /// --mpi=pmix/pmi2): `bbpt run` then joins the job's ranks.
  bool mpi_launched = false;
  /// In a Slurm job: its id ("<array job>_<task>" for an array task), which `bbpt sweep task`
  /// requeues after a preemption warning; "" elsewhere.
  std::string slurm_job;
};

struct CliContext {
  GlobalOptions global;
  Environment env;
  /// Set by a command that ran but whose result is a failure (e.g. model check over tolerance).
  int exit_code = 0;

  std::string cache_root() const {
    return global.cache_dir.empty() ? env.default_cache : global.cache_dir;
  }
  assets::AssetOptions asset_options() const;
  /// data_dir and configs_dir with their defaults applied, for data::open_dataset and friends.
  data::DataOptions data_options() const;
  /// Applies num_threads and log_level; called at the start of every command.
  void apply_runtime_settings() const;
  /// With --threads 0 and `ranks_on_node` > 1 ranks sharing this node's cores: gives each rank an
  /// equal share (at least 1 thread) instead of libtorch's all-cores default. Returns the count.
  int share_cores(int ranks_on_node) const;
};

Environment read_environment();

/// The environment variable's value, "" when it is unset.
std::string getenv_or_empty(const char* name);

/// For an unsigned seed option: refuses a negative value, which CLI11 would wrap to 2^64 - 1.
CLI::Validator seed_validator();

void add_model_commands(CLI::App& app, CliContext& context);
void add_lm_commands(CLI::App& app, CliContext& context);
void add_tokenize_command(CLI::App& app, CliContext& context);
void add_preprocess_command(CLI::App& app, CliContext& context);
void add_features_command(CLI::App& app, CliContext& context);
void add_zeroshot_command(CLI::App& app, CliContext& context);
void add_pretrain_command(CLI::App& app, CliContext& context);
void add_data_command(CLI::App& app, CliContext& context);
void add_run_command(CLI::App& app, CliContext& context);
void add_eval_command(CLI::App& app, CliContext& context);
void add_pack_command(CLI::App& app, CliContext& context);
void add_sweep_command(CLI::App& app, CliContext& context);
void add_report_command(CLI::App& app, CliContext& context);

}  // namespace bbpt::cli
