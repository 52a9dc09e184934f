// SPDX-License-Identifier: MIT
// Sweep files: products, ranges, zips, per-method grids and includes expand as documented (grid.h);
// duplicates and unknown keys are refused with file, line and key; ids do not depend on key order
// or number spelling, and growing a grid keeps the ids of the trials it had.
#include "bbpt/sweep/grid.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "bbpt/core/error.h"
#include "plan_fixture.h"

namespace bbpt::sweep {
namespace {

namespace fs = std::filesystem;

class Grid : public testing::PlanFixture {
 protected:
  Grid() : PlanFixture("bbpt_grid_") {}

  Sweep load(const std::string& text) { return load_sweep(write("sweep.yaml", text), options_); }
  std::string error_of(const std::string& text) {
    try {
      load(text);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(Grid, ProductOfAxesAndMethodsInOrderWithUniqueIds) {
  const auto s = load(
      "name: demo\n"
      "set: {budget: 100}\n"
      "grid:\n"
      "  dataset: [fmnist, mnist]\n"
      "  seed: [1, 2, 3]\n"
      "methods:\n"
      "  zip: {}\n"
      "  bptvlm: {}\n");
  EXPECT_EQ(s.name, "demo");
  ASSERT_EQ(s.trials.size(), 12u);
  // Methods outermost, then dataset, then seed (the last axis turns fastest).
  EXPECT_EQ(s.trials[0].method, "zip");
  EXPECT_EQ(s.trials[0].dataset, "fmnist");
  EXPECT_EQ(s.trials[0].seed, 1u);
  EXPECT_EQ(s.trials[1].seed, 2u);
  EXPECT_EQ(s.trials[3].dataset, "mnist");
  EXPECT_EQ(s.trials[6].method, "bptvlm");
  EXPECT_EQ(s.trials[6].algorithm, "bptvlm");
  std::set<std::string> ids;
  for (const auto& t : s.trials) {
    ids.insert(t.id);
    EXPECT_EQ(t.id.size(), 16u);
    EXPECT_EQ(t.config["budget"], 100);
    EXPECT_EQ(t.shots, 16);  // TrialSpec's default, written into the config
    EXPECT_EQ(t.model, options_.default_model);
  }
  EXPECT_EQ(ids.size(), 12u);
  EXPECT_EQ(s.trials[0].index, 0);
  EXPECT_EQ(s.trials[11].index, 11);
}

TEST_F(Grid, RangesExcludeTheirStopAndTakeAStep) {
  const auto s = load(
      "grid:\n"
      "  dataset: [fmnist]\n"
      "  seed: {range: [1, 4]}\n"
      "  spsa_a: {range: [0.01, 0.04, 0.01]}\n"
      "methods: {zip: {}}\n");
  ASSERT_EQ(s.trials.size(), 9u);
  EXPECT_EQ(s.trials[0].seed, 1u);
  EXPECT_EQ(s.trials[8].seed, 3u);
  EXPECT_DOUBLE_EQ(s.trials[0].config["spsa_a"].get<double>(), 0.01);
  EXPECT_DOUBLE_EQ(s.trials[2].config["spsa_a"].get<double>(), 0.03);
  // (0.4 - 0.1) / 0.1 is 3.0000000000000004 in doubles: still three values, 0.4 excluded.
  EXPECT_EQ(
      load("grid: {dataset: [fmnist], spsa_c: {range: [0.1, 0.4, 0.1]}}\nmethods: {zip: {}}\n")
          .trials.size(),
      3u);
  EXPECT_NE(error_of("grid: {dataset: [fmnist], seed: {range: [3, 3]}}\nmethods: {zip: {}}\n")
                .find("sweep.yaml:1: seed: range [3, 3) with step 1 is empty"),
            std::string::npos);
  EXPECT_NE(error_of("grid: {dataset: [fmnist], seed: {range: [1, 3, 0]}}\nmethods: {zip: {}}\n")
                .find("step must not be 0"),
            std::string::npos);
}

TEST_F(Grid, ZippedAxesAdvanceTogether) {
  const auto s = load(
      "grid: {dataset: [fmnist], seed: [1, 2]}\n"
      "zip:\n"
      "  - {spsa_a: [0.01, 0.02, 0.04], spsa_c: [0.1, 0.2, 0.4]}\n"
      "methods: {zip: {}}\n");
  ASSERT_EQ(s.trials.size(), 6u);  // 2 seeds x 3 zipped pairs
  for (const auto& t : s.trials) {
    EXPECT_DOUBLE_EQ(t.config["spsa_c"].get<double>(), 10 * t.config["spsa_a"].get<double>());
  }
  EXPECT_NE(error_of("grid: {dataset: [fmnist]}\nzip:\n  - {spsa_a: [0.01, 0.02], spsa_c: "
                     "[0.1]}\nmethods: {zip: {}}\n")
                .find("sweep.yaml:3: zip: spsa_c has 1 values but spsa_a has 2; zipped axes need "
                      "equal lengths"),
            std::string::npos);
}

TEST_F(Grid, PerMethodGridsAndSetsApplyToTheirMethodOnly) {
  const auto s = load(
      "set: {dataset: fmnist, budget: 200}\n"
      "methods:\n"
      "  zip: {}\n"
      "  zip-rank1: {config: zip, set: {rank: 1, budget: 300}}\n"
      "  bptvlm: {grid: {sigma0: [0.5, 1.0]}}\n"
      "  zeroshot: {grid: {seed: [1]}}\n"
      "grid: {seed: [1, 2]}\n");
  ASSERT_EQ(s.trials.size(),
            9u);  // 2 seeds x (zip, zip-rank1, 2 bptvlm) + zero-shot on its own seed axis
  EXPECT_EQ(s.trials[0].config["rank"], 5);
  EXPECT_EQ(s.trials[2].method, "zip-rank1");
  EXPECT_EQ(s.trials[2].algorithm, "zip");
  EXPECT_EQ(s.trials[2].config["rank"], 1);
  EXPECT_EQ(s.trials[2].config["budget"], 300);  // the method's set wins over the top-level one
  EXPECT_DOUBLE_EQ(s.trials[4].config["sigma0"].get<double>(), 0.5);  // seed 1, sigma0 0.5
  EXPECT_DOUBLE_EQ(s.trials[5].config["sigma0"].get<double>(), 1.0);
  EXPECT_EQ(s.trials[8].algorithm, "zeroshot");
  EXPECT_EQ(s.trials[8].seed, 1u);
}

TEST_F(Grid, IncludesAreReadFirstAndThisFileWins) {
  write("common.yaml",
        "set: {budget: 100, shots: 8}\ngrid: {dataset: [fmnist, mnist]}\nmethods: {zip: {}}\n");
  const auto s = load("include: common.yaml\nset: {budget: 50}\ngrid: {seed: [1, 2]}\n");
  ASSERT_EQ(s.trials.size(), 4u);
  EXPECT_EQ(s.trials[0].config["budget"], 50);
  EXPECT_EQ(s.trials[0].shots, 8);
  write("a.yaml", "include: b.yaml\n");
  write("b.yaml", "include: a.yaml\n");
  EXPECT_NE(error_of("include: a.yaml\nmethods: {zip: {}}\n").find("include cycle"),
            std::string::npos);
}

TEST_F(Grid, RefusesDuplicatesWithTheirLine) {
  EXPECT_NE(
      error_of(
          "grid: {dataset: [fmnist]}\nmethods: {zip: {}}\nset: {budget: 1}\nset: {budget: 2}\n")
          .find("sweep.yaml:4: set: duplicate key (first at "),
      std::string::npos);
  EXPECT_NE(error_of("grid:\n  dataset: [fmnist]\n  seed: [1, 2, 1]\nmethods: {zip: {}}\n")
                .find("sweep.yaml:3: seed: value 1 is listed twice"),
            std::string::npos);
  // Two entries that resolve to one config would run the same trial twice.
  EXPECT_NE(error_of("grid: {dataset: [fmnist]}\nmethods:\n  zip: {}\n  zip-again: {config: zip}\n")
                .find("resolves to the same config as"),
            std::string::npos);
  EXPECT_NE(error_of("grid: {dataset: [fmnist], budget: [1, 2]}\nzip:\n  - {budget: [3, "
                     "4]}\nmethods: {zip: {}}\n")
                .find("budget: already an axis at"),
            std::string::npos);
}

TEST_F(Grid, RefusesUnknownKeysWithFileLineAndKey) {
  EXPECT_NE(error_of("grid: {dataset: [fmnist]}\nmethods: {zip: {}}\nexecutor: {}\n")
                .find("sweep.yaml:3: executor: unknown key (valid: name, include, model, set, "
                      "grid, zip, evaluate, methods, executors)"),
            std::string::npos);
  EXPECT_NE(error_of("grid: {dataset: [fmnist]}\nmethods:\n  zip: {sett: {}}\n")
                .find("sweep.yaml:3: methods.zip.sett: unknown key"),
            std::string::npos);
  const auto typo = error_of("grid: {dataset: [fmnist]}\nset:\n  budgt: 10\nmethods: {zip: {}}\n");
  EXPECT_NE(typo.find("sweep.yaml:3: budgt: not an option of method zip"), std::string::npos)
      << typo;
  EXPECT_NE(error_of("grid: {dataset: [fmnist]}\nmethods: {nosuch: {}}\n").find("method config"),
            std::string::npos);
  EXPECT_NE(error_of("methods: {zip: {}}\n").find("no dataset"), std::string::npos);
}

TEST_F(Grid, IdsIgnoreKeyOrderAndNumberSpelling) {
  const auto a =
      load("set: {dataset: fmnist, spsa_a: 0.001, budget: 5000, seed: 1}\nmethods: {zip: {}}\n");
  const auto b = load("set: {budget: 5e3, spsa_a: 1e-3, dataset: fmnist}\nmethods: {zip: {}}\n");
  const auto c =
      load("set: {budget: 5000.0, spsa_a: 0.0010, dataset: 'fmnist'}\nmethods: {zip: {}}\n");
  EXPECT_EQ(a.trials.at(0).id, b.trials.at(0).id);
  EXPECT_EQ(a.trials.at(0).id, c.trials.at(0).id);
  const auto d = load("set: {budget: 5001, spsa_a: 0.001, dataset: fmnist}\nmethods: {zip: {}}\n");
  EXPECT_NE(a.trials.at(0).id, d.trials.at(0).id);
  // Another model is another trial.
  std::ofstream(dir_ / "model.pt", std::ios::app) << "retrained";
  const auto e =
      load_sweep(write("again.yaml",
                       "set: {dataset: fmnist, spsa_a: 0.001, budget: 5000}\nmethods: {zip: {}}\n"),
                 options_);
  EXPECT_NE(a.trials.at(0).id, e.trials.at(0).id);
}

TEST_F(Grid, GrowingAGridKeepsTheIdsOfItsTrials) {
  const auto small = load("grid: {dataset: [fmnist], seed: [1, 2]}\nmethods: {zip: {}}\n");
  const auto grown =
      load("grid: {dataset: [fmnist, mnist], seed: [1, 2, 3]}\nmethods: {zip: {}, spsa-gc: {}}\n");
  std::set<std::string> grown_ids;
  for (const auto& t : grown.trials) grown_ids.insert(t.id);
  for (const auto& t : small.trials) EXPECT_TRUE(grown_ids.count(t.id)) << t.id;
  EXPECT_EQ(grown.trials.size(), 12u);
}

TEST(CanonicalScalar, TypesScalarsAsTheirValues) {
  EXPECT_EQ(canonical_scalar("5e3", false), 5000);
  EXPECT_EQ(canonical_scalar("5000.0", false), 5000);
  EXPECT_EQ(canonical_scalar("1e-3", false), 0.001);
  EXPECT_EQ(canonical_scalar("yes", false), true);
  EXPECT_EQ(canonical_scalar("1", true), "1");  // quoted: text
  EXPECT_EQ(canonical_scalar("0x10", false), "0x10");
  EXPECT_EQ(canonical_scalar("fmnist", false), "fmnist");
}

// A sweep stores every trial's config and the config is the trial's identity, so a URL with
// credentials cannot be stored redacted: it is refused, naming the line and key, and the message
// itself does not repeat the credentials.
TEST_F(Grid, UrlsWithCredentialsAreRefused) {
  const auto message = error_of(
      "set: {dataset: fmnist, llm_base_url: 'http://user:s3cret@10.0.0.1:8000/v1'}\n"
      "methods: {llm-opt: {}}\n");
  EXPECT_NE(
      message.find("sweep.yaml:1: llm_base_url: http://***@10.0.0.1:8000/v1 carries credentials"),
      std::string::npos)
      << message;
  EXPECT_EQ(message.find("s3cret"), std::string::npos) << message;
  EXPECT_NE(
      error_of(
          "set: {dataset: fmnist, llm_base_url: 'http://h/v1?api_key=k'}\nmethods: {llm-opt: {}}\n")
          .find("carries credentials"),
      std::string::npos);
  EXPECT_EQ(load("set: {dataset: fmnist, llm_base_url: 'http://10.0.0.1:8000/v1'}\nmethods: "
                 "{llm-opt: {}}\n")
                .trials.size(),
            1u);
}

// Only the budget ends a zip/bptvlm/spsa-gc/bar run: budget 0 there would query forever, so the
// plan is refused at the line that set it; zeroshot, coop and the LLM methods keep 0 = no cap.
TEST_F(Grid, ZeroBudgetIsRefusedWhereTheBudgetEndsTheRun) {
  const auto message = error_of(
      "set: {dataset: fmnist}\nmethods:\n  zeroshot: {set: {budget: 0}}\n"
      "  zip: {set: {budget: 0}}\n");
  EXPECT_NE(message.find("sweep.yaml:4: budget = 0: zip needs a positive number of queries"),
            std::string::npos)
      << message;
  EXPECT_EQ(
      load("set: {dataset: fmnist, budget: 0}\nmethods: {zeroshot: {}, coop: {}, llm-opt: {}}\n")
          .trials.size(),
      3u);
}

}  // namespace
}  // namespace bbpt::sweep

namespace bbpt::sweep {
namespace {

// classes (all | base | new) is a trial key: base and new are other trials, and `classes: all`
// is the default, the same trial (and id) as a config without the key.
TEST_F(Grid, ClassesIsATrialKeyWhoseDefaultKeepsTheId) {
  const auto s = load(
      "set: {budget: 100, dataset: fmnist}\n"
      "grid: {classes: [all, base, new]}\n"
      "methods: {zip: {}}\n");
  ASSERT_EQ(s.trials.size(), 3u);
  EXPECT_FALSE(s.trials[0].config.contains("classes"));
  EXPECT_EQ(s.trials[1].config["classes"], "base");
  EXPECT_EQ(s.trials[2].config["classes"], "new");
  const auto plain = load("set: {budget: 100, dataset: fmnist}\nmethods: {zip: {}}\n");
  EXPECT_EQ(plain.trials[0].id, s.trials[0].id);
  EXPECT_NE(s.trials[1].id, s.trials[2].id);
  const auto message = error_of(
      "set: {budget: 100, dataset: fmnist, classes: half}\n"
      "methods: {zip: {}}\n");
  EXPECT_NE(message.find("sweep.yaml:1: classes = 'half': expected all, base"), std::string::npos)
      << message;
}

// evaluate: targets follow the trial (no dataset: its own), a method's list replaces the top
// level's, and they are not part of the trial's id.
TEST_F(Grid, EvaluateTargetsFollowTheTrialAndLeaveItsIdAlone) {
  const auto s = load(
      "set: {budget: 100, classes: base}\n"
      "grid: {dataset: [fmnist, mnist]}\n"
      "evaluate: [{classes: base}, {classes: new}, {dataset: cifar10}, {classes: new}]\n"
      "methods:\n"
      "  zip: {}\n"
      "  bptvlm: {evaluate: [{dataset: mnist, classes: new}]}\n");
  ASSERT_EQ(s.trials.size(), 4u);
  const nlohmann::json zip_fmnist = {{{"dataset", "fmnist"}, {"classes", "base"}},
                                     {{"dataset", "fmnist"}, {"classes", "new"}},
                                     {{"dataset", "cifar10"}, {"classes", "all"}}};
  EXPECT_EQ(s.trials[0].evaluate, zip_fmnist);
  EXPECT_EQ(s.trials[1].evaluate[1]["dataset"], "mnist");
  EXPECT_EQ(s.trials[2].evaluate, (nlohmann::json{{{"dataset", "mnist"}, {"classes", "new"}}}));
  EXPECT_EQ(planned_trial_from_json(to_json(s.trials[0])).evaluate, zip_fmnist);
  const auto without = load(
      "set: {budget: 100, classes: base}\n"
      "grid: {dataset: [fmnist, mnist]}\n"
      "methods: {zip: {}, bptvlm: {}}\n");
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(without.trials[i].id, s.trials[i].id);
  EXPECT_TRUE(without.trials[0].evaluate.empty());
  EXPECT_FALSE(to_json(without.trials[0]).contains("evaluate"));

  auto message = error_of(
      "set: {budget: 100, dataset: fmnist}\n"
      "evaluate: [{dataset: mnist, classes: old}]\n"
      "methods: {zip: {}}\n");
  EXPECT_NE(message.find("sweep.yaml:2"), std::string::npos) << message;
  EXPECT_NE(message.find("classes = 'old'"), std::string::npos) << message;
  message = error_of(
      "set: {budget: 100, dataset: fmnist}\n"
      "evaluate: [{datset: mnist}]\n"
      "methods: {zip: {}}\n");
  EXPECT_NE(message.find("sweep.yaml:2"), std::string::npos) << message;
  EXPECT_NE(message.find("evaluate.datset: unknown key (valid: dataset, classes)"),
            std::string::npos)
      << message;
  message = error_of(
      "set: {budget: 100, dataset: fmnist}\n"
      "evaluate: {dataset: mnist}\n"
      "methods: {zip: {}}\n");
  EXPECT_NE(message.find("evaluate: expected a list of targets"), std::string::npos) << message;
}

// The paper-protocol sweep files next to jobs/zip_fewshot.yaml plan without error (with a stand-in
// model: a trial's id needs the checkpoint's sha256), with the trials and evaluations they promise.
TEST_F(Grid, PaperProtocolSweepFilesPlan) {
  options_.model_override = options_.default_model;
  const auto plan = [&](const std::string& name) {
    return load_sweep(std::string(BBPT_SOURCE_DIR) + "/jobs/" + name, options_);
  };
  const auto fewshot = plan("zip_fewshot.yaml");
  EXPECT_EQ(fewshot.trials.size(), 169u);
  const auto b2n = plan("zip_base2new.yaml");
  ASSERT_EQ(b2n.trials.size(), 169u);
  for (const auto& t : b2n.trials) {
    EXPECT_EQ(t.config["classes"], "base");
    ASSERT_EQ(t.evaluate.size(), 2u);
    EXPECT_EQ(t.evaluate[0], (nlohmann::json{{"dataset", t.dataset}, {"classes", "base"}}));
    EXPECT_EQ(t.evaluate[1], (nlohmann::json{{"dataset", t.dataset}, {"classes", "new"}}));
  }
  const auto cross = plan("zip_crossdataset.yaml");
  const auto ood = plan("zip_ood.yaml");
  ASSERT_EQ(cross.trials.size(), 13u);
  ASSERT_EQ(ood.trials.size(), 13u);
  for (size_t i = 0; i < cross.trials.size(); ++i) {
    EXPECT_EQ(cross.trials[i].dataset, "coop:ImageNet");
    EXPECT_EQ(cross.trials[i].evaluate.size(), 12u);
    EXPECT_EQ(ood.trials[i].evaluate.size(), 4u);
    EXPECT_EQ(cross.trials[i].id, ood.trials[i].id);  // one training, two sets of targets
  }
  EXPECT_EQ(ood.trials[0].evaluate[2]["dataset"], "coop:ImageNetA");
  const auto ipo = plan("ipo_base2new.yaml");
  ASSERT_EQ(ipo.trials.size(), 33u);
  for (const auto& t : ipo.trials) {
    EXPECT_EQ(t.algorithm, "ipo");
    EXPECT_EQ(t.shots, 1);
    EXPECT_EQ(t.evaluate.size(), 2u);
  }
}

// The demo and the testbed's sweep files (issue #17) plan on the qualifying tasks: the demo's 39
// trials, the method table's 48 (without augmentation and under the paper's protocol), the
// clipping ablation's 63 (each threshold its own trial) and the step-size and capacity
// ablations' 36 each.
TEST_F(Grid, DemoAndTestbedSweepFilesPlanOnTheQualifyingTasks) {
  options_.model_override = options_.default_model;
  const auto plan = [&](const std::string& name) {
    return load_sweep(std::string(BBPT_SOURCE_DIR) + "/jobs/" + name, options_);
  };
  const std::set<std::string> tasks = {"fmnist-invert", "fmnist-lowcontrast", "mnist-invert"};
  const auto demo = plan("demo.yaml");
  const auto methods = plan("testbed_methods.yaml");
  const auto clip = plan("testbed_clip.yaml");
  EXPECT_EQ(demo.trials.size(), 39u);
  EXPECT_EQ(methods.trials.size(), 48u);
  ASSERT_EQ(clip.trials.size(), 63u);
  for (const auto* sweep : {&demo, &methods, &clip}) {
    for (const auto& t : sweep->trials) {
      EXPECT_TRUE(tasks.count(t.dataset)) << sweep->name << ": " << t.dataset;
      EXPECT_EQ(t.config["views"], 0) << sweep->name;
    }
  }
  std::set<std::string> clip_settings;
  for (const auto& t : clip.trials) {
    EXPECT_EQ(t.algorithm, "zip");
    EXPECT_EQ(t.config["budget"], 5000);
    clip_settings.insert(t.config["clip"].get<std::string>() + " " +
                         t.config["clip_threshold"].dump());
  }
  EXPECT_EQ(clip_settings.size(), 7u);

  // The step-size ablation: ZIP at 4 values of spsa_a, otherwise the method table's ZIP trials.
  const auto step = plan("testbed_zip_step.yaml");
  ASSERT_EQ(step.trials.size(), 36u);
  std::set<double> step_sizes;
  for (const auto& t : step.trials) {
    EXPECT_TRUE(tasks.count(t.dataset)) << t.dataset;
    EXPECT_EQ(t.algorithm, "zip");
    EXPECT_EQ(t.config["views"], 0);
    EXPECT_EQ(t.config["budget"], 5000);
    step_sizes.insert(t.config["spsa_a"].get<double>());
  }
  EXPECT_EQ(step_sizes, (std::set<double>{0.01, 0.03, 0.1, 0.3}));

  // The capacity ablation: ZIP's code dense or low-rank, at intrinsic dimension 500 or 1,024.
  const auto capacity = plan("testbed_zip_capacity.yaml");
  ASSERT_EQ(capacity.trials.size(), 36u);
  std::set<std::string> codes;
  for (const auto& t : capacity.trials) {
    EXPECT_TRUE(tasks.count(t.dataset)) << t.dataset;
    EXPECT_EQ(t.algorithm, "zip");
    EXPECT_EQ(t.config["views"], 0);
    codes.insert(t.config["intrinsic_dim"].dump() + " " + t.config["low_rank"].dump());
  }
  EXPECT_EQ(codes, (std::set<std::string>{"500 true", "500 false", "1024 true", "1024 false"}));

  // The paper-protocol table: the same 48 trials with each method's own augmented views.
  const auto paper = plan("testbed_methods_paper.yaml");
  ASSERT_EQ(paper.trials.size(), 48u);
  for (const auto& t : paper.trials) {
    EXPECT_TRUE(tasks.count(t.dataset)) << t.dataset;
    if (t.config.contains("views")) EXPECT_EQ(t.config["views"], 8) << t.algorithm;
  }
}

}  // namespace
}  // namespace bbpt::sweep
