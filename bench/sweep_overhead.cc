// SPDX-License-Identifier: MIT
// The scheduler overhead per trial of the sweep executors: N tiny trials (ZIP, 10 queries, 1 shot,
// no test curve, on the golden tiny CLIP and Fashion-MNIST), run by `bbpt sweep run` with the local
// executor (2 trial processes at a time) and, on a throwaway single-node Slurm cluster
// (tests/support/local_slurm.h), as one job array with throttle 2, one trial per task and then 10.
//
//   overhead per trial = (wall time x concurrency - sum of the trials' own wall_time_s) / N
//
// where a trial's own time is what run_trial measures (model, data and feature loading, the steps,
// the test evaluation) and the overhead is everything else: process start, the CLI, the store, and
// for Slurm the scheduler's waits. Prints a table and writes JSON.
//   bench_sweep_overhead [--trials 100] [--out docs/bench/sweep_overhead.json]
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bench_common.h"
#include "local_slurm.h"

namespace {

namespace fs = std::filesystem;
using bbpt::bench::Clock;
using bbpt::bench::seconds_since;
using Json = nlohmann::ordered_json;

const std::string kModel = std::string(BBPT_SHARED_ASSETS_DIR) + "/golden/tiny_vit_openai.pt";

struct Row {
  std::string executor;
  int trials = 0;
  int concurrency = 0;
  double wall_s = 0;
  double trial_s = 0;  // sum of wall_time_s
  double overhead_per_trial_s() const { return (wall_s * concurrency - trial_s) / trials; }
};

double sum_of_trial_times(const std::string& dir) {
  double sum = 0;
  for (const auto& entry : fs::directory_iterator(dir + "/trials")) {
    std::ifstream in(entry.path() / "result.json");
    sum += nlohmann::json::parse(in).at("wall_time_s").get<double>();
  }
  return sum;
}

int count_results(const std::string& dir) {
  int n = 0;
  if (!fs::exists(dir + "/trials")) return 0;
  for (const auto& entry : fs::directory_iterator(dir + "/trials"))
    n += fs::exists(entry.path() / "result.json");
  return n;
}

/// Runs a command with this process's environment (no Slurm).
bbpt::testing::CommandResult run_here(const std::vector<std::string>& argv, double timeout_s) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  return bbpt::testing::local_slurm_detail::run_command(argv, env, timeout_s);
}

std::vector<std::string> bbpt_command(std::vector<std::string> args) {
  args.insert(args.begin(), {BBPT_EXECUTABLE, "--threads", "1"});
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  int trials = 100;
  std::string out = "sweep_overhead.json";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--trials")) trials = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--out")) out = argv[i + 1];
  }
  const fs::path root = fs::path("/tmp") / ("bbpt_bso_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  const std::string sweep = (root / "tiny.yaml").string();
  std::ofstream(sweep)
      << "name: tiny\nmodel: " << kModel
      << "\nset: {dataset: fmnist, shots: 1, views: 0, budget: 10, eval_every: 0}\n"
      << "grid: {seed: {range: [1, " << trials + 1 << "]}}\nmethods: {zip: {}}\n"
      << "executors: {slurm: {merge_job: false, time: '00:10:00'}}\n";
  std::vector<Row> rows;

  // Warm the test split's feature cache and the page cache with one trial of another seed, so that
  // the first executor measured does not pay for them.
  const std::string warm = (root / "warm.yaml").string();
  std::ofstream(warm)
      << "name: warm\nmodel: " << kModel
      << "\nset: {dataset: fmnist, shots: 1, views: 0, budget: 10, eval_every: 0, seed: 100000}\n"
      << "methods: {zip: {}}\n";
  run_here(bbpt_command({"sweep", "run", warm, "--dir", (root / "warm").string()}), 600);

  {
    const std::string dir = (root / "local").string();
    const auto start = Clock::now();
    const auto r = run_here(bbpt_command({"sweep", "run", sweep, "--dir", dir, "-j", "2"}), 3600);
    Row row{"local -j 2", trials, 2, seconds_since(start), 0};
    if (r.exit_code != 0) {
      std::cerr << "local run failed: " << r.err << "\n";
      return 1;
    }
    row.trial_s = sum_of_trial_times(dir);
    rows.push_back(row);
  }

  const std::string why = bbpt::testing::LocalSlurm::unavailable_reason();
  if (why.empty()) {
    bbpt::testing::LocalSlurm slurm((root / "c").string());
    slurm.export_env();
    for (const int per_task : {1, 10}) {
      const std::string dir = (root / ("slurm" + std::to_string(per_task))).string();
      const auto start = Clock::now();
      const auto r = slurm.run(
          bbpt_command({"sweep", "run", sweep, "--dir", dir, "--executor", "slurm", "--throttle",
                        "2", "--trials-per-task", std::to_string(per_task)}),
          120);
      if (r.exit_code != 0) {
        std::cerr << "slurm submission failed: " << r.out << r.err << slurm.log_tail() << "\n";
        return 1;
      }
      while (count_results(dir) < trials && seconds_since(start) < 3600) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      Row row{"slurm array %2, " + std::to_string(per_task) + " trial(s)/task", trials, 2,
              seconds_since(start), 0};
      row.trial_s = sum_of_trial_times(dir);
      rows.push_back(row);
    }
  } else {
    std::cerr << "no Slurm here (" << why << "): local executor only\n";
  }

  std::cout << std::left << std::setw(34) << "executor" << std::right << std::setw(8) << "trials"
            << std::setw(10) << "wall s" << std::setw(14) << "sum trial s" << std::setw(18)
            << "overhead/trial s"
            << "\n";
  Json results = Json::array();
  for (const auto& r : rows) {
    std::cout << std::left << std::setw(34) << r.executor << std::right << std::setw(8) << r.trials
              << std::fixed << std::setprecision(1) << std::setw(10) << r.wall_s << std::setw(14)
              << r.trial_s << std::setprecision(3) << std::setw(18) << r.overhead_per_trial_s()
              << "\n";
    results.push_back({{"executor", r.executor},
                       {"trials", r.trials},
                       {"concurrency", r.concurrency},
                       {"wall_s", r.wall_s},
                       {"sum_trial_s", r.trial_s},
                       {"overhead_per_trial_s", r.overhead_per_trial_s()}});
  }
  Json doc;
  doc["benchmark"] = "sweep_overhead";
  doc["trial"] =
      "zip, 10 queries, 1 shot, views 0, no test curve; golden tiny CLIP; fmnist; --threads 1";
  doc["cpu"] = bbpt::bench::cpuinfo_field("model name");
  doc["cores"] = std::thread::hardware_concurrency();
  doc["load_average"] = bbpt::bench::load_average();
  doc["utc"] = bbpt::bench::utc_now();
  doc["results"] = results;
  std::ofstream(out) << doc.dump(2) << "\n";
  fs::remove_all(root);
  return 0;
}
