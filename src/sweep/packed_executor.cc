// SPDX-License-Identifier: MIT
#include "bbpt/sweep/packed_executor.h"

#include <chrono>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bbpt/comm/communicator.h"
#include "bbpt/comm/job.h"
#include "bbpt/core/error.h"
#include "bbpt/core/stop_signal.h"
#include "bbpt/sweep/trial_task.h"
#include "progress.h"

namespace bbpt::sweep {
namespace {

using Clock = std::chrono::steady_clock;
using OrderedJson = nlohmann::ordered_json;

// Group leader -> rank 0: {"type": "ready"|"heartbeat", ...}; rank 0 -> group leader: {"trial": i}.
constexpr int kTagToScheduler = 201;
constexpr int kTagFromScheduler = 202;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

/// Runs one trial on a group (nullptr: this process alone). CommError passes through.
TrialOutcome run_one(const SweepStore& store,
                     const PlannedTrial& trial,
                     const run::TrialSpec& base,
                     comm::Communicator* group,
                     std::function<void(int64_t, int64_t)> on_step) {
  TaskOptions task;
  task.group = group;
  task.on_step = std::move(on_step);
  task.progress_every_steps = 0;  // the scheduler's progress board shows how far it is
  return run_planned_trial(store, trial, base, task);
}

/// Counts a trial's outcome in the summary (the trial's leader recorded it in the store).
void count(const TrialOutcome& outcome, ExecutorSummary& summary) {
  switch (outcome.status) {
    case OutcomeStatus::kDone:
      ++summary.finished;
      break;
    case OutcomeStatus::kFailed:
      ++summary.failed;
      break;
    case OutcomeStatus::kStopped:
      ++summary.stopped;  // checkpointed: the next run continues it
      break;
    case OutcomeStatus::kBusy:
      ++summary.running_elsewhere;  // another process holds its run lock
      break;
  }
}

std::string label_of(const PlannedTrial& t) {
  return t.method + " " + t.dataset + " seed " + std::to_string(t.seed);
}

/// The progress board of the trials this run has to run.
detail::ProgressBoard make_board(const std::vector<PlannedTrial>& trials,
                                 int slots,
                                 const PackedOptions& options) {
  detail::ProgressBoard board(std::cerr, options.command, slots);
  for (const auto& t : trials)
    board.add(t.id, label_of(t), t.method, t.config.value("budget", int64_t{0}));
  return board;
}

/// Merges the store at most every merge_every_s (the trial directories stay the truth; a failed
/// merge is retried by the next one).
class Merger {
 public:
  Merger(const SweepStore& store, const PackedOptions& options)
      : store_(store), options_(options) {}
  void maybe() {
    if (seconds_since(last_) < options_.merge_every_s) return;
    try {
      store_.merge();
    } catch (const std::exception& e) {
      std::cerr << options_.command << ": merging the results failed for now: " << e.what() << "\n";
    }
    last_ = Clock::now();
  }

