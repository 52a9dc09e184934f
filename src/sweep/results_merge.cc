// SPDX-License-Identifier: MIT
// SweepStore::merge: the trial directories into results.sqlite (upserts keyed by trial id, in one
// transaction, under DIR/store.lock), results.csv, results.jsonl and evaluations.csv (rewritten
// atomically from the tables).
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/file_lock.h"
#include "bbpt/core/sha256.h"
#include "bbpt/sweep/store.h"

namespace bbpt::sweep {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

class Database {
 public:
  explicit Database(const std::string& path) : path_(path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
      const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      BBPT_THROW(IoError, path << ": cannot open the results database: " << message);
    }
    sqlite3_busy_timeout(db_, 60000);  // readers (reports) may hold it for a moment
    // The rollback journal, not WAL: a merge job on a compute node and `sweep status` on the login
    // node may share the file over a network file system, where WAL's shared memory does not work.
    exec("PRAGMA journal_mode=DELETE");
  }
  ~Database() { sqlite3_close(db_); }
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      const std::string message = error ? error : "unknown error";
      sqlite3_free(error);
      BBPT_THROW(IoError, path_ << ": " << message << " (in: " << sql.substr(0, 60) << ")");
    }
  }
  sqlite3* handle() { return db_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(Database& db, const std::string& sql) : db_(db) {
    BBPT_CHECK(sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &stmt_, nullptr) == SQLITE_OK,
               IoError, db.path() << ": " << sqlite3_errmsg(db.handle()));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  /// Binds a JSON value: null, integer, real or text (anything else as its JSON text).
  void bind(int at, const Json& v) {
    if (v.is_null()) {
      sqlite3_bind_null(stmt_, at);
    } else if (v.is_number_integer() || v.is_boolean()) {
      sqlite3_bind_int64(stmt_, at, v.is_boolean() ? v.get<bool>() : v.get<int64_t>());
    } else if (v.is_number()) {
      sqlite3_bind_double(stmt_, at, v.get<double>());
    } else {
      const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
      sqlite3_bind_text(stmt_, at, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
    }
  }
  /// Steps once; true while rows come.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    BBPT_CHECK(rc == SQLITE_ROW || rc == SQLITE_DONE, IoError,
               db_.path() << ": " << sqlite3_errmsg(db_.handle()));
    return rc == SQLITE_ROW;
  }
  void run() {
    step();
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string text(int column) {
    const auto* p = sqlite3_column_text(stmt_, column);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  int columns() { return sqlite3_column_count(stmt_); }
  std::string column_name(int column) { return sqlite3_column_name(stmt_, column); }
  bool is_null(int column) { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// The result.json fields that get their own column (all of result.json is in `result`).
const std::vector<std::string> kResultColumns = {"test_acc",
                                                 "train_acc",
                                                 "train_loss",
                                                 "queries_used",
                                                 "steps",
                                                 "test_images",
                                                 "learned_prompt_sha256",
                                                 "wall_time_s"};

void create_tables(Database& db) {
  std::string columns;
  for (const auto& c : kResultColumns) columns += ", " + c;
  db.exec(
      "CREATE TABLE IF NOT EXISTS trials (id TEXT PRIMARY KEY, method TEXT, algorithm TEXT, "
      "dataset TEXT, "
      "seed INTEGER, shots INTEGER, status TEXT, reason TEXT" +
      columns + ", overrides TEXT, config TEXT, result TEXT, signature TEXT)");
  db.exec(
      "CREATE TABLE IF NOT EXISTS metrics (id TEXT, step INTEGER, queries INTEGER, train_loss "
      "REAL, "
      "train_acc REAL, test_acc_subset REAL, line TEXT, PRIMARY KEY (id, step))");
  db.exec(
      "CREATE TABLE IF NOT EXISTS evaluations (id TEXT, target_dataset TEXT, target_classes TEXT, "
      "method TEXT, algorithm TEXT, dataset TEXT, classes TEXT, seed INTEGER, shots INTEGER, "
      "test_acc REAL, test_images INTEGER, num_classes INTEGER, evaluation TEXT, "
      "PRIMARY KEY (id, target_dataset, target_classes))");
}

/// The evaluations of a trial's current result (trials/<id>/evaluations/*.json whose
/// learned_prompt_sha256 and config_sha256 are result.json's), in file-name order.
std::vector<Json> current_evaluations(const fs::path& dir, const Json& result) {
  std::vector<Json> out;
  const fs::path folder = dir / "evaluations";
  if (!result.is_object() || !fs::is_directory(folder)) return out;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const Json e = Json::parse(core::read_file(f), nullptr, false);
    if (e.is_discarded() || !e.is_object()) continue;
    if (e.value("learned_prompt_sha256", "") != result.value("learned_prompt_sha256", "") ||
        e.value("config_sha256", "") != result.value("config_sha256", "")) {
      continue;  // of an earlier result of this directory
    }
    out.push_back(e);
  }
  return out;
}

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

/// Writes the rows of `sql` to `path` as CSV with a header of its column names (atomically).
void write_query_csv(Database& db, const std::string& sql, const std::string& path) {
  Statement select(db, sql);
  std::ostringstream csv;
  for (int c = 0; c < select.columns(); ++c) csv << (c ? "," : "") << select.column_name(c);
  csv << "\n";
  while (select.step()) {
    for (int c = 0; c < select.columns(); ++c) csv << (c ? "," : "") << csv_field(select.text(c));
    csv << "\n";
  }
  core::write_file_atomic(path, csv.str());
}

/// The CSV: the trials table without the bulky JSON columns, one row per trial, in plan order.
void write_csv(Database& db, const std::string& path) {
  std::string columns = "id, method, algorithm, dataset, seed, shots, status";
  for (const auto& c : kResultColumns) columns += ", " + c;
  columns += ", overrides, reason";
  write_query_csv(db, "SELECT " + columns + " FROM trials ORDER BY method, dataset, seed, id",
                  path);
}

/// The JSON-lines view: one line per done or failed trial, {"id", "status": "done", "result":
/// {result.json}} or {"id", "status": "failed", "reason"}, in the CSV's order.
void write_jsonl(Database& db, const std::string& path) {
  Statement select(db,
                   "SELECT id, status, reason, result FROM trials WHERE status IN ('done', "
                   "'failed') ORDER BY method, dataset, seed, id");
  std::ostringstream out;
  while (select.step()) {
    nlohmann::ordered_json line;
    line["id"] = select.text(0);
    line["status"] = select.text(1);
    if (select.text(1) == "done") {
      line["result"] = nlohmann::ordered_json::parse(select.text(3));
    } else {
      line["reason"] = select.text(2);
    }
    out << line.dump() << "\n";
  }
  core::write_file_atomic(path, out.str());
}

/// evaluations.csv: one row per (trial, target), in order of method, dataset, seed, target.
void write_evaluations_csv(Database& db, const std::string& path) {
  write_query_csv(db,
                  "SELECT id, method, algorithm, dataset, classes, seed, shots, target_dataset, "
                  "target_classes, test_acc, test_images, num_classes FROM evaluations ORDER BY "
                  "method, dataset, classes, seed, target_dataset, target_classes, id",
                  path);
}

}  // namespace

MergeSummary SweepStore::merge() const {
  const auto lock = core::FileLock::wait(dir_ + "/store.lock");
  Database db(dir_ + "/results.sqlite");
  create_tables(db);
  std::string names = "id, method, algorithm, dataset, seed, shots, status, reason";
  std::string marks = "?, ?, ?, ?, ?, ?, ?, ?";
  for (const auto& c : kResultColumns) {
    names += ", " + c;
    marks += ", ?";
  }
  names += ", overrides, config, result, signature";
  marks += ", ?, ?, ?, ?";
  Statement upsert(db, "INSERT OR REPLACE INTO trials (" + names + ") VALUES (" + marks + ")");
  Statement signature_of(db, "SELECT signature FROM trials WHERE id = ?");
  Statement clear_metrics(db, "DELETE FROM metrics WHERE id = ?");
  Statement add_metric(db, "INSERT OR REPLACE INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?)");
  Statement clear_evaluations(db, "DELETE FROM evaluations WHERE id = ?");
  Statement add_evaluation(
      db, "INSERT OR REPLACE INTO evaluations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

  MergeSummary summary;
  db.exec("BEGIN IMMEDIATE");
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(dir_ + "/trials")) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& d : dirs) {
    const std::string trial_json = (d / "trial.json").string();
    if (!core::is_regular_file(trial_json))
      continue;  // not a planned trial (e.g. a stray directory)
    ++summary.trials;
    PlannedTrial trial;
    try {
      trial = planned_trial_from_json(Json::parse(core::read_file(trial_json)));
    } catch (const std::exception& e) {  // one unreadable directory must not hide the others
      std::fprintf(stderr, "bbpt: %s: skipped in the merge: %s\n", trial_json.c_str(), e.what());
      continue;
    }
    const auto s = status(trial.id);
    const std::string result_text =
        s.state == TrialState::kDone || s.trained ? core::read_file(d / "result.json") : "";
    const auto evaluations = current_evaluations(
        d, result_text.empty() ? Json() : Json::parse(result_text, nullptr, false));
    std::string evaluations_text;
    for (const auto& e : evaluations) evaluations_text += e.dump() + "\n";
    const std::string signature = std::string(to_string(s.state)) + ":" +
                                  core::sha256_hex(result_text + s.reason + evaluations_text);
    signature_of.bind(1, trial.id);
    const bool unchanged = signature_of.step() && signature_of.text(0) == signature;
    signature_of.run();
    if (unchanged) continue;
    const Json result = result_text.empty() ? Json() : Json::parse(result_text);
    int at = 1;
    for (const Json& v : {Json(trial.id), Json(trial.method), Json(trial.algorithm),
                          Json(trial.dataset), Json(trial.seed), Json(trial.shots),
                          Json(to_string(s.state)), s.reason.empty() ? Json() : Json(s.reason)}) {
      upsert.bind(at++, v);
    }
    for (const auto& c : kResultColumns)
      upsert.bind(at++, result.is_object() && result.contains(c) ? result[c] : Json());
    upsert.bind(at++, trial.overrides.dump());
    upsert.bind(at++, trial.config.dump());
    upsert.bind(at++, result_text.empty() ? Json() : Json(result.dump()));
    upsert.bind(at++, signature);
    upsert.run();
    clear_metrics.bind(1, trial.id);
    clear_metrics.run();
    clear_evaluations.bind(1, trial.id);
    clear_evaluations.run();
    for (const auto& e : evaluations) {
      int column = 1;
      for (const Json& v :
           {Json(trial.id), e.value("target_dataset", Json()), e.value("target_classes", Json()),
            Json(trial.method), Json(trial.algorithm), Json(trial.dataset),
            e.value("classes", Json("all")), Json(trial.seed), Json(trial.shots),
            e.value("test_acc", Json()), e.value("test_images", Json()),
            e.value("num_classes", Json()), Json(e.dump())}) {
        add_evaluation.bind(column++, v);
      }
      add_evaluation.run();
    }
    if (s.state == TrialState::kDone) {
      std::istringstream lines(core::read_file(d / "metrics.jsonl"));
      for (std::string line; std::getline(lines, line);) {
        const auto m = Json::parse(line, nullptr, false);
        if (m.is_discarded())
          continue;  // result.json is valid, so this cannot be a cut line; skip defensively
        add_metric.bind(1, trial.id);
        add_metric.bind(2, m.value("step", Json()));
        add_metric.bind(3, m.value("queries", Json()));
        add_metric.bind(4, m.value("train_loss", Json()));
        add_metric.bind(5, m.value("train_acc", Json()));
        add_metric.bind(6, m.value("test_acc_subset", Json()));
        add_metric.bind(7, line);
        add_metric.run();
      }
    }
    ++summary.updated;
  }
  db.exec("COMMIT");
  write_csv(db, dir_ + "/results.csv");
  write_jsonl(db, dir_ + "/results.jsonl");
  write_evaluations_csv(db, dir_ + "/evaluations.csv");
  return summary;
}

}  // namespace bbpt::sweep
