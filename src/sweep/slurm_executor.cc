// SPDX-License-Identifier: MIT
#include "bbpt/sweep/slurm_executor.h"

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <variant>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/utc_time.h"
#include "process.h"

namespace bbpt::sweep {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string slurm_dir(const SweepStore& store) {
  return fs::absolute(store.dir()).lexically_normal().string() + "/slurm";
}

/// The job id in `sbatch --parsable`'s answer ("123" or "123;cluster").
std::string parse_job_id(const std::string& output) {
  std::istringstream lines(output);
  std::string last;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) last = line;
  }
  return last.substr(0, last.find(';'));
}

/// A command's answer on one line (its lines joined with " | "), for a one-line error.
std::string one_line(const std::string& output) {
  std::istringstream lines(output);
  std::string joined;
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    joined += (joined.empty() ? "" : " | ") + line;
  }
  return joined.empty() ? std::string("(no output)") : joined;
}

}  // namespace

const std::vector<SlurmField>& slurm_fields() {
  using K = SlurmField::Kind;
  using O = SlurmOptions;
  static const std::vector<SlurmField> fields = {
      {"job_name", K::kText, 0, false, "job name (default bbpt-<sweep name>)", &O::job_name},
      {"partition", K::kText, 0, true, "partition", &O::partition},
      {"account", K::kText, 0, true, "account", &O::account},
      {"qos", K::kText, 0, true, "quality of service", &O::qos},
      {"time", K::kText, 0, true, "time limit per array task", &O::time},
      {"mem", K::kText, 0, true, "memory per node, e.g. 16G", &O::mem},
      {"ntasks", K::kCount, 1, false, "ranks per trial (srun --mpi=pmix)", &O::ntasks},
      {"cpus_per_task", K::kCount, 1, true, "CPUs per rank (also its thread count)",
       &O::cpus_per_task},
      {"gpus_per_task", K::kCount, 0, true, "GPUs per rank", &O::gpus_per_task},
      {"throttle", K::kCount, 0, true, "array tasks at once (%throttle; 0: no cap)", &O::throttle},
      {"trials_per_task", K::kCount, 1, true, "trials each array task runs in turn",
       &O::trials_per_task},
      {"max_array_size", K::kCount, 1, false, "tasks per array (more go in several arrays)",
       &O::max_array_size},
      {"signal", K::kSignal, 0, false, "preemption warning: USR2 or TERM", &O::signal},
      {"signal_seconds", K::kCount, 1, false, "seconds of warning before the time limit",
       &O::signal_seconds},
      {"merge_job", K::kSwitch, 0, false, "a dependent job that merges the results", &O::merge_job},
      {"extra", K::kLines, 0, false, "lines added to the script as they are", &O::extra},
  };
  return fields;
}

SlurmOptions slurm_options_from(const Json& executors,
                                const std::map<std::string, std::string>& origins) {
  SlurmOptions o;
  if (!executors.contains("slurm")) return o;
  const auto& fields = slurm_fields();
  for (const auto& [key, value] : executors.at("slurm").items()) {
    const auto at =
        origins.count("slurm." + key) ? origins.at("slurm." + key) : std::string("executors.slurm");
    const auto field = std::find_if(fields.begin(), fields.end(),
                                    [&, &key = key](const SlurmField& f) { return key == f.key; });
    if (field == fields.end()) {
      std::string valid;
      for (const auto& f : fields) valid += (valid.empty() ? "" : ", ") + std::string(f.key);
      BBPT_THROW(ConfigError,
                 at << ": executors.slurm." << key << ": unknown key (valid: " << valid << ")");
    }
    const auto need = [&, &key = key, &value = value](bool ok, const std::string& what) {
      BBPT_CHECK(
          ok, ConfigError,
          at << ": executors.slurm." << key << ": expected " << what << ", got " << value.dump());
    };
    const auto text = [&, &value = value]() {
      need(value.is_string() || value.is_number(), "a value");
      return value.is_string() ? value.get<std::string>() : value.dump();
    };
    switch (field->kind) {
      case SlurmField::Kind::kText:
        o.*std::get<std::string SlurmOptions::*>(field->member) = text();
        break;
      case SlurmField::Kind::kSignal: {
        // USR2 checkpoints and requeues, TERM checkpoints; bbpt handles no other (USR1 is NCCL's).
        const std::string signal = text();
        need(signal == "USR2" || signal == "TERM", "USR2 or TERM");
        o.*std::get<std::string SlurmOptions::*>(field->member) = signal;
        break;
      }
      case SlurmField::Kind::kCount:
        need(value.is_number_integer() && value.get<int64_t>() >= field->minimum &&
                 value.get<int64_t>() <= std::numeric_limits<int>::max(),
             "an integer >= " + std::to_string(field->minimum));
        o.*std::get<int SlurmOptions::*>(field->member) = static_cast<int>(value.get<int64_t>());
        break;
      case SlurmField::Kind::kSwitch:
        need(value.is_boolean(), "true or false");
        o.*std::get<bool SlurmOptions::*>(field->member) = value.get<bool>();
        break;
      case SlurmField::Kind::kLines: {
        need(value.is_array(), "a list of lines");
        auto& lines = o.*std::get<std::vector<std::string> SlurmOptions::*>(field->member);
        for (const auto& line : value)
          lines.push_back(line.is_string() ? line.get<std::string>() : line.dump());
        break;
      }
    }
  }
  return o;
}

