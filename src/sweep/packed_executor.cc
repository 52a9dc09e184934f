// SPDX-License-Identifier: MIT
#include "bbpt/sweep/packed_executor.h"

#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "bbpt/comm/communicator.h"
#include "bbpt/comm/job.h"
#include "bbpt/core/directories.h"
#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/log.h"
#include "bbpt/core/redact.h"
#include "bbpt/core/stop_signal.h"
#include "progress.h"

namespace bbpt::sweep {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::ordered_json;

// Group leader -> rank 0: {"type": "ready"|"heartbeat", ...}; rank 0 -> group leader: {"trial": i}.
constexpr int kTagToScheduler = 201;
constexpr int kTagFromScheduler = 202;

std::string trial_dir(const std::string& out_dir, const TrialEntry& t) {
  return out_dir + "/trials/" + t.id;
}

/// results.jsonl: appended line by line by rank 0 (the only writer); read back on a rerun.
class ResultStore {
 public:
  explicit ResultStore(const std::string& out_dir) : path_(out_dir + "/results.jsonl") {
    if (core::is_regular_file(path_)) {
      std::istringstream lines(core::read_file(path_));
      int number = 0;
      for (std::string line; std::getline(lines, line);) {
        ++number;
        try {
          const auto j = Json::parse(line);
          status_[j.at("id").get<std::string>()] =
              parse_outcome_status(j.at("status").get<std::string>());
        } catch (const std::exception&) {
          // A line cut by a crash mid-write: that trial is decided again from its directory.
          BBPT_LOG_WARN(path_ << ":" << number << ": unreadable line ignored");
        }
      }
    }
    out_.open(path_, std::ios::app | std::ios::binary);
    BBPT_CHECK(out_.good(), IoError, path_ << ": cannot open for appending");
  }
  /// kDone or kFailed as recorded last; nullopt: no record.
  std::optional<OutcomeStatus> status(const std::string& id) const {
    const auto it = status_.find(id);
    return it == status_.end() ? std::nullopt : std::optional<OutcomeStatus>(it->second);
  }
  /// Appends {"id", "status", "result" | "reason"} (a failure's reason without URL credentials).
  void record(const std::string& id, TrialOutcome outcome) {
    outcome.reason = core::redact_urls(outcome.reason);  // stored: whoever wrote the message
    Json line;
    line["id"] = id;
    const auto fields = to_json(outcome);  // named: items() would not keep a temporary alive
    for (const auto& [key, value] : fields.items()) line[key] = value;
    out_ << line.dump() << '\n';
    out_.flush();
    BBPT_CHECK(out_.good(), IoError, path_ << ": write failed (disk full?)");
    status_[id] = outcome.status;
  }

