// SPDX-License-Identifier: MIT
// The base-to-new and cross-dataset protocols end to end on the embedded testbed
// (docs/protocols.md): `bbpt sweep run` trains ZIP on Fashion-MNIST's base classes and on
// Fashion-MNIST and MNIST (all classes) with the golden tiny CLIP and a tiny budget, evaluates each
// learned prompt on the targets of its `evaluate:` list, records one row per (trial, target) in
// evaluations.csv, redoes nothing on a second run, runs only a target added later, and `bbpt
// report` has the base-to-new and cross-dataset tables. `bbpt eval` gives the stored numbers again.
// Skips when the golden model or the prepared fmnist/mnist are missing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "bbpt/core/file_io.h"
#include "run_fixture.h"

namespace {
namespace fs = std::filesystem;
using bbpt::testing::run_to_end;
using Json = nlohmann::json;

std::string sweep_text(const std::string& extra_cross_target) {
  return "name: protocols\n"
         "model: " +
         bbpt::testing::kGoldenModel +
         "\n"
         "set: {budget: 20, shots: 2, views: 0, eval_every: 0}\n"
         "methods:\n"
         "  zip-b2n:\n"
         "    config: zip\n"
         "    set: {dataset: fmnist, classes: base}\n"
         "    evaluate: [{classes: base}, {classes: new}]\n"
         "  zip-cross:\n"
         "    config: zip\n"
         "    grid: {dataset: [fmnist, mnist]}\n"
         "    evaluate: [{dataset: fmnist}, {dataset: mnist}" +
         extra_cross_target + "]\n";
}

/// trial id -> its result.json, and (trial id, target) -> its evaluation, from the store.
struct StoreContents {
  std::map<std::string, Json> results;
  std::map<std::pair<std::string, std::string>, Json> evaluations;
  std::map<std::string, fs::file_time_type> written;  // evaluation and result files: mtimes
};

StoreContents read_store(const std::string& dir) {
  StoreContents out;
  for (const auto& trial : fs::directory_iterator(dir + "/trials")) {
    const std::string id = trial.path().filename().string();
    const auto result = trial.path() / "result.json";
    if (!fs::exists(result)) continue;
    out.results[id] = Json::parse(bbpt::core::read_file(result.string()));
    out.written[result.string()] = fs::last_write_time(result);
    if (!fs::exists(trial.path() / "evaluations")) continue;
    for (const auto& e : fs::directory_iterator(trial.path() / "evaluations")) {
      const auto j = Json::parse(bbpt::core::read_file(e.path().string()));
      out.evaluations[{id, j["target_dataset"].get<std::string>() + "/" +
                               j["target_classes"].get<std::string>()}] = j;
      out.written[e.path().string()] = fs::last_write_time(e.path());
    }
  }
  return out;
}

std::string id_of(const StoreContents& s, const std::string& dataset, const std::string& classes) {
  for (const auto& [id, r] : s.results) {
    if (r["dataset"] == dataset && r.value("classes", "all") == classes) return id;
  }
  return "";
}

TEST(Protocols, BaseToNewAndCrossDatasetThroughASweep) {
  std::string why;
  if (!bbpt::testing::run_fixture_ready(&why)) GTEST_SKIP() << why;
  if (!fs::exists(bbpt::testing::data_dir() + "/mnist/.bbpt-prepared")) {
    GTEST_SKIP() << "mnist is not prepared (run scripts/prepare_data.sh)";
  }
  // Its own folder (by pid): another run of this test must not remove it under it.
  const auto root =
      fs::temp_directory_path() / ("bbpt_protocols_test_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  const std::string file = (root / "protocols.yaml").string();
  const std::string store = (root / "store").string();
  std::ofstream(file) << sweep_text("");
  const auto first = run_to_end({BBPT_EXECUTABLE, "sweep", "run", file, "--dir", store});
  ASSERT_EQ(first.code, 0) << first.output;

  const auto s = read_store(store);
  ASSERT_EQ(s.results.size(), 3u);
  ASSERT_EQ(s.evaluations.size(), 6u);
  const std::string b2n = id_of(s, "fmnist", "base");
  const std::string fmnist = id_of(s, "fmnist", "all");
  const std::string mnist = id_of(s, "mnist", "all");
  ASSERT_FALSE(b2n.empty() || fmnist.empty() || mnist.empty());

  // Base-to-new: the trial trains and tests on the first 5 of Fashion-MNIST's 10 classes (its
  // 2-shot sample cut to them); its prompt on the base target is its own test accuracy, on the
  // new target the other 5 classes.
  const auto& base = s.evaluations.at({b2n, "fmnist/base"});
  const auto& fresh = s.evaluations.at({b2n, "fmnist/new"});
  EXPECT_EQ(base["test_acc"], s.results.at(b2n)["test_acc"]);
  EXPECT_EQ(base["num_classes"], 5);
  EXPECT_EQ(fresh["num_classes"], 5);
  EXPECT_EQ(base["test_images"].get<int64_t>() + fresh["test_images"].get<int64_t>(), 10000);
  const auto few_shot =
      Json::parse(bbpt::core::read_file(store + "/trials/" + b2n + "/few_shot.json"));
  EXPECT_EQ(few_shot["classes"], "base");
  EXPECT_EQ(few_shot["train"].size(), 10u);  // 2 shots x 5 base classes

  // Cross-dataset: each prompt on its own dataset gives its test accuracy bit for bit, and on the
  // other dataset that dataset's 10 classes.
  EXPECT_EQ(s.evaluations.at({fmnist, "fmnist/all"})["test_acc"], s.results.at(fmnist)["test_acc"]);
  EXPECT_EQ(s.evaluations.at({mnist, "mnist/all"})["test_acc"], s.results.at(mnist)["test_acc"]);
  const auto& transfer = s.evaluations.at({fmnist, "mnist/all"});
  EXPECT_EQ(transfer["num_classes"], 10);
  EXPECT_GT(transfer["test_acc"].get<double>(), 0.0);
  EXPECT_LE(transfer["test_acc"].get<double>(), 1.0);

  // One row per (trial, target).
  const auto csv = bbpt::core::read_file(store + "/evaluations.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 7) << csv;

  // bbpt eval reads the stored evaluation back (and --force evaluates again to the same number).
  for (const bool force : {false, true}) {
    std::vector<std::string> args = {
        BBPT_EXECUTABLE, "eval",  "--trial", store + "/trials/" + fmnist,
        "--dataset",     "mnist", "--json"};
    if (force) args.push_back("--force");
    const auto eval = run_to_end(args);
    ASSERT_EQ(eval.code, 0) << eval.output;
    const auto j = Json::parse(eval.output.substr(eval.output.find('{')));
    EXPECT_EQ(j["test_acc"], transfer["test_acc"]);
  }

  // Run again: nothing is trained or evaluated again.
  const auto written = read_store(store).written;
  const auto second = run_to_end({BBPT_EXECUTABLE, "sweep", "run", file, "--dir", store});
  ASSERT_EQ(second.code, 0) << second.output;
  EXPECT_EQ(read_store(store).written, written);

  // A target added later: the same trials (ids), only the new evaluations run.
  std::ofstream(file) << sweep_text(", {dataset: fmnist, classes: new}");
  const auto third = run_to_end({BBPT_EXECUTABLE, "sweep", "run", file, "--dir", store});
  ASSERT_EQ(third.code, 0) << third.output;
  const auto grown = read_store(store);
  EXPECT_EQ(grown.results.size(), 3u);
  EXPECT_EQ(grown.evaluations.size(), 8u);
  for (const auto& [path, time] : written) EXPECT_EQ(grown.written.at(path), time) << path;

  // The report's protocol tables.
  const auto report = run_to_end({BBPT_EXECUTABLE, "report", store});
  ASSERT_EQ(report.code, 0) << report.output;
  const auto md = bbpt::core::read_file(store + "/report/report.md");
  EXPECT_NE(md.find("## Base-to-new"), std::string::npos) << md;
  EXPECT_NE(md.find("| zip-b2n | fmnist | "), std::string::npos) << md;
  EXPECT_NE(md.find("## Cross-dataset"), std::string::npos) << md;
  EXPECT_NE(md.find("| zip-cross | fmnist | "), std::string::npos) << md;
  // Each dataset is a source and a target: both keep their columns.
  const auto header = md.substr(md.find("| method | source | source acc |"));
  const auto header_line = header.substr(0, header.find('\n'));
  EXPECT_NE(header_line.find(" fmnist |"), std::string::npos) << header_line;
  EXPECT_NE(header_line.find(" mnist |"), std::string::npos) << header_line;
  fs::remove_all(root);
}

}  // namespace
