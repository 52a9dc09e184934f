// SPDX-License-Identifier: MIT
// The Slurm executor: the trials to run become one job array. DIR/slurm/array-<n>.sbatch (the
// script, kept with the sweep) runs `bbpt sweep task DIR --list DIR/slurm/array-<n>.trials
// --index $SLURM_ARRAY_TASK_ID --per-task K`: task i runs trials i*K .. i*K+K-1 of the list, one
// after another, skipping those already done. The script `exec`s bbpt, so the preemption warning
// (--signal=B:USR2@S, or `scancel --signal=USR2 --batch`) reaches bbpt itself: the trial
// checkpoints at the end of its step and bbpt requeues the task (`scontrol requeue`), which later
// resumes bit for bit. SIGTERM checkpoints too, without requeueing.
//
// Status never needs accounting (sacct): it comes from the store and from one `squeue` call over
// the recorded submissions (DIR/slurm/submissions.jsonl).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "bbpt/sweep/executor.h"

namespace bbpt::sweep {

struct SlurmOptions {
  std::string job_name;   // default: bbpt-<sweep name>
  std::string partition;  // "" = the cluster's default
  std::string account;
  std::string qos;
  std::string time = "01:00:00";  // per array task
  std::string mem;                // e.g. 16G; "" = the partition's default
  int ntasks = 1;                 // ranks per trial; > 1 launches them with srun --mpi=pmix
  int cpus_per_task = 1;
  int gpus_per_task = 0;
  int throttle = 0;  // at most this many array tasks at once (--array=...%throttle); 0: no cap
  int trials_per_task =
      1;  // trials one array task runs in turn (short trials: fewer, longer tasks)
  int max_array_size =
      1000;  // tasks per array (Slurm's MaxArraySize is 1001 by default): more go in several arrays
  std::string signal = "USR2";
  int signal_seconds = 120;  // warning before the time limit (Slurm may send it up to 60 s early)
  bool merge_job = true;     // a dependent job that merges results when the array ends
  std::vector<std::string> extra;  // lines added to the script as they are (#SBATCH ... or shell)
};

/// One field of SlurmOptions: its key under executors: slurm: in a sweep file, what it takes, its
/// member, and whether `bbpt sweep run/resume` also takes it as the flag --<key, '_' as '-'>.
/// Parsing, validation, to_json, the command-line flags and "flags win over the sweep file" all
/// walk this one table (slurm_fields()), so a new option is one line in it.
struct SlurmField {
  enum class Kind {
    kText,    // a string (numbers written as they are)
    kCount,   // an integer >= minimum
    kSignal,  // USR2 (checkpoint and requeue) or TERM (checkpoint)
    kSwitch,  // true or false
    kLines,   // a list of lines
  };
  const char* key;
  Kind kind;
  int minimum;  // kCount
  bool flag;
  const char* help;
  std::variant<std::string SlurmOptions::*,
               int SlurmOptions::*,
               bool SlurmOptions::*,
               std::vector<std::string> SlurmOptions::*>
      member;
};
const std::vector<SlurmField>& slurm_fields();

/// The options written under executors: slurm: in a sweep file. Throws ConfigError naming the file
/// and line of an unknown key or a bad value.
SlurmOptions slurm_options_from(const nlohmann::json& executors,
                                const std::map<std::string, std::string>& origins);

/// The options as the sweep file's executors: slurm: mapping (what slurm_options_from reads back).
nlohmann::json to_json(const SlurmOptions& options);

struct ArraySubmission {
  std::string script_path;
  std::string list_path;
  int tasks = 0;
  std::string job_id;        // after submit()
  std::string merge_job_id;  // after submit(), when options.merge_job
};

/// Writes the next DIR/slurm/array-<n>.{trials,sbatch} for `to_run`. `task_command` is bbpt with
/// its global options (absolute paths).
ArraySubmission write_array(const SweepStore& store,
                            const std::vector<PlannedTrial>& to_run,
                            const SlurmOptions& options,
                            const std::vector<std::string>& task_command);

/// The script write_array writes (also what --dry-run prints).
std::string render_array_script(const SweepStore& store,
                                const std::string& list_path,
                                int tasks,
                                const SlurmOptions& options,
                                const std::vector<std::string>& task_command);

/// sbatch --parsable (and the merge job); records the submission. Throws Error with sbatch's
/// answer when it refuses.
void submit(const SweepStore& store,
            ArraySubmission& submission,
            const SlurmOptions& options,
            const std::vector<std::string>& task_command);

/// `sbatch --test-only` on the script: Slurm's answer (where and when it would start). Throws
/// Error with that answer (on one line) when sbatch refuses the script.
std::string test_only(const ArraySubmission& submission);

/// Trial id -> Slurm state (PENDING, RUNNING, REQUEUED, ...) of the trials whose array task is
/// still known to squeue; empty when there were no submissions. One squeue call.
std::map<std::string, std::string> slurm_states(const SweepStore& store);

/// The Slurm executor: submits the trials of `plan` that need a run (trials_to_run with
/// `retry_failed`) and are not queued from an earlier submission, in arrays of at most
/// max_array_size tasks. `dry_run`: writes each script and sbatch --test-only's answer to `out`
/// and submits nothing. Adds the counts to `summary`; says what it submitted on `out`.
void run_slurm(const SweepStore& store,
               const std::vector<PlannedTrial>& plan,
               const SlurmOptions& options,
               const std::vector<std::string>& task_command,
               bool retry_failed,
               bool dry_run,
               ExecutorSummary& summary,
               std::ostream& out);

/// In an array task after a stop request: `scontrol requeue <job>` so the task runs again.
/// Returns scontrol's answer (empty on success).
std::string requeue(const std::string& job);

}  // namespace bbpt::sweep
