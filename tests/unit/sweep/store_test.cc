// SPDX-License-Identifier: MIT
// The sweep directory (store.h): a crash between writing and renaming never counts as done; a
// damaged result is moved aside and redone; concurrent merges (many processes) leave one row per
// trial; merging is idempotent; after a partial run only what is not done is chosen to run.
#include "bbpt/sweep/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "bbpt/core/file_io.h"
#include "bbpt/core/sha256.h"
#include "bbpt/sweep/executor.h"

namespace bbpt::sweep {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

PlannedTrial trial(int i) {
  PlannedTrial t;
  t.index = i;
  t.method = i % 2 ? "zip" : "bptvlm";
  t.algorithm = t.method;
  t.dataset = "fmnist";
  t.seed = static_cast<uint64_t>(i);
  t.model = "/models/m.pt";
  t.model_sha256 = "00";
  t.config = Json{{"method", t.method}, {"dataset", "fmnist"}, {"seed", i}, {"shots", 16}};
  t.overrides = Json{{"seed", i}};
  t.id = trial_id(t.config, t.model_sha256);
  return t;
}

class Store : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() /
            ("bbpt_store_" +
             std::string(::testing::UnitTest::GetInstance()->current_test_info()->name())))
               .string();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ + "/sweep.src.yaml") << "name: t\n";
    sweep_.name = "t";
    sweep_.file = dir_ + "/sweep.src.yaml";
    for (int i = 0; i < 6; ++i) sweep_.trials.push_back(trial(i));
    store_ = std::make_unique<SweepStore>(dir_ + "/sweep");
    store_->write_plan(sweep_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// What run_trial leaves in a finished trial directory.
  void finish(const PlannedTrial& t, double test_acc) {
    const std::string d = store_->trial_dir(t.id);
    const std::string config = "{\"id\": \"" + t.id + "\"}\n";
    core::write_file_atomic(d + "/config.json", config);
    core::write_file_atomic(d + "/metrics.jsonl",
                            "{\"step\":1,\"queries\":10,\"train_loss\":2.0,\"train_acc\":0.5}\n");
    Json result{
        {"test_acc", test_acc}, {"train_acc", 0.5}, {"config_sha256", core::sha256_hex(config)}};
    core::write_file_atomic(d + "/result.json", result.dump(2));
  }

  std::string dir_;
  Sweep sweep_;
  std::unique_ptr<SweepStore> store_;
};

int64_t count_rows(const std::string& db_path, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_open(db_path.c_str(), &db);
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  int64_t n = -1;
  if (sqlite3_step(stmt) == SQLITE_ROW) n = sqlite3_column_int64(stmt, 0);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return n;
}

TEST_F(Store, WritesThePlanAndEachTrialsFrozenConfig) {
  const auto plan = store_->read_manifest();
  ASSERT_EQ(plan.size(), 6u);
  EXPECT_EQ(plan[3].id, sweep_.trials[3].id);
  EXPECT_EQ(plan[3].config, sweep_.trials[3].config);
  EXPECT_TRUE(fs::exists(store_->method_config_path(plan[3].id)));
  EXPECT_EQ(store_->status(plan[3].id).state, TrialState::kPending);
}

TEST_F(Store, ACrashBetweenWritingAndRenamingIsNotDone) {
  const auto& t = sweep_.trials[0];
  const std::string d = store_->trial_dir(t.id);
  std::ofstream(d + "/checkpoint.bin") << "state";
  std::ofstream(d + "/result.json.tmp.4242.0")
      << "{\"test_acc\": 0.8";  // the writer died before the rename
  EXPECT_EQ(store_->status(t.id).state, TrialState::kInterrupted);
  // A result that is there but cut short (a copy, a full disk) is not done either, and is moved
  // aside.
  std::ofstream(d + "/result.json") << "{\"test_acc\": 0.8";
  const auto s = store_->status(t.id);
  EXPECT_EQ(s.state, TrialState::kInterrupted);
  EXPECT_NE(s.reason.find("result.json is damaged"), std::string::npos) << s.reason;
  store_->prepare(t.id);
  EXPECT_FALSE(fs::exists(d + "/result.json"));
  EXPECT_TRUE(fs::exists(d + "/result.json.damaged"));
  // A result of another config.json does not count.
  finish(t, 0.7);
  core::write_file_atomic(d + "/config.json", "{\"id\": \"changed\"}\n");
  EXPECT_NE(store_->status(t.id).state, TrialState::kDone);
}

