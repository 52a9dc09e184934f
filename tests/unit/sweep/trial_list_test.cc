// SPDX-License-Identifier: MIT
// The trial list of `bbpt pack`, planned as a sweep: fields, defaults, the line's id as the trial's
// id, errors that name file, line and field, and an edited line refused against the store.
#include "bbpt/sweep/trial_list.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "bbpt/core/error.h"
#include "plan_fixture.h"

namespace bbpt::sweep {
namespace {

namespace fs = std::filesystem;

class TrialList : public testing::PlanFixture {
 protected:
  TrialList() : PlanFixture("bbpt_trial_list_") {}

  std::string error_of(const std::string& path) {
    try {
      load_trial_list(path, options_);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }
  static std::string config(const std::string& method) {
    return std::string(BBPT_SOURCE_DIR) + "/configs/methods/" + method + ".yaml";
  }
};

TEST_F(TrialList, ReadsFieldsAndDefaultsAndSkipsBlankLines) {
  const auto path =
      write("good.jsonl", "{\"id\": \"zip-fmnist-1\", \"config\": \"" + config("zip") +
                              "\", \"dataset\": \"fmnist\", \"seed\": 3, \"shots\": 8, \"set\": "
                              "[\"budget=10\", \"views=0\"]}\n\n"
                              "{\"id\": \"b\", \"config\": \"" +
                              config("bar") + "\", \"dataset\": \"mnist\"}\n");
  const auto list = load_trial_list(path, options_);
  EXPECT_EQ(list.file, path);
  const auto& trials = list.trials;
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].id, "zip-fmnist-1");  // the line's id names the directory
  EXPECT_EQ(trials[0].method, "zip");       // the config's stem
  EXPECT_EQ(trials[0].algorithm, "zip");
  EXPECT_EQ(trials[0].dataset, "fmnist");
  EXPECT_EQ(trials[0].seed, 3u);
  EXPECT_EQ(trials[0].shots, 8);
  EXPECT_EQ(trials[0].config["budget"], 10);
  EXPECT_EQ(trials[0].config["views"], 0);
  EXPECT_EQ(trials[0].config["dataset"], "fmnist");
  EXPECT_EQ(trials[0].model, options_.default_model);
  EXPECT_EQ(trials[0].origin, path + ":1");
  EXPECT_EQ(trials[1].id, "b");
  EXPECT_EQ(trials[1].index, 1);
  EXPECT_EQ(trials[1].seed, 1u);
  EXPECT_EQ(trials[1].shots, 16);
  EXPECT_EQ(trials[1].origin, path + ":3");
  EXPECT_EQ(trials[1].overrides,
            (nlohmann::json{{"dataset", "mnist"}, {"seed", 1}, {"shots", 16}}));
  // --model replaces the default for every trial.
  options_.model_override = write("other.pt", "another stand-in");
  EXPECT_EQ(load_trial_list(path, options_).trials[1].model, options_.model_override);
}

TEST_F(TrialList, ErrorsNameFileLineAndField) {
  const std::string ok =
      "{\"id\": \"a\", \"config\": \"" + config("zip") + "\", \"dataset\": \"fmnist\"}\n";
  const std::string c = "\"config\": \"" + config("zip") + "\"";
  struct Case {
    std::string name, second_line, expected;
  };
  const std::vector<Case> cases = {
      {"json", "{\"id\": \"b\",\n", ":2: not a JSON object"},
      {"array", "[1, 2]\n", ":2: expected a JSON object"},
      {"unknown", "{\"id\": \"b\", " + c + ", \"dataset\": \"d\", \"sed\": 1}\n",
       ":2: sed: unknown field"},
      {"duplicate", ok, ":2: id: 'a' appears twice"},
      {"slash", "{\"id\": \"../x\", " + c + ", \"dataset\": \"d\"}\n",
       ":2: id: '../x' may hold only"},
      {"missing", "{\"id\": \"b\", \"dataset\": \"d\"}\n", ":2: config: missing"},
      {"seed", "{\"id\": \"b\", " + c + ", \"dataset\": \"d\", \"seed\": \"one\"}\n",
       ":2: seed: expected an integer >= 0, got \"one\""},
      {"shots", "{\"id\": \"b\", " + c + ", \"dataset\": \"d\", \"shots\": 0}\n",
       ":2: shots: expected an integer >= 1, got 0"},
      {"set", "{\"id\": \"b\", " + c + ", \"dataset\": \"d\", \"set\": [\"budget\"]}\n",
       ":2: set: \"budget\" is not a \"key=value\" string"},
      {"set_key", "{\"id\": \"b\", " + c + ", \"dataset\": \"d\", \"set\": [\"budgte=5\"]}\n",
       ":2: set: budgte: not an option of method zip"},
      {"set_seed", "{\"id\": \"b\", " + c + ", \"dataset\": \"d\", \"set\": [\"seed=5\"]}\n",
       ":2: set: seed: give it as the line's field \"seed\""},
      {"config", "{\"id\": \"b\", \"config\": \"/nonexistent/zip.yaml\", \"dataset\": \"d\"}\n",
       ":2: config: method config /nonexistent/zip.yaml not found"},
  };
  for (const auto& k : cases) {
    const auto path = write(k.name + ".jsonl", ok + k.second_line);
    const auto message = error_of(path);
    EXPECT_NE(message.find(path + k.expected), std::string::npos) << k.name << ": " << message;
  }
  EXPECT_THROW(load_trial_list("/nonexistent/trials.jsonl", options_), IoError);
}

// A list's ids are the user's: a line edited under the same id would take the old trial's result
// as its own, so the store refuses it and says what changed.
TEST_F(TrialList, AnEditedLineUnderAnIdTheStoreHoldsIsRefused) {
  const auto line = [&](const std::string& budget) {
    return "{\"id\": \"a\", \"config\": \"" + config("zip") +
           "\", \"dataset\": \"fmnist\", \"set\": [\"budget=" + budget + "\"]}\n";
  };
  const auto path = write("list.jsonl", line("10"));
  const SweepStore store((dir_ / "out").string());
  const auto first = load_trial_list(path, options_);
  check_trial_list_against(first, store);  // nothing planned yet
  store.write_plan(first);
  EXPECT_NO_THROW(check_trial_list_against(load_trial_list(path, options_), store));
  write("list.jsonl", line("20"));
  try {
    check_trial_list_against(load_trial_list(path, options_), store);
    ADD_FAILURE() << "an edited line was accepted";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path + ":1: id 'a': " + store.trial_dir("a")), std::string::npos)
        << message;
    EXPECT_NE(message.find("budget (10 then, 20 now)"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace bbpt::sweep
