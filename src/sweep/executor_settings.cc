// SPDX-License-Identifier: MIT
// Implements the executor settings of a sweep run (executor_settings.h).
#include "bbpt/sweep/executor_settings.h"

#include <variant>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::sweep {
namespace {

using Json = nlohmann::json;

/// `base` with the Slurm options the command line gave in their place.
SlurmOptions with_given_slurm(SlurmOptions base,
                              const SlurmOptions& flags,
                              const GivenSettings& given) {
  for (const auto& f : slurm_fields()) {
    if (!f.flag || !given.count(f.key)) continue;
    std::visit([&](auto member) { base.*member = flags.*member; }, f.member);
  }
  return base;
}

}  // namespace

ExecutorSettings settings_for_run(const Sweep& s,
                                  const ExecutorSettings& flags,
                                  const GivenSettings& given) {
  ExecutorSettings out = flags;
  if (out.executor.empty()) out.executor = "local";
  out.slurm =
      with_given_slurm(slurm_options_from(s.executors, s.executor_origins), flags.slurm, given);
  if (out.slurm.job_name.empty()) out.slurm.job_name = "bbpt-" + s.name;
  const auto origin_of = [&](const std::string& executor, const std::string& key) {
    const auto it = s.executor_origins.find(executor + "." + key);
    return it != s.executor_origins.end() ? it->second : s.file;
  };
  for (const auto& [executor, options] : s.executors.items()) {
    for (const auto& [key, value] : options.items()) {
      BBPT_CHECK(executor == "slurm" || (executor == "local" && key == "jobs") ||
                     (executor == "mpi" && key == "ranks_per_trial"),
                 ConfigError,
                 origin_of(executor, key) << ": executors." << executor << "." << key
                                          << ": unknown key (local: jobs; mpi: ranks_per_trial)");
    }
  }
  const auto read_count = [&](const char* executor, const char* key, int& into) {
    if (given.count(key) || !s.executors.contains(executor) || !s.executors[executor].contains(key))
      return;
    const auto& v = s.executors[executor][key];
    BBPT_CHECK(v.is_number_integer() && v.get<int64_t>() >= 1, ConfigError,
               origin_of(executor, key) << ": executors." << executor << "." << key
                                        << ": expected an integer >= 1, got " << v.dump());
    into = static_cast<int>(v.get<int64_t>());
  };
  read_count("local", "jobs", out.jobs);
  read_count("mpi", "ranks_per_trial", out.ranks_per_trial);
  return out;
}

ExecutorSettings settings_for_resume(const SweepStore& store,
                                     const ExecutorSettings& flags,
                                     const GivenSettings& given) {
  ExecutorSettings out = flags;
  const std::string path = store.dir() + "/executor.json";
  if (!core::is_regular_file(path)) {
    if (out.executor.empty()) out.executor = "local";
    return out;
  }
  Json j;
  try {
    j = Json::parse(core::read_file(path));
  } catch (const Json::exception& e) {
    BBPT_THROW(ConfigError,
               path << ": not JSON (" << e.what() << "); remove it and pass --executor to resume");
  }
  if (out.executor.empty()) out.executor = j.value("executor", "local");
  if (!given.count("jobs")) out.jobs = j.value("jobs", out.jobs);
  if (!given.count("ranks_per_trial"))
    out.ranks_per_trial = j.value("ranks_per_trial", out.ranks_per_trial);
  if (j.contains("slurm")) {
    out.slurm =
        with_given_slurm(slurm_options_from(Json{{"slurm", j["slurm"]}}, {}), flags.slurm, given);
  }
  return out;
}

void save_settings(const SweepStore& store, const ExecutorSettings& settings) {
  Json j;
  j["executor"] = settings.executor;
  j["jobs"] = settings.jobs;
  j["ranks_per_trial"] = settings.ranks_per_trial;
  j["slurm"] = to_json(settings.slurm);
  core::write_file_atomic(store.dir() + "/executor.json", j.dump(2) + "\n");
}

}  // namespace bbpt::sweep
