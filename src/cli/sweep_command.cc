// SPDX-License-Identifier: MIT
// `bbpt sweep plan|run|resume|status|merge|task`: sweeps of trials (sweep/grid.h, sweep/store.h)
// on the local, mpi or slurm executor.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <variant>

#include "bbpt/comm/communicator.h"
#include "bbpt/core/error.h"
#include "bbpt/core/stop_signal.h"
#include "bbpt/sweep/executor.h"
#include "bbpt/sweep/executor_settings.h"
#include "bbpt/sweep/local_executor.h"
#include "bbpt/sweep/packed_executor.h"
#include "bbpt/sweep/slurm_executor.h"
#include "bbpt/sweep/status.h"
#include "bbpt/sweep/trial_task.h"
#include "cli_context.h"
#include "trial_spec.h"

namespace bbpt::cli {
namespace {

namespace fs = std::filesystem;

struct ExecutorOptions {
  sweep::ExecutorSettings settings;  // executor "" on resume: the one the sweep last ran with
  std::string model;  // run: --model, replacing the sweep file's model: ("" keeps it)
  bool retry_failed = false;
  bool dry_run = false;
  sweep::PackedOptions packed;  // silence_limit_s; ranks_per_trial comes from settings
  MpiOptions mpi;
  // The settings' flags by setting name ("jobs", "ranks_per_trial", Slurm keys): given ones win.
  std::map<std::string, CLI::Option*> flags;
  sweep::GivenSettings given() const {
    sweep::GivenSettings names;
    for (const auto& [name, option] : flags) {
      if (option->count() > 0) names.insert(name);
    }
    return names;
  }
};

std::string default_dir(const sweep::Sweep& s) { return "sweeps/" + s.name; }

/// This binary and the global options, for the processes and scripts that run trials.
std::vector<std::string> task_command(const CliContext& context, int threads) {
  std::vector<std::string> argv = {fs::read_symlink("/proc/self/exe").string()};
  const auto& g = context.global;
  argv.insert(argv.end(),
              {"--cache-dir", fs::absolute(context.cache_root()).string(), "--device", g.device,
               "--log-level", g.log_level, "--threads", std::to_string(threads)});
  const auto data = context.data_options();
  if (!data.configs_dir.empty())
    argv.insert(argv.end(), {"--configs", fs::absolute(data.configs_dir).string()});
  if (!data.data_dir.empty())
    argv.insert(argv.end(), {"--data-dir", fs::absolute(data.data_dir).string()});
  if (!g.assets_dir.empty())
    argv.insert(argv.end(), {"--assets", fs::absolute(g.assets_dir).string()});
  return argv;
}

/// The command-line flag of a Slurm option: --<key> with '-' for '_'.
std::string slurm_flag(const sweep::SlurmField& f) {
  std::string flag = std::string("--") + f.key;
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

void report(const sweep::ExecutorSummary& summary,
            const sweep::SweepStore& store,
            CliContext& context) {
  std::cout << store.dir() << ": " << sweep::describe(summary) << "\n";
  context.exit_code = sweep::exit_status(summary);
}

void run_on_mpi(const std::string& file,
                const std::string& dir_flag,
                const ExecutorOptions& o,
                CliContext& context) {
  with_mpi_world(context, o.mpi, [&](comm::Communicator* world) {
    std::unique_ptr<sweep::SweepStore> store;  // rank 0's: it plans and records
    std::vector<sweep::PlannedTrial> plan;
    sweep::PackedOptions packed = o.packed;
    if (world->rank() == 0) {
      sweep::ExecutorSettings settings;
      if (!file.empty()) {
        const auto s = sweep::load_sweep(file, plan_options(context, o.model));
        settings = sweep::settings_for_run(s, o.settings, o.given());
        store = std::make_unique<sweep::SweepStore>(dir_flag.empty() ? default_dir(s) : dir_flag);
        store->write_plan(s);
      } else {
        store = std::make_unique<sweep::SweepStore>(dir_flag);
        settings = sweep::settings_for_resume(*store, o.settings, o.given());
      }
      settings.executor = "mpi";
      sweep::save_settings(*store, settings);
      packed.ranks_per_trial = settings.ranks_per_trial;  // broadcast by run_packed
      plan = store->read_manifest();
    }
    auto base = base_trial_spec(context, "");
    base.device = rank_device(base.device, *world);
    const auto summary = sweep::run_packed(store.get(), plan, o.retry_failed, base, world, packed);
    if (world->rank() == 0) report(summary, *store, context);
  });
}

/// `sweep run FILE` (plan, then run) and `sweep resume DIR` (run the last plan).
void run_sweep(const std::string& file,
               const std::string& dir_flag,
               const ExecutorOptions& o,
               CliContext& context) {
  if (o.settings.executor == "mpi" || (o.settings.executor.empty() && context.env.mpi_launched)) {
    BBPT_CHECK(context.env.mpi_launched, ConfigError,
               "--executor mpi runs under an MPI launcher: mpirun -np N bbpt sweep run ... "
               "--executor mpi (or "
               "srun --mpi=pmix in an allocation); rank 0 schedules, the others run trials");
    run_on_mpi(file, dir_flag, o, context);
    return;
  }
  std::unique_ptr<sweep::SweepStore> store;
  std::vector<sweep::PlannedTrial> plan;
  sweep::ExecutorSettings settings;
  // run FILE: the executor asked for (local by default); resume: the last run's, with its options.
  if (!file.empty()) {
    const auto s = sweep::load_sweep(file, plan_options(context, o.model));
    settings = sweep::settings_for_run(s, o.settings, o.given());
    const std::string dir = dir_flag.empty() ? default_dir(s) : dir_flag;
    if (o.dry_run) {
      sweep::print_plan(s, std::cout);
      if (settings.executor != "slurm") return;
    }
    store = std::make_unique<sweep::SweepStore>(dir);
    if (!o.dry_run) store->write_plan(s);
    plan = s.trials;
  } else {
    store = std::make_unique<sweep::SweepStore>(dir_flag);
    settings = sweep::settings_for_resume(*store, o.settings, o.given());
    plan = store->read_manifest();
  }
  BBPT_CHECK(settings.executor == "local" || settings.executor == "slurm", ConfigError,
             store->dir() << " last ran on the " << settings.executor
                          << " executor: resume it under the MPI launcher (mpirun -np N bbpt "
                          << "sweep resume " << store->dir()
                          << "), or pass --executor local|slurm");
  if (!o.dry_run) sweep::save_settings(*store, settings);
  sweep::ExecutorSummary summary;
  if (settings.executor == "slurm") {
    sweep::run_slurm(*store, plan, settings.slurm,
                     task_command(context, settings.slurm.cpus_per_task), o.retry_failed, o.dry_run,
                     summary, std::cout);
    if (o.dry_run) return;
  } else {
    const auto to_run = sweep::trials_to_run(*store, plan, o.retry_failed, summary);
    sweep::LocalOptions local;
    local.jobs = settings.jobs;
    const int cores = static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
    const int threads = context.global.num_threads > 0 ? context.global.num_threads
                                                       : std::max(1, cores / settings.jobs);
    local.task_command = task_command(context, threads);
    sweep::run_local(*store, to_run, local, summary);
  }
  report(summary, *store, context);
}

/// `sweep task`: trials of the store in this process (what a local trial process and a Slurm array
/// task run). Exit 75 when a stop request checkpointed a trial; under Slurm a USR2 warning also
/// requeues the task.
void run_tasks(const std::string& dir,
               std::vector<std::string> ids,
               const std::string& list,
               int64_t index,
               int64_t per_task,
               const MpiOptions& mpi,
               CliContext& context) {
  const sweep::SweepStore store(dir);
  if (!list.empty()) {
    const auto more = sweep::array_task_ids(list, index, per_task);
    ids.insert(ids.end(), more.begin(), more.end());
  }
  // Only a Slurm array task (--list) requeues itself: a `sweep run` inside an allocation must not.
  const bool array_task = !list.empty() && context.env.slurm_job.find('_') != std::string::npos;
  const auto body = [&](comm::Communicator* world) {
    auto base = base_trial_spec(context, "");
    if (world) base.device = rank_device(base.device, *world);
    context.exit_code =
        sweep::run_trials(store, ids, base, world, array_task ? context.env.slurm_job : "");
  };
  if (context.env.mpi_launched) {
    with_mpi_world(context, mpi, body);
  } else {
    body(nullptr);
  }
}

void add_executor_options(CLI::App& cmd, ExecutorOptions& o) {
  cmd.add_option(
         "--executor", o.settings.executor,
         "local (trial processes here), mpi (under mpirun/srun: packed), slurm (job arrays)")
      ->check(CLI::IsMember({"local", "mpi", "slurm"}));
  o.flags["jobs"] = cmd.add_option("--jobs,-j", o.settings.jobs, "local: trials at a time")
                        ->check(CLI::PositiveNumber);
  cmd.add_flag("--retry-failed", o.retry_failed, "Run again the trials that failed");
  cmd.add_flag("--dry-run", o.dry_run,
               "Print the plan (slurm: the script and sbatch --test-only's answer); run nothing");
  o.flags["ranks_per_trial"] =
      cmd.add_option("--ranks-per-trial", o.settings.ranks_per_trial, "mpi: ranks per trial")
          ->check(CLI::PositiveNumber);
  cmd.add_option("--silence-limit", o.packed.silence_limit_s,
                 "mpi: seconds a busy group may stay silent")
      ->capture_default_str();
  add_mpi_options(cmd, o.mpi);
  // The Slurm flags: the fields of sweep::slurm_fields() that are flags, with their checks.
  for (const auto& f : sweep::slurm_fields()) {
    if (!f.flag) continue;
    const std::string flag = slurm_flag(f), help = std::string("slurm: ") + f.help;
    CLI::Option* option = nullptr;
    if (const auto* text = std::get_if<std::string sweep::SlurmOptions::*>(&f.member)) {
      option = cmd.add_option(flag, o.settings.slurm.**text, help);
    } else if (const auto* count = std::get_if<int sweep::SlurmOptions::*>(&f.member)) {
      option = cmd.add_option(flag, o.settings.slurm.**count, help)
                   ->check(CLI::Range(f.minimum, std::numeric_limits<int>::max()));
    }
    BBPT_ASSERT(option != nullptr, "a Slurm flag of a kind the CLI cannot bind: " << f.key);
    o.flags[f.key] = option;
  }
}

}  // namespace

void add_sweep_command(CLI::App& app, CliContext& context) {
  auto* sweep_cmd = app.add_subcommand(
      "sweep",
      "Grids of trials (jobs/*.yaml): plan, run (local, mpi or slurm), status, resume, merge");
  sweep_cmd->require_subcommand(1);

  struct PlanArgs {
    std::string file, model;
  };
  auto plan_args = std::make_shared<PlanArgs>();
  auto* plan = sweep_cmd->add_subcommand(
      "plan", "Print a sweep file's trials (id, method, dataset, seed, overrides) and counts");
  plan->add_option("file", plan_args->file, "Sweep file")->required()->check(CLI::ExistingFile);
  plan->add_option("--model", plan_args->model,
                   "CLIP checkpoint for every trial (replaces the file's model:)");
  plan->callback([plan_args, &context]() {
    context.apply_runtime_settings();
    sweep::print_plan(sweep::load_sweep(plan_args->file, plan_options(context, plan_args->model)),
                      std::cout);
  });

  struct RunArgs {
    std::string file, dir;
    ExecutorOptions executor;
  };
  auto run_args = std::make_shared<RunArgs>();
  auto* run = sweep_cmd->add_subcommand("run",
                                        "Plan a sweep into DIR (default sweeps/<name>) and run "
                                        "what is not done. Growing the grid and running "
                                        "again runs only the new trials. Exit status 75: stopped "
                                        "by a signal (run again to continue)");
  run->add_option("file", run_args->file, "Sweep file")->required()->check(CLI::ExistingFile);
  run->add_option("--dir", run_args->dir, "Sweep directory (default sweeps/<name>)");
  run->add_option("--model", run_args->executor.model,
                  "CLIP checkpoint for every trial (replaces the file's model:)");
  add_executor_options(*run, run_args->executor);
  run->callback([run_args, &context]() {
    context.apply_runtime_settings();
    core::install_stop_handlers();
    run_sweep(run_args->file, run_args->dir, run_args->executor, context);
  });

  auto resume_args = std::make_shared<RunArgs>();
  auto* resume =
      sweep_cmd->add_subcommand("resume",
                                "Run what is not done of DIR's plan (interrupted trials continue "
                                "from their checkpoints), with the "
                                "executor it last ran on unless --executor says otherwise");
  resume->add_option("dir", resume_args->dir, "Sweep directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  add_executor_options(*resume, resume_args->executor);
  resume->callback([resume_args, &context]() {
    context.apply_runtime_settings();
    core::install_stop_handlers();
    run_sweep("", resume_args->dir, resume_args->executor, context);
  });

  auto status_dir = std::make_shared<std::string>();
  auto no_merge = std::make_shared<bool>(false);
  auto* status = sweep_cmd->add_subcommand("status",
                                           "Done / running / queued / interrupted / failed (with "
                                           "reasons) / pending per method and dataset; "
                                           "merges the results unless --no-merge");
  status->add_option("dir", *status_dir, "Sweep directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  status->add_flag("--no-merge", *no_merge, "Do not update results.sqlite and results.csv");
  status->callback([status_dir, no_merge]() {
    const sweep::SweepStore store(*status_dir);
    sweep::print_status(store, std::cout, std::cerr);
    if (*no_merge) return;
    const auto m = store.merge();
    std::cout << "merged " << m.trials << " trial directories into " << store.dir()
              << "/results.{sqlite,csv,jsonl} (" << m.updated << " rows changed)\n";
  });

  auto merge_dir = std::make_shared<std::string>();
  auto* merge = sweep_cmd->add_subcommand(
      "merge", "Merge the trial directories into results.sqlite and results.csv");
  merge->add_option("dir", *merge_dir, "Sweep directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  merge->callback([merge_dir]() {
    const auto m = sweep::SweepStore(*merge_dir).merge();
    std::cout << "merged " << m.trials << " trials (" << m.updated << " rows changed)\n";
  });

  struct TaskArgs {
    std::string dir, list;
    std::vector<std::string> ids;
    int64_t index = -1, per_task = 1;
    MpiOptions mpi;
  };
  auto task_args = std::make_shared<TaskArgs>();
  auto* task = sweep_cmd->add_subcommand("task",
                                         "Run trials of DIR's plan in this process (what the "
                                         "executors start; exit 75: checkpointed on a signal)");
  task->add_option("dir", task_args->dir, "Sweep directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  task->add_option("--trial", task_args->ids, "Trial ids");
  auto* list = task->add_option("--list", task_args->list, "File of trial ids, one per line")
                   ->check(CLI::ExistingFile);
  task->add_option("--index", task_args->index, "With --list: run trials index*K .. index*K+K-1")
      ->needs(list);
  task->add_option("--per-task", task_args->per_task,
                   "With --list: K, the trials each array task runs")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_mpi_options(*task, task_args->mpi);
  task->callback([task_args, &context]() {
    context.apply_runtime_settings();
    core::install_stop_handlers();
    BBPT_CHECK(!task_args->ids.empty() || !task_args->list.empty(), ConfigError,
               "sweep task: give --trial or --list");
    run_tasks(task_args->dir, task_args->ids, task_args->list,
              std::max<int64_t>(task_args->index, 0), task_args->per_task, task_args->mpi, context);
  });
}

}  // namespace bbpt::cli