 private:
  const SweepStore& store_;
  const PackedOptions& options_;
  Clock::time_point last_ = Clock::now();
};

void run_sequentially(const SweepStore& store,
                      const std::vector<PlannedTrial>& trials,
                      const run::TrialSpec& base,
                      const PackedOptions& options,
                      ExecutorSummary& summary) {
  std::cerr << options.command << ": " << trials.size() << " trial(s) to run in this process\n";
  auto board = make_board(trials, 1, options);
  Merger merger(store, options);
  size_t next = 0;
  for (; next < trials.size() && !core::stop_requested(); ++next) {
    const auto& t = trials[next];
    board.started(t.id);
    const auto outcome = run_one(store, t, base, nullptr, [&](int64_t step, int64_t queries) {
      board.advanced(t.id, step, queries);
      board.print_running_every(options.progress_every_s);
    });
    count(outcome, summary);
    board.ended(t.id, describe(outcome), outcome.status == OutcomeStatus::kDone);
    merger.maybe();
  }
  summary.stopped += static_cast<int64_t>(trials.size() - next);  // not started: a stop request
}

/// World rank 0: hands out trials, counts outcomes, merges, watches for silent groups.
void schedule(const SweepStore& store,
              const std::vector<PlannedTrial>& trials,
              comm::Communicator& world,
              int groups,
              const PackedOptions& options,
              ExecutorSummary& summary) {
  std::cerr << options.command << ": " << trials.size() << " trial(s) to run on " << groups
            << " group(s) of " << options.ranks_per_trial << " rank(s)\n";
  std::deque<size_t> pending;
  for (size_t i = 0; i < trials.size(); ++i) pending.push_back(i);
  auto board = make_board(trials, groups, options);
  Merger merger(store, options);
  struct Busy {
    size_t trial;
    Clock::time_point last_heard;
  };
  std::map<int, Busy> busy;  // by group leader's world rank
  int stopped = 0;
  while (stopped < groups) {
    const auto source = world.poll(kTagToScheduler);
    if (!source) {
      for (const auto& [leader, b] : busy) {
        const double silent = seconds_since(b.last_heard);
        if (silent > options.silence_limit_s) {
          std::ostringstream message;
          message << "the group led by world rank " << leader << " has reported nothing for "
                  << silent << " s while running trial " << trials[b.trial].id
                  << " (--silence-limit " << options.silence_limit_s
                  << " s); ending the job. Finished trials are recorded in " << store.dir()
                  << "/trials/; run the same command again to continue";
          comm::abort_job(message.str(), 1);
        }
      }
      board.print_running_every(options.progress_every_s);
      merger.maybe();
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    const auto message = OrderedJson::parse(world.receive_bytes(*source, kTagToScheduler).bytes);
    if (message.at("type") == "heartbeat") {
      if (busy.count(*source)) {
        busy[*source].last_heard = Clock::now();
        board.advanced(trials[busy[*source].trial].id, message.value("step", int64_t{0}),
                       message.value("queries", int64_t{0}));
      }
      continue;
    }
    if (message.contains("trial")) {  // the outcome of the group's last trial
      const auto& t = trials.at(message["trial"].get<size_t>());
      const TrialOutcome outcome = trial_outcome_from_json(message);
      count(outcome, summary);
      board.ended(t.id, describe(outcome), outcome.status == OutcomeStatus::kDone);
      busy.erase(*source);
    }
    if (message.value("leaving", false)) {  // the group got a stop request itself: it asks no more
      ++stopped;
      continue;
    }
    OrderedJson reply;
    if (pending.empty() || core::stop_requested()) {
      reply["trial"] = -1;
      ++stopped;
    } else {
      reply["trial"] = pending.front();
      busy[*source] = {pending.front(), Clock::now()};
      board.started(trials[pending.front()].id, "on rank " + std::to_string(*source));
      pending.pop_front();
    }
    world.send(reply.dump(), *source, kTagFromScheduler);
  }
  summary.stopped += static_cast<int64_t>(pending.size());  // not started: a stop request
}

/// A worker group: asks rank 0 for trials (through its leader) and runs them until told to stop.
void work(const SweepStore& store,
          const std::vector<PlannedTrial>& trials,
          const run::TrialSpec& base,
          comm::Communicator& world,
          comm::Communicator& group,
          const PackedOptions& options) {
  const bool leader = group.rank() == 0;
  OrderedJson report = {{"type", "ready"}};
  for (;;) {
    std::vector<int64_t> assignment(1, -1);
    if (leader) {
      const bool leaving = core::stop_requested();  // read once: the scheduler must see what we do
      if (leaving) report["leaving"] = true;
      world.send(report.dump(), 0, kTagToScheduler);
      if (!leaving) {
        assignment[0] = OrderedJson::parse(world.receive_bytes(0, kTagFromScheduler).bytes)
                            .at("trial")
                            .get<int64_t>();
      }
    }
    group.broadcast(assignment, 0);
    if (assignment[0] < 0) return;
    const auto index = static_cast<size_t>(assignment[0]);
    std::function<void(int64_t, int64_t)> heartbeat;
    auto last_beat = Clock::time_point{};  // the first step reports at once: progress shows early
    if (leader) {
      heartbeat = [&](int64_t step, int64_t queries) {
        if (seconds_since(last_beat) < options.heartbeat_every_s) return;
        last_beat = Clock::now();
        world.send(
            OrderedJson{
                {"type", "heartbeat"}, {"trial", index}, {"step", step}, {"queries", queries}}
                .dump(),
            0, kTagToScheduler);
      };
    }
    const TrialOutcome outcome =
        run_one(store, trials[index], base, group.size() > 1 ? &group : nullptr, heartbeat);
    report = {{"type", "ready"}, {"trial", index}};
    const auto fields = to_json(outcome);  // named: items() would not keep a temporary alive
    for (const auto& [key, value] : fields.items()) report[key] = value;
  }
}

}  // namespace

ExecutorSummary run_packed(const SweepStore* store,
                           const std::vector<PlannedTrial>& plan,
                           bool retry_failed,
                           const run::TrialSpec& base,
                           comm::Communicator* world,
                           const PackedOptions& options) {
  const bool scheduler = world == nullptr || world->rank() == 0;
  BBPT_CHECK(!scheduler || store != nullptr, ConfigError,
             "run_packed: rank 0 needs the sweep's store");
  ExecutorSummary summary;
  std::vector<PlannedTrial> to_run;
  std::string dir, lines;
  std::vector<int64_t> ranks_per_trial = {options.ranks_per_trial};
  if (scheduler) {
    to_run = trials_to_run(*store, plan, retry_failed, summary);
    dir = store->dir();
    for (const auto& t : to_run) lines += to_json(t).dump() + "\n";
  }
  if (world == nullptr || world->size() == 1) {
    run_sequentially(*store, to_run, base, options, summary);
    store->merge();
    return summary;
  }
  // Rank 0's choice, for every rank: the store, the trials and the group size.
  world->broadcast(dir, 0);
  world->broadcast(lines, 0);
  world->broadcast(ranks_per_trial, 0);
  PackedOptions o = options;
  o.ranks_per_trial = static_cast<int>(ranks_per_trial[0]);
  BBPT_CHECK(o.ranks_per_trial >= 1, ConfigError,
             "--ranks-per-trial (= " << o.ranks_per_trial << ") must be >= 1");
  const int workers = world->size() - 1;
  BBPT_CHECK(workers % o.ranks_per_trial == 0, ConfigError,
             "packed mode: " << world->size() << " ranks = 1 scheduler + " << workers
                             << " workers, which do not form groups of --ranks-per-trial "
                             << o.ranks_per_trial << "; start 1 + a multiple of "
                             << o.ranks_per_trial << " ranks");
  const int groups = workers / o.ranks_per_trial;
  const int color = world->rank() == 0 ? -1 : (world->rank() - 1) / o.ranks_per_trial;
  auto group = world->split(color, world->rank());
  if (scheduler) {
    schedule(*store, to_run, *world, groups, o, summary);
    store->merge();
    return summary;
  }
  std::istringstream text(lines);
  for (std::string line; std::getline(text, line);)
    to_run.push_back(planned_trial_from_json(nlohmann::json::parse(line)));
  const SweepStore worker_store(dir);
  work(worker_store, to_run, base, *world, *group, o);
  return {};
}

}  // namespace bbpt::sweep