TEST_F(Store, FailuresKeepTheirReasonUntilRetried) {
  const auto& t = sweep_.trials[1];
  store_->record_failure(t.id, "rank 0 ran out of memory");
  auto s = store_->status(t.id);
  EXPECT_EQ(s.state, TrialState::kFailed);
  EXPECT_EQ(s.reason, "rank 0 ran out of memory");
  store_->prepare(t.id);
  EXPECT_EQ(store_->status(t.id).state, TrialState::kPending);
}

TEST_F(Store, MergeIsIdempotentAndKeyedByTrialId) {
  finish(sweep_.trials[0], 0.75);
  finish(sweep_.trials[1], 0.5);
  store_->record_failure(sweep_.trials[2].id, "bad \"quote\", and comma");
  const auto first = store_->merge();
  EXPECT_EQ(first.trials, 6);
  EXPECT_EQ(first.updated, 6);
  const std::string csv = core::read_file(store_->dir() + "/results.csv");
  const auto second = store_->merge();
  EXPECT_EQ(second.updated, 0);
  EXPECT_EQ(core::read_file(store_->dir() + "/results.csv"), csv);
  const std::string db = store_->dir() + "/results.sqlite";
  EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM trials"), 6);
  EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM trials WHERE status = 'done'"), 2);
  EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM metrics"), 2);
  EXPECT_NE(csv.find("\"bad \"\"quote\"\", and comma\""), std::string::npos) << csv;
  // A retried failure that finishes replaces its row.
  finish(sweep_.trials[2], 0.9);
  EXPECT_EQ(store_->merge().updated, 1);
  EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM trials"), 6);
  EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM trials WHERE status = 'done'"), 3);
}

TEST_F(Store, ConcurrentWritersLeaveOneRowPerTrial) {
  // Eight processes finish trials and merge at once, as array tasks ending together would.
  std::vector<pid_t> children;
  for (int p = 0; p < 8; ++p) {
    const pid_t pid = fork();
    if (pid == 0) {
      int code = 0;
      try {
        SweepStore store(store_->dir());
        for (int round = 0; round < 5; ++round) {
          if (p < 6 && round == p % 5) finish(sweep_.trials[static_cast<size_t>(p)], 0.1 * p);
          store.merge();
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", p, e.what());
        code = 1;
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  store_->merge();
  const std::string db = store_->dir() + "/results.sqlite";
  EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM trials"), 6);
  EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM trials WHERE status = 'done'"), 6);
  EXPECT_EQ(count_rows(db, "SELECT COUNT(*) FROM metrics"), 6);
  std::istringstream csv(core::read_file(store_->dir() + "/results.csv"));
  int lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  EXPECT_EQ(lines, 7);  // header + one row per trial
}

TEST_F(Store, ResumeAfterPartialCompletionChoosesOnlyWhatIsNotDone) {
  finish(sweep_.trials[0], 0.7);
  finish(sweep_.trials[1], 0.6);
  store_->record_failure(sweep_.trials[2].id, "diverged");
  std::ofstream(store_->trial_dir(sweep_.trials[3].id) + "/checkpoint.bin") << "half way";
  ExecutorSummary summary;
  const auto to_run = trials_to_run(*store_, store_->read_manifest(), false, summary);
  ASSERT_EQ(to_run.size(), 3u);  // the interrupted one and the two never started
  EXPECT_EQ(to_run[0].id, sweep_.trials[3].id);
  EXPECT_EQ(summary.already_done, 2);
  EXPECT_EQ(summary.skipped_failed, 1);
  ExecutorSummary retry;
  EXPECT_EQ(trials_to_run(*store_, store_->read_manifest(), true, retry).size(), 4u);
}

TEST_F(Store, APlanThatGrowsKeepsFinishedTrials) {
  finish(sweep_.trials[0], 0.7);
  sweep_.trials.push_back(trial(6));
  std::ofstream(sweep_.file) << "name: t\n# grown\n";
  store_->write_plan(sweep_);
  EXPECT_EQ(store_->read_manifest().size(), 7u);
  EXPECT_EQ(store_->status(sweep_.trials[0].id).state, TrialState::kDone);
  EXPECT_TRUE(fs::exists(store_->dir() + "/history/sweep-1.yaml"));
  ExecutorSummary summary;
  EXPECT_EQ(trials_to_run(*store_, store_->read_manifest(), false, summary).size(), 6u);
}

}  // namespace
}  // namespace bbpt::sweep