Json to_json(const SlurmOptions& o) {
  Json j;
  for (const auto& f : slurm_fields()) {
    std::visit([&](auto member) { j[f.key] = o.*member; }, f.member);
  }
  return j;
}

std::string render_array_script(const SweepStore& store,
                                const std::string& list_path,
                                int tasks,
                                const SlurmOptions& o,
                                const std::vector<std::string>& task_command) {
  const std::string dir = fs::absolute(store.dir()).lexically_normal().string();
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# Written by `bbpt sweep run --executor slurm` for the sweep in " << dir << ".\n"
    << "# Array task i runs trials i*" << o.trials_per_task << " .. i*" << o.trials_per_task << "+"
    << o.trials_per_task - 1 << " of " << list_path << ", skipping those already done. On "
    << o.signal << " (sent " << o.signal_seconds << " s before the time limit, or by\n"
    << "# `scancel --signal=" << o.signal
    << " --batch`) bbpt checkpoints and requeues the task; SIGTERM checkpoints.\n";
  s << "#SBATCH --job-name=" << o.job_name << "\n";
  s << "#SBATCH --array=0-" << tasks - 1;
  if (o.throttle > 0) s << "%" << o.throttle;
  s << "\n#SBATCH --output=" << dir << "/slurm/logs/%x_%A_%a.out\n"
    << "#SBATCH --open-mode=append\n"
    << "#SBATCH --signal=B:" << o.signal << "@" << o.signal_seconds << "\n"
    << "#SBATCH --requeue\n"
    << "#SBATCH --ntasks=" << o.ntasks << "\n"
    << "#SBATCH --cpus-per-task=" << o.cpus_per_task << "\n"
    << "#SBATCH --time=" << o.time << "\n";
  if (!o.partition.empty()) s << "#SBATCH --partition=" << o.partition << "\n";
  if (!o.account.empty()) s << "#SBATCH --account=" << o.account << "\n";
  if (!o.qos.empty()) s << "#SBATCH --qos=" << o.qos << "\n";
  if (!o.mem.empty()) s << "#SBATCH --mem=" << o.mem << "\n";
  if (o.gpus_per_task > 0) s << "#SBATCH --gpus-per-task=" << o.gpus_per_task << "\n";
  for (const auto& line : o.extra) {  // #SBATCH lines count only before the first command
    if (line.rfind("#SBATCH", 0) == 0) s << line << "\n";
  }
  for (const auto& line : o.extra) {
    if (line.rfind("#SBATCH", 0) != 0) s << line << "\n";
  }
  // A warning that reaches the batch shell before bbpt has installed its handler would kill the
  // task outright (bash's default for USR1/USR2), not requeue it: `scancel --signal --batch`
  // retries while a task is requeued and can land in the first milliseconds of its restart. Ignored
  // until then; bbpt's handler replaces the ignore after the exec.
  s << "trap '' " << o.signal << "\n";
  s << "echo \"bbpt: array task ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID} on $(hostname), "
       "restart "
       "${SLURM_RESTART_COUNT:-0}, $(date -u +%FT%TZ)\"\n";
  // exec: the batch shell becomes bbpt (or srun, which passes signals on to every rank), so the
  // B: signal reaches the process that can checkpoint.
  s << "exec ";
  // srun does not inherit --cpus-per-task from the allocation in Slurm 22.05 to 23.02: pass it on.
  if (o.ntasks > 1) s << "srun --mpi=pmix --cpus-per-task=\"${SLURM_CPUS_PER_TASK:-1}\" ";
  auto argv = task_command;
  argv.insert(argv.end(), {"sweep", "task", dir, "--list", list_path, "--per-task",
                           std::to_string(o.trials_per_task)});
  s << detail::shell_quote(argv) << " --index \"$SLURM_ARRAY_TASK_ID\"\n";
  return s.str();
}