 private:
  std::string path_;
  std::map<std::string, OutcomeStatus> status_;
  std::ofstream out_;
};

/// Decides, on rank 0, which trials still need to run; records finished trials the store lacks
/// (a job that died between a result and its record).
std::deque<size_t> pending_trials(const std::vector<TrialEntry>& trials,
                                  const std::string& out_dir,
                                  ResultStore& store,
                                  const PackedOptions& options,
                                  PackedSummary& summary) {
  std::deque<size_t> pending;
  for (size_t i = 0; i < trials.size(); ++i) {
    const auto& t = trials[i];
    const std::string result_path = trial_dir(out_dir, t) + "/result.json";
    if (core::is_regular_file(result_path)) {
      ++summary.already_done;
      if (store.status(t.id) != OutcomeStatus::kDone) {
        TrialOutcome done;
        done.result = Json::parse(core::read_file(result_path));
        store.record(t.id, done);
      }
    } else if (store.status(t.id) == OutcomeStatus::kFailed && !options.retry_failed) {
      ++summary.skipped_failed;
    } else {
      pending.push_back(i);
    }
  }
  return pending;
}

/// The runner of `bbpt pack`: run_trial on the request the factory makes.
TrialRunner request_runner(const std::string& out_dir, const RequestFactory& make_request) {
  return [out_dir, make_request](const TrialEntry& t, comm::Communicator* group,
                                 std::function<void(int64_t, int64_t)> on_step) {
    TrialOutcome outcome;
    try {
      run::RunRequest request = make_request(t);
      request.out_dir = trial_dir(out_dir, t);
      // The pack's own trial directory, named by the trial's id.
      request.allow_foreign_out_dir = true;
      request.communicator = group;
      request.on_step = std::move(on_step);
      const auto summary = run::run_trial(request);
      outcome.status = summary.outcome == run::RunOutcome::kStopped ? OutcomeStatus::kStopped
                                                                    : OutcomeStatus::kDone;
      outcome.result = summary.result;
    } catch (const CommError&) {
      throw;
    } catch (const std::exception& e) {
      outcome.status = OutcomeStatus::kFailed;
      outcome.reason = core::redact_urls(e.what());  // shown, logged and stored
    }
    return outcome;
  };
}

/// Records a trial's outcome in the store and the summary.
void record_outcome(ResultStore& store,
                    PackedSummary& summary,
                    const std::string& id,
                    const TrialOutcome& outcome) {
  switch (outcome.status) {
    case OutcomeStatus::kStopped:
      ++summary.stopped;  // checkpointed: neither done nor failed, the next run continues it
      return;
    case OutcomeStatus::kDone:
      ++summary.finished;
      break;
    case OutcomeStatus::kFailed:
    case OutcomeStatus::kBusy:  // another process runs it: not done here, so a failure of this run
      ++summary.failed;
      break;
  }
  store.record(id, outcome);
}

/// The progress board of the trials this run still has to run.
detail::ProgressBoard make_board(const std::vector<TrialEntry>& trials,
                                 const std::deque<size_t>& pending,
                                 int slots) {
  detail::ProgressBoard board(std::cerr, "bbpt pack", slots);
  for (const size_t i : pending)
    board.add(trials[i].id, trials[i].label, trials[i].kind, trials[i].budget);
  return board;
}

PackedSummary run_sequentially(const std::vector<TrialEntry>& trials,
                               const std::string& out_dir,
                               const TrialRunner& runner,
                               ResultStore& store,
                               const PackedOptions& options) {
  PackedSummary summary;
  summary.trials = static_cast<int64_t>(trials.size());
  auto pending = pending_trials(trials, out_dir, store, options, summary);
  auto board = make_board(trials, pending, 1);
  while (!pending.empty() && !core::stop_requested()) {
    const auto& t = trials[pending.front()];
    pending.pop_front();
    board.started(t.id);
    const auto outcome = runner(t, nullptr, [&](int64_t step, int64_t queries) {
      board.advanced(t.id, step, queries);
      board.print_running_every(options.progress_every_s);
    });
    record_outcome(store, summary, t.id, outcome);
    board.ended(t.id, describe(outcome), outcome.status == OutcomeStatus::kDone);
  }
  summary.stopped += static_cast<int64_t>(pending.size());  // not started because of a stop request
  return summary;
}

/// World rank 0: hands out trials, records outcomes, watches for silent groups.
PackedSummary schedule(const std::vector<TrialEntry>& trials,
                       const std::string& out_dir,
                       ResultStore& store,
                       comm::Communicator& world,
                       int groups,
                       const PackedOptions& options) {
  PackedSummary summary;
  summary.trials = static_cast<int64_t>(trials.size());
  auto pending = pending_trials(trials, out_dir, store, options, summary);
  std::cerr << "bbpt pack: " << trials.size() << " trials, " << summary.already_done
            << " already done, " << summary.skipped_failed << " failed before (not retried), "
            << pending.size() << " to run on " << groups << " group(s) of "
            << options.ranks_per_trial << " rank(s)\n";
  auto board = make_board(trials, pending, groups);
  struct Busy {
    size_t trial;
    Clock::time_point last_heard;
  };
  std::map<int, Busy> busy;  // by group leader's world rank
  int stopped = 0;
  while (stopped < groups) {
    const auto source = world.poll(kTagToScheduler);
    if (!source) {
      const auto now = Clock::now();
      for (const auto& [leader, b] : busy) {
        const double silent = std::chrono::duration<double>(now - b.last_heard).count();
        if (silent > options.silence_limit_s) {
          std::ostringstream message;
          message << "the group led by world rank " << leader << " has reported nothing for "
                  << silent << " s while running trial " << trials[b.trial].id
                  << " (--silence-limit " << options.silence_limit_s
                  << " s); ending the job. Finished trials are recorded in " << out_dir
                  << "/results.jsonl; run the same command again to continue";
          comm::abort_job(message.str(), 1);
        }
      }
      board.print_running_every(options.progress_every_s);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      continue;
    }
    const auto message = Json::parse(world.receive_bytes(*source, kTagToScheduler).bytes);
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
      record_outcome(store, summary, t.id, outcome);
      board.ended(t.id, describe(outcome), outcome.status == OutcomeStatus::kDone);
      busy.erase(*source);
    }
    if (message.value("leaving",
                      false)) {  // the group got a stop request itself: it asks for nothing more
      ++stopped;
      continue;
    }
    Json reply;
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
  summary.stopped += static_cast<int64_t>(pending.size());  // not started because of a stop request
  return summary;
}

/// A worker group: asks rank 0 for trials (through its leader) and runs them until told to stop.
void work(const std::vector<TrialEntry>& trials,
          const TrialRunner& runner,
          comm::Communicator& world,
          comm::Communicator& group,
          const PackedOptions& options) {
  const bool leader = group.rank() == 0;
  Json report = {{"type", "ready"}};
  for (;;) {
    std::vector<int64_t> assignment(1, -1);
    if (leader) {
      const bool leaving = core::stop_requested();  // read once: the scheduler must see what we do
      if (leaving) report["leaving"] = true;
      world.send(report.dump(), 0, kTagToScheduler);
      if (!leaving) {
        assignment[0] =
            Json::parse(world.receive_bytes(0, kTagFromScheduler).bytes).at("trial").get<int64_t>();
      }
    }
    group.broadcast(assignment, 0);
    if (assignment[0] < 0) return;
    const auto index = static_cast<size_t>(assignment[0]);
    std::function<void(int64_t, int64_t)> heartbeat;
    auto last_beat = Clock::time_point{};  // the first step reports at once: progress shows early
    if (leader) {
      heartbeat = [&](int64_t step, int64_t queries) {
        if (std::chrono::duration<double>(Clock::now() - last_beat).count() <
            options.heartbeat_every_s)
          return;
        last_beat = Clock::now();
        world.send(
            Json{{"type", "heartbeat"}, {"trial", index}, {"step", step}, {"queries", queries}}
                .dump(),
            0, kTagToScheduler);
      };
    }
    const TrialOutcome outcome =
        runner(trials[index], group.size() > 1 ? &group : nullptr, heartbeat);
    report = {{"type", "ready"}, {"trial", index}};
    const auto fields = to_json(outcome);  // named: items() would not keep a temporary alive
    for (const auto& [key, value] : fields.items()) report[key] = value;
  }
}

}  // namespace

