// SPDX-License-Identifier: MIT
// The Slurm options table (sweep::slurm_fields): every field reads back what to_json writes, a bad
// value or an unknown key is one error naming the file, line and key, and the valid keys are the
// table's.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "bbpt/core/error.h"
#include "bbpt/sweep/slurm_executor.h"

namespace bbpt::sweep {
namespace {

using Json = nlohmann::json;

std::string error_of(const Json& slurm) {
  try {
    slurm_options_from(Json{{"slurm", slurm}}, {{"slurm.bad", "sweep.yaml:7"}});
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(SlurmOptions, EveryFieldReadsBackWhatToJsonWrites) {
  SlurmOptions o;
  o.job_name = "j";
  o.partition = "gpu";
  o.account = "proj";
  o.qos = "high";
  o.time = "04:00:00";
  o.mem = "64G";
  o.ntasks = 4;
  o.cpus_per_task = 8;
  o.gpus_per_task = 1;
  o.throttle = 3;
  o.trials_per_task = 5;
  o.max_array_size = 500;
  o.signal = "TERM";
  o.signal_seconds = 300;
  o.merge_job = false;
  o.extra = {"#SBATCH --constraint=a100", "module load cuda"};
  const Json written = to_json(o);
  EXPECT_EQ(written.size(), slurm_fields().size());
  EXPECT_EQ(to_json(slurm_options_from(Json{{"slurm", written}}, {})), written);
  // Every field of the table differs from its default above: none is left out of the round trip.
  const Json defaults = to_json(SlurmOptions{});
  for (const auto& f : slurm_fields()) EXPECT_NE(written.at(f.key), defaults.at(f.key)) << f.key;
}

TEST(SlurmOptions, BadValuesAndUnknownKeysNameTheFileLineAndKey) {
  EXPECT_EQ(error_of(Json{{"bad", 1}}),
            "sweep.yaml:7: executors.slurm.bad: unknown key (valid: job_name, partition, account, "
            "qos, time, mem, ntasks, cpus_per_task, gpus_per_task, throttle, trials_per_task, "
            "max_array_size, signal, signal_seconds, merge_job, extra)");
  EXPECT_EQ(error_of(Json{{"ntasks", 0}}),
            "executors.slurm: executors.slurm.ntasks: expected an integer >= 1, got 0");
  EXPECT_EQ(error_of(Json{{"throttle", -1}}),
            "executors.slurm: executors.slurm.throttle: expected an integer >= 0, got -1");
  EXPECT_EQ(error_of(Json{{"signal", "KILL"}}),
            "executors.slurm: executors.slurm.signal: expected USR2 or TERM, got \"KILL\"");
  EXPECT_EQ(
      error_of(Json{{"merge_job", "yes please"}}),
      "executors.slurm: executors.slurm.merge_job: expected true or false, got \"yes please\"");
  EXPECT_EQ(error_of(Json{{"extra", "one line"}}),
            "executors.slurm: executors.slurm.extra: expected a list of lines, got \"one line\"");
  EXPECT_EQ(error_of(Json{{"time", 3600}}), "");  // a number is taken as written
}

}  // namespace
}  // namespace bbpt::sweep
