// SPDX-License-Identifier: MIT
// `bbpt sweep plan|run|resume|status|merge|task`: sweeps of trials (sweep/grid.h, sweep/store.h)
// on the local, mpi or slurm executor.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <variant>

#include "bbpt/comm/communicator.h"
#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/stop_signal.h"
#include "bbpt/sweep/executor.h"
#include "bbpt/sweep/local_executor.h"
#include "bbpt/sweep/packed_executor.h"
#include "bbpt/sweep/slurm_executor.h"
#include "bbpt/sweep/trial_task.h"
#include "cli_context.h"
#include "llm_inputs.h"
#include "trial_spec.h"

namespace bbpt::cli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

struct ExecutorOptions {
  std::string executor;  // local | mpi | slurm ("" on resume: the one the sweep last ran with)
  std::string model;     // run: --model, replacing the sweep file's model: ("" keeps it)
  int jobs = 1;
  bool retry_failed = false;
  bool dry_run = false;
  sweep::PackedOptions packed;
  MpiOptions mpi;
  sweep::SlurmOptions slurm;
  // Flags given on the command line win over executors: in the sweep file.
  std::map<std::string, CLI::Option*> flags;
  bool given(const std::string& name) const {
    const auto it = flags.find(name);
    return it != flags.end() && it->second->count() > 0;
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

/// `base` (from the sweep file or executor.json) with the Slurm options given as flags in their
/// place.
sweep::SlurmOptions with_given_slurm_flags(sweep::SlurmOptions base, const ExecutorOptions& o) {
  for (const auto& f : sweep::slurm_fields()) {
    if (!f.flag || !o.given(slurm_flag(f))) continue;
    std::visit([&](auto member) { base.*member = o.slurm.*member; }, f.member);
  }
  return base;
}

/// Fills the executor options from the sweep file's executors: where no flag was given.
void apply_sweep_defaults(const sweep::Sweep& s, ExecutorOptions& o) {
  o.slurm = with_given_slurm_flags(sweep::slurm_options_from(s.executors, s.executor_origins), o);
  if (o.slurm.job_name.empty()) o.slurm.job_name = "bbpt-" + s.name;
  const auto read_int = [&](const char* executor, const char* key, int& into) {
    if (!s.executors.contains(executor) || !s.executors[executor].contains(key)) return;
    const auto& v = s.executors[executor][key];
    const std::string at = s.executor_origins.count(std::string(executor) + "." + key)
                               ? s.executor_origins.at(std::string(executor) + "." + key)
                               : s.file;
    BBPT_CHECK(v.is_number_integer() && v.get<int64_t>() >= 1, ConfigError,
               at << ": executors." << executor << "." << key << ": expected an integer >= 1, got "
                  << v.dump());
    into = static_cast<int>(v.get<int64_t>());
  };
  for (const auto& [executor, options] : s.executors.items()) {
    for (const auto& [key, value] : options.items()) {
      const std::string at = s.executor_origins.count(executor + "." + key)
                                 ? s.executor_origins.at(executor + "." + key)
                                 : s.file;
      BBPT_CHECK(executor == "slurm" || (executor == "local" && key == "jobs") ||
                     (executor == "mpi" && key == "ranks_per_trial"),
                 ConfigError,
                 at << ": executors." << executor << "." << key
                    << ": unknown key (local: jobs; mpi: ranks_per_trial)");
    }
  }
  if (!o.given("--jobs")) read_int("local", "jobs", o.jobs);
  if (!o.given("--ranks-per-trial")) read_int("mpi", "ranks_per_trial", o.packed.ranks_per_trial);
}

void print_plan(const sweep::Sweep& s, std::ostream& out) {
  size_t method_width = 8, dataset_width = 9;  // columns as wide as their longest entry
  for (const auto& t : s.trials) {
    method_width = std::max(method_width, t.method.size() + 2);
    dataset_width = std::max(dataset_width, t.dataset.size() + 2);
  }
  const auto m_w = static_cast<int>(method_width), d_w = static_cast<int>(dataset_width);
  out << std::left << std::setw(6) << "#" << std::setw(18) << "id" << std::setw(m_w) << "method"
      << std::setw(d_w) << "dataset" << std::setw(6) << "seed"
      << "overrides\n";
  std::map<std::string, int> per_method, per_dataset;
  for (const auto& t : s.trials) {
    Json shown = t.overrides;
    for (const char* k : {"dataset", "seed"}) shown.erase(k);
    out << std::setw(6) << t.index << std::setw(18) << t.id << std::setw(m_w) << t.method
        << std::setw(d_w) << t.dataset << std::setw(6) << t.seed
        << (shown.empty() ? "" : shown.dump()) << "\n";
    ++per_method[t.method];
    ++per_dataset[t.dataset];
  }
  out << s.trials.size() << " trials;";
  for (const auto& [m, n] : per_method) out << " " << m << " " << n;
  out << ";";
  for (const auto& [d, n] : per_dataset) out << " " << d << " " << n;
  out << "\n";
}

/// DIR/executor.json: the executor and the resolved options of the last run, which `resume` uses
/// (flags given to resume still win).
void save_executor_settings(const sweep::SweepStore& store,
                            const std::string& executor,
                            const ExecutorOptions& o) {
  if (o.dry_run) return;
  Json j;
  j["executor"] = executor;
  j["jobs"] = o.jobs;
  j["ranks_per_trial"] = o.packed.ranks_per_trial;
  j["slurm"] = sweep::to_json(o.slurm);
  core::write_file_atomic(store.dir() + "/executor.json", j.dump(2) + "\n");
}

/// For resume: the executor and options saved by the last run, where no flag says otherwise.
std::string load_executor_settings(const std::string& dir, ExecutorOptions& o) {
  const std::string path = dir + "/executor.json";
  if (!core::is_regular_file(path)) return o.executor.empty() ? "local" : o.executor;
  const auto j = Json::parse(core::read_file(path));
  const std::string saved = j.value("executor", "local");
  if (!o.given("--jobs")) o.jobs = j.value("jobs", o.jobs);
  if (!o.given("--ranks-per-trial"))
    o.packed.ranks_per_trial = j.value("ranks_per_trial", o.packed.ranks_per_trial);
  if (j.contains("slurm"))
    o.slurm = with_given_slurm_flags(sweep::slurm_options_from(Json{{"slurm", j["slurm"]}}, {}), o);
  return o.executor.empty() ? saved : o.executor;
}

void report(const sweep::ExecutorSummary& summary,
            const sweep::SweepStore& store,
            CliContext& context) {
  std::cout << store.dir() << ": " << sweep::describe(summary) << "\n";
  context.exit_code = sweep::exit_status(summary);
}

void run_on_slurm(const sweep::SweepStore& store,
                  const std::vector<sweep::PlannedTrial>& plan,
                  const ExecutorOptions& o,
                  const CliContext& context,
                  sweep::ExecutorSummary& summary) {
  const auto queued = sweep::slurm_states(store);
  std::vector<sweep::PlannedTrial> to_run;
  for (auto& t : sweep::trials_to_run(store, plan, o.retry_failed, summary)) {
    if (queued.count(t.id)) {
      ++summary.running_elsewhere;  // queued or running in an array submitted before
    } else {
      to_run.push_back(t);
    }
  }
  if (to_run.empty()) {
    std::cout << store.dir() << ": nothing to submit\n";
    return;
  }
  const auto command = task_command(context, o.slurm.cpus_per_task);
  // Several arrays when one would exceed max_array_size tasks (sites cap MaxArraySize).
  const size_t per_array =
      static_cast<size_t>(o.slurm.max_array_size) * static_cast<size_t>(o.slurm.trials_per_task);
  for (size_t first = 0; first < to_run.size(); first += per_array) {
    const std::vector<sweep::PlannedTrial> part(
        to_run.begin() + static_cast<std::ptrdiff_t>(first),
        to_run.begin() + static_cast<std::ptrdiff_t>(std::min(first + per_array, to_run.size())));
    auto array = sweep::write_array(store, part, o.slurm, command);
    if (o.dry_run) {
      std::cout << core::read_file(array.script_path) << "\n# sbatch --test-only:\n";
      std::string answer;
      try {
        answer = sweep::test_only(array);  // a refusal ends the command with sbatch's message
      } catch (...) {
        fs::remove(array.script_path);
        fs::remove(array.list_path);
        throw;
      }
      std::cout << answer;
      fs::remove(array.script_path);
      fs::remove(array.list_path);
      continue;
    }
    sweep::submit(store, array, o.slurm, command);
    summary.submitted += static_cast<int64_t>(part.size());
    std::cout << "submitted array job " << array.job_id << " (" << array.tasks << " tasks, "
              << part.size() << " trials)"
              << (array.merge_job_id.empty() ? "" : ", merge job " + array.merge_job_id)
              << "; script " << array.script_path << "\n";
  }
  if (!o.dry_run) std::cout << "follow it with: bbpt sweep status " << store.dir() << "\n";
}

void run_on_mpi(const std::string& file,
                const std::string& dir_flag,
                const ExecutorOptions& o,
                CliContext& context) {
  with_mpi_world(context, o.mpi, [&](comm::Communicator* world) {
    std::unique_ptr<sweep::SweepStore> store;  // rank 0's: it plans and records
    std::vector<sweep::PlannedTrial> plan;
    ExecutorOptions options = o;
    if (world->rank() == 0) {
      std::string dir = dir_flag;
      if (!file.empty()) {
        const auto s = sweep::load_sweep(file, plan_options(context, o.model));
        if (dir.empty()) dir = default_dir(s);
        apply_sweep_defaults(s, options);
        sweep::SweepStore(dir).write_plan(s);
      }
      if (file.empty()) load_executor_settings(dir, options);
      store = std::make_unique<sweep::SweepStore>(dir);
      save_executor_settings(*store, "mpi", options);
      plan = store->read_manifest();
    }
    auto base = base_trial_spec(context, "");
    base.device = rank_device(base.device, *world);
    const auto summary =
        sweep::run_packed(store.get(), plan, o.retry_failed, base, world, options.packed);
    if (world->rank() == 0) report(summary, *store, context);
  });
}

/// `sweep run FILE` (plan, then run) and `sweep resume DIR` (run the last plan).
void run_sweep(const std::string& file,
               const std::string& dir_flag,
               ExecutorOptions o,
               CliContext& context) {
  if (o.executor == "mpi" || (o.executor.empty() && context.env.mpi_launched)) {
    BBPT_CHECK(context.env.mpi_launched, ConfigError,
               "--executor mpi runs under an MPI launcher: mpirun -np N bbpt sweep run ... "
               "--executor mpi (or "
               "srun --mpi=pmix in an allocation); rank 0 schedules, the others run trials");
    run_on_mpi(file, dir_flag, o, context);
    return;
  }
  std::string dir = dir_flag;
  if (!file.empty()) {
    const auto s = sweep::load_sweep(file, plan_options(context, o.model));
    if (dir.empty()) dir = default_dir(s);
    apply_sweep_defaults(s, o);
    if (!o.dry_run) sweep::SweepStore(dir).write_plan(s);
    if (o.dry_run) {
      print_plan(s, std::cout);
      if (o.executor != "slurm") return;
      sweep::SweepStore store(dir);
      sweep::ExecutorSummary summary;
      run_on_slurm(store, s.trials, o, context, summary);
      return;
    }
  }
  const sweep::SweepStore store(dir);
  // run FILE: the executor asked for (local by default); resume: the last run's, with its options.
  const std::string executor =
      file.empty() ? load_executor_settings(dir, o) : (o.executor.empty() ? "local" : o.executor);
  BBPT_CHECK(executor == "local" || executor == "slurm", ConfigError,
             dir << " last ran on the " << executor
                 << " executor: resume it under the MPI launcher (mpirun -np N bbpt "
                 << "sweep resume " << dir << "), or pass --executor local|slurm");
  save_executor_settings(store, executor, o);
  const auto plan = store.read_manifest();
  sweep::ExecutorSummary summary;
  if (executor == "slurm") {
    run_on_slurm(store, plan, o, context, summary);
  } else {
    const auto to_run = sweep::trials_to_run(store, plan, o.retry_failed, summary);
    sweep::LocalOptions local;
    local.jobs = o.jobs;
    const int cores = static_cast<int>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
    const int threads =
        context.global.num_threads > 0 ? context.global.num_threads : std::max(1, cores / o.jobs);
    local.task_command = task_command(context, threads);
    sweep::run_local(store, to_run, local, summary);
  }
  report(summary, store, context);
}

void print_status(const sweep::SweepStore& store, bool merge) {
  const auto plan = store.read_manifest();
  std::map<std::string, std::string> queued;
  try {
    queued = sweep::slurm_states(store);
  } catch (const std::exception& e) {
    std::cerr << "bbpt sweep status: " << e.what() << "\n";
  }
  // (method, dataset) -> state -> count
  std::map<std::pair<std::string, std::string>, std::map<std::string, int>> table;
  std::map<std::string, int> totals;
  std::vector<std::string> failures;
  for (const auto& t : plan) {
    const auto s = store.status(t.id);
    std::string state = sweep::to_string(s.state);
    if (s.state != sweep::TrialState::kDone && s.state != sweep::TrialState::kRunning &&
        queued.count(t.id)) {
      state = queued.at(t.id) == "RUNNING" ? "running" : "queued";
    }
    ++table[{t.method, t.dataset}][state];
    ++totals[state];
    if (s.state == sweep::TrialState::kFailed)
      failures.push_back(t.id + " " + t.method + " " + t.dataset + " seed " +
                         std::to_string(t.seed) + ": " + s.reason);
  }
  const std::vector<std::string> states = {"done",        "running", "queued",
                                           "interrupted", "failed",  "pending"};
  std::cout << std::left << std::setw(16) << "method" << std::setw(12) << "dataset";
  for (const auto& st : states) std::cout << std::setw(12) << st;
  std::cout << "\n";
  for (const auto& [key, counts] : table) {
    std::cout << std::setw(16) << key.first << std::setw(12) << key.second;
    for (const auto& st : states)
      std::cout << std::setw(12) << (counts.count(st) ? counts.at(st) : 0);
    std::cout << "\n";
  }
  std::cout << std::setw(28) << "all";
  for (const auto& st : states) std::cout << std::setw(12) << totals[st];
  std::cout << "\n";
  for (const auto& f : failures) std::cout << "failed: " << f << "\n";
  if (merge) {
    const auto m = store.merge();
    std::cout << "merged " << m.trials << " trial directories into " << store.dir()
              << "/results.{sqlite,csv} (" << m.updated << " rows changed)\n";
  }
}

/// `sweep task`: trials of the store in this process, one after another (what a local trial process
/// and a Slurm array task run). Exit 75 when a stop request checkpointed a trial; under Slurm a
/// USR2 warning also requeues the task.
void run_tasks(const std::string& dir,
               std::vector<std::string> ids,
               const std::string& list,
               int64_t index,
               int64_t per_task,
               const MpiOptions& mpi,
               CliContext& context) {
  const sweep::SweepStore store(dir);
  if (!list.empty()) {
    std::vector<std::string> all;
    std::istringstream lines(core::read_file(list));
    for (std::string id; std::getline(lines, id);) {
      if (!id.empty()) all.push_back(id);
    }
    BBPT_CHECK(index >= 0 && index * per_task < static_cast<int64_t>(all.size()), ConfigError,
               "--index " << index << " x --per-task " << per_task << " is past the " << all.size()
                          << " trials of " << list);
    for (int64_t i = index * per_task; i < std::min<int64_t>((index + 1) * per_task, all.size());
         ++i) {
      ids.push_back(all[static_cast<size_t>(i)]);
    }
  }
  std::map<std::string, sweep::PlannedTrial> plan;
  for (auto& t : store.read_manifest()) plan.emplace(t.id, std::move(t));
  // Only a Slurm array task (--list) requeues itself: a `sweep run` inside an allocation must not.
  const bool requeue = !list.empty() && context.env.slurm_job.find('_') != std::string::npos;
  const auto body = [&](comm::Communicator* world) {
    auto base = base_trial_spec(context, "");
    if (world) base.device = rank_device(base.device, *world);
    const bool leader = world == nullptr || world->rank() == 0;
    const bool distributed = world != nullptr && world->size() > 1;
    bool stopped = false, failed = false;
    for (const auto& id : ids) {
      BBPT_CHECK(plan.count(id), ConfigError,
                 id << ": not a trial of the plan in " << dir << "/manifest.jsonl");
      // Done before a requeue: skip. A distributed trial decides that in run_trial instead, on the
      // leader, so that every rank takes the same path.
      if (!distributed && store.status(id).state == sweep::TrialState::kDone) continue;
      sweep::TaskOptions task;
      task.group = distributed ? world : nullptr;
      task.log_to_trial_dir = leader;
      const auto outcome = sweep::run_planned_trial(store, plan.at(id), base, task);
      if (leader)
        std::cerr << "bbpt sweep task: " << id << ": " << sweep::to_string(outcome.status)
                  << (outcome.reason.empty() ? "" : ": " + outcome.reason) << "\n";
      failed = failed || outcome.status == sweep::OutcomeStatus::kFailed;
      std::vector<int64_t> stop = {
          leader && (outcome.status == sweep::OutcomeStatus::kStopped || core::stop_requested())
              ? 1
              : 0};
      if (distributed) world->broadcast(stop, 0);  // the leader's decision, for every rank
      if (stop[0] != 0) {
        stopped = true;
        break;
      }
    }
    // An array task warned of its end puts itself back in the queue; the requeued task skips what
    // is done and resumes the checkpointed trial.
    if (stopped && leader && requeue && core::preemption_warning_received()) {
      const auto answer = sweep::requeue(context.env.slurm_job);
      std::cerr << "bbpt sweep task: requeue " << context.env.slurm_job
                << (answer.empty() ? ": done" : ": " + answer) << "\n";
    }
    context.exit_code = stopped ? 75 : failed ? 1 : 0;
  };
  if (context.env.mpi_launched) {
    with_mpi_world(context, mpi, body);
  } else {
    body(nullptr);
  }
}

void add_executor_options(CLI::App& cmd, ExecutorOptions& o) {
  cmd.add_option(
         "--executor", o.executor,
         "local (trial processes here), mpi (under mpirun/srun: packed), slurm (job arrays)")
      ->check(CLI::IsMember({"local", "mpi", "slurm"}));
  o.flags["--jobs"] =
      cmd.add_option("--jobs,-j", o.jobs, "local: trials at a time")->check(CLI::PositiveNumber);
  cmd.add_flag("--retry-failed", o.retry_failed, "Run again the trials that failed");
  cmd.add_flag("--dry-run", o.dry_run,
               "Print the plan (slurm: the script and sbatch --test-only's answer); run nothing");
  o.flags["--ranks-per-trial"] =
      cmd.add_option("--ranks-per-trial", o.packed.ranks_per_trial, "mpi: ranks per trial")
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
      option = cmd.add_option(flag, o.slurm.**text, help);
    } else if (const auto* count = std::get_if<int sweep::SlurmOptions::*>(&f.member)) {
      option = cmd.add_option(flag, o.slurm.**count, help)
                   ->check(CLI::Range(f.minimum, std::numeric_limits<int>::max()));
    }
    BBPT_ASSERT(option != nullptr, "a Slurm flag of a kind the CLI cannot bind: " << f.key);
    o.flags[flag] = option;
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
    print_plan(sweep::load_sweep(plan_args->file, plan_options(context, plan_args->model)),
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
  status->callback(
      [status_dir, no_merge]() { print_status(sweep::SweepStore(*status_dir), !*no_merge); });

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
  task->add_option("--per-task", task_args->per_task, "K")
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