ArraySubmission write_array(const SweepStore& store,
                            const std::vector<PlannedTrial>& to_run,
                            const SlurmOptions& o,
                            const std::vector<std::string>& task_command) {
  BBPT_CHECK(!to_run.empty(), ConfigError,
             "nothing to submit: every trial is done, running or failed");
  const std::string dir = slurm_dir(store);
  fs::create_directories(dir + "/logs");
  int n = 1;
  while (fs::exists(dir + "/array-" + std::to_string(n) + ".trials")) ++n;
  ArraySubmission a;
  a.list_path = dir + "/array-" + std::to_string(n) + ".trials";
  a.script_path = dir + "/array-" + std::to_string(n) + ".sbatch";
  std::ostringstream ids;
  for (const auto& t : to_run) ids << t.id << "\n";
  a.tasks = static_cast<int>((to_run.size() + static_cast<size_t>(o.trials_per_task) - 1) /
                             static_cast<size_t>(o.trials_per_task));
  core::write_file_atomic(a.list_path, ids.str());
  core::write_file_atomic(a.script_path,
                          render_array_script(store, a.list_path, a.tasks, o, task_command));
  fs::permissions(a.script_path, fs::perms::owner_exec, fs::perm_options::add);
  return a;
}

void submit(const SweepStore& store,
            ArraySubmission& a,
            const SlurmOptions& o,
            const std::vector<std::string>& task_command) {
  const auto array = detail::run_command({"sbatch", "--parsable", a.script_path});
  BBPT_CHECK(
      array.exit_code == 0, Error,
      "sbatch refused "
          << a.script_path << " (exit " << array.exit_code << "): " << one_line(array.output)
          << "; check the executors.slurm options (partition, account, time) of the sweep file");
  a.job_id = parse_job_id(array.output);
  if (o.merge_job) {
    auto merge = task_command;
    merge.insert(merge.end(),
                 {"sweep", "merge", fs::absolute(store.dir()).lexically_normal().string()});
    std::vector<std::string> argv = {"sbatch",
                                     "--parsable",
                                     "--job-name=" + o.job_name + "-merge",
                                     "--dependency=afterany:" + a.job_id,
                                     "--kill-on-invalid-dep=yes",
                                     "--output=" + slurm_dir(store) + "/logs/%x_%j.out",
                                     "--time=00:30:00",
                                     "--ntasks=1",
                                     "--cpus-per-task=1"};
    if (!o.partition.empty()) argv.push_back("--partition=" + o.partition);
    if (!o.account.empty()) argv.push_back("--account=" + o.account);
    if (!o.qos.empty()) argv.push_back("--qos=" + o.qos);
    argv.push_back("--wrap=" + detail::shell_quote(merge));
    const auto merge_job = detail::run_command(argv);
    BBPT_CHECK(merge_job.exit_code == 0, Error,
               "sbatch refused the merge job (the array "
                   << a.job_id << " is submitted): " << merge_job.output);
    a.merge_job_id = parse_job_id(merge_job.output);
  }
  Json line;
  line["job_id"] = a.job_id;
  line["merge_job_id"] = a.merge_job_id;
  line["tasks"] = a.tasks;
  line["trials_per_task"] = o.trials_per_task;
  line["list"] = a.list_path;
  line["script"] = a.script_path;
  line["time"] = core::utc_now();
  std::ofstream out(slurm_dir(store) + "/submissions.jsonl", std::ios::app);
  out << line.dump() << "\n";
  BBPT_CHECK(out.good(), IoError,
             slurm_dir(store) << "/submissions.jsonl: write failed (the array " << a.job_id
                              << " is submitted)");
}

std::string test_only(const ArraySubmission& a) {
  const auto r = detail::run_command({"sbatch", "--test-only", a.script_path});
  BBPT_CHECK(r.exit_code == 0, Error,
             "sbatch --test-only refused "
                 << a.script_path << " (exit " << r.exit_code << "): " << one_line(r.output)
                 << "; nothing was submitted: check the executors.slurm options "
                    "(partition, account, qos, time) of the sweep file or the flags");
  return r.output;
}