PackedSummary run_packed(const std::vector<TrialEntry>& trials,
                         const std::string& out_dir,
                         const RequestFactory& make_request,
                         comm::Communicator* world,
                         const PackedOptions& options) {
  return run_packed(trials, out_dir, request_runner(out_dir, make_request), world, options);
}

PackedSummary run_packed(const std::vector<TrialEntry>& trials,
                         const std::string& out_dir,
                         const TrialRunner& runner,
                         comm::Communicator* world,
                         const PackedOptions& options) {
  BBPT_CHECK(options.ranks_per_trial >= 1, ConfigError,
             "--ranks-per-trial (= " << options.ranks_per_trial << ") must be >= 1");
  if (world == nullptr || world->size() == 1) {
    core::make_directories(out_dir, "the packed trials", "--out");
    fs::create_directories(out_dir + "/trials");
    ResultStore store(out_dir);
    return run_sequentially(trials, out_dir, runner, store, options);
  }
  const int workers = world->size() - 1;
  BBPT_CHECK(workers % options.ranks_per_trial == 0, ConfigError,
             "packed mode: " << world->size() << " ranks = 1 scheduler + " << workers
                             << " workers, which do not form groups of --ranks-per-trial "
                             << options.ranks_per_trial << "; start 1 + a multiple of "
                             << options.ranks_per_trial << " ranks");
  const int groups = workers / options.ranks_per_trial;
  const int color = world->rank() == 0 ? -1 : (world->rank() - 1) / options.ranks_per_trial;
  auto group = world->split(color, world->rank());
  if (world->rank() == 0) {
    core::make_directories(out_dir, "the packed trials", "--out");
    fs::create_directories(out_dir + "/trials");
    ResultStore store(out_dir);
    return schedule(trials, out_dir, store, *world, groups, options);
  }
  work(trials, runner, *world, *group, options);
  return {};
}

}  // namespace bbpt::sweep