std::map<std::string, std::string> slurm_states(const SweepStore& store) {
  std::map<std::string, std::string> states;
  const std::string path = slurm_dir(store) + "/submissions.jsonl";
  if (!core::is_regular_file(path)) return states;
  struct Array {
    std::vector<std::string> ids;
    int per_task = 1;
  };
  std::map<std::string, Array> arrays;
  std::string job_list;
  std::istringstream lines(core::read_file(path));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const auto j = Json::parse(line);
    Array a;
    a.per_task = j.at("trials_per_task").get<int>();
    std::istringstream ids(core::read_file(j.at("list").get<std::string>()));
    for (std::string id; std::getline(ids, id);) a.ids.push_back(id);
    const std::string job = j.at("job_id").get<std::string>();
    arrays[job] = std::move(a);
    job_list += (job_list.empty() ? "" : ",") + job;
  }
  // -r: one line per array task, pending ones included. Jobs squeue no longer knows are simply
  // absent (an error when none is known): the store says how those ended.
  const auto q = detail::run_command({"squeue", "-h", "-r", "-j", job_list, "-o", "%i|%T"});
  if (q.exit_code != 0) {
    BBPT_CHECK(q.output.find("Invalid job id") != std::string::npos, Error,
               "squeue failed (exit "
                   << q.exit_code << "): " << q.output
                   << "; without it bbpt cannot tell which trials are still queued, so it submits "
                      "nothing (try again when the controller answers)");
    return states;  // none of the recorded jobs is known any more
  }
  std::istringstream rows(q.output);
  for (std::string row; std::getline(rows, row);) {
    const auto bar = row.find('|');
    const auto underscore = row.find('_');
    if (bar == std::string::npos || underscore == std::string::npos || underscore > bar) continue;
    const auto it = arrays.find(row.substr(0, underscore));
    if (it == arrays.end()) continue;
    const std::string task_text = row.substr(underscore + 1, bar - underscore - 1);
    if (task_text.find_first_not_of("0123456789") != std::string::npos)
      continue;  // "[3-5%2]": not expanded
    const size_t first = std::stoul(task_text) * static_cast<size_t>(it->second.per_task);
    for (size_t i = first;
         i < first + static_cast<size_t>(it->second.per_task) && i < it->second.ids.size(); ++i) {
      states[it->second.ids[i]] = row.substr(bar + 1);
    }
  }
  return states;
}

std::string requeue(const std::string& job) {
  const auto r = detail::run_command({"scontrol", "requeue", job});
  return r.exit_code == 0 ? "" : r.output;
}

void run_slurm(const SweepStore& store,
               const std::vector<PlannedTrial>& plan,
               const SlurmOptions& options,
               const std::vector<std::string>& task_command,
               bool retry_failed,
               bool dry_run,
               ExecutorSummary& summary,
               std::ostream& out) {
  const auto queued = slurm_states(store);
  std::vector<PlannedTrial> to_run;
  for (auto& t : trials_to_run(store, plan, retry_failed, summary)) {
    if (queued.count(t.id)) {
      ++summary.running_elsewhere;  // queued or running in an array submitted before
    } else {
      to_run.push_back(t);
    }
  }
  if (to_run.empty()) {
    out << store.dir() << ": nothing to submit\n";
    return;
  }
  // Several arrays when one would exceed max_array_size tasks (sites cap MaxArraySize).
  const size_t per_array =
      static_cast<size_t>(options.max_array_size) * static_cast<size_t>(options.trials_per_task);
  for (size_t first = 0; first < to_run.size(); first += per_array) {
    const std::vector<PlannedTrial> part(
        to_run.begin() + static_cast<std::ptrdiff_t>(first),
        to_run.begin() + static_cast<std::ptrdiff_t>(std::min(first + per_array, to_run.size())));
    auto array = write_array(store, part, options, task_command);
    if (dry_run) {
      out << core::read_file(array.script_path) << "\n# sbatch --test-only:\n";
      std::string answer;
      try {
        answer = test_only(array);  // a refusal ends the command with sbatch's message
      } catch (...) {
        fs::remove(array.script_path);
        fs::remove(array.list_path);
        throw;
      }
      out << answer;
      fs::remove(array.script_path);
      fs::remove(array.list_path);
      continue;
    }
    submit(store, array, options, task_command);
    summary.submitted += static_cast<int64_t>(part.size());
    out << "submitted array job " << array.job_id << " (" << array.tasks << " tasks, "
        << part.size() << " trials)"
        << (array.merge_job_id.empty() ? "" : ", merge job " + array.merge_job_id) << "; script "
        << array.script_path << "\n";
  }
  if (!dry_run) out << "follow it with: bbpt sweep status " << store.dir() << "\n";
}

}  // namespace bbpt::sweep
