// SPDX-License-Identifier: MIT
// The trial list of `bbpt pack`: fields, defaults, and errors that name file, line and field.
#include "bbpt/sweep/trial_list.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "bbpt/core/error.h"

namespace bbpt::sweep {
namespace {

std::string write_list(const std::string& name, const std::string& text) {
  const auto path =
      (std::filesystem::temp_directory_path() / ("bbpt_trial_list_" + name + ".jsonl")).string();
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const std::string& path) {
  try {
    read_trial_list(path);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(TrialList, ReadsFieldsAndDefaultsAndSkipsBlankLines) {
  const auto path =
      write_list("good",
                 "{\"id\": \"zip-fmnist-1\", \"config\": \"c/zip.yaml\", \"dataset\": \"fmnist\", "
                 "\"seed\": 3, "
                 "\"shots\": 8, \"set\": [\"budget=10\", \"views=0\"]}\n\n"
                 "{\"id\": \"b\", \"config\": \"c/bar.yaml\", \"dataset\": \"mnist\"}\n");
  const auto trials = read_trial_list(path);
  ASSERT_EQ(trials.size(), 2u);
  EXPECT_EQ(trials[0].id, "zip-fmnist-1");
  EXPECT_EQ(trials[0].config_path, "c/zip.yaml");
  EXPECT_EQ(trials[0].dataset, "fmnist");
  EXPECT_EQ(trials[0].seed, 3u);
  EXPECT_EQ(trials[0].shots, 8);
  EXPECT_EQ(trials[0].overrides, (std::vector<std::string>{"budget=10", "views=0"}));
  EXPECT_EQ(trials[1].seed, 1u);
  EXPECT_EQ(trials[1].shots, 16);
  EXPECT_TRUE(trials[1].overrides.empty());
}

TEST(TrialList, ErrorsNameFileLineAndField) {
  const std::string ok = "{\"id\": \"a\", \"config\": \"c.yaml\", \"dataset\": \"fmnist\"}\n";
  struct Case {
    std::string name, second_line, expected;
  };
  const std::vector<Case> cases = {
      {"json", "{\"id\": \"b\",\n", ":2: not a JSON object"},
      {"array", "[1, 2]\n", ":2: expected a JSON object"},
      {"unknown", "{\"id\": \"b\", \"config\": \"c.yaml\", \"dataset\": \"d\", \"sed\": 1}\n",
       ":2: sed: unknown field"},
      {"duplicate", ok, ":2: id: 'a' appears twice"},
      {"slash", "{\"id\": \"../x\", \"config\": \"c.yaml\", \"dataset\": \"d\"}\n",
       ":2: id: '../x' may hold only"},
      {"missing", "{\"id\": \"b\", \"dataset\": \"d\"}\n", ":2: config: missing"},
      {"seed", "{\"id\": \"b\", \"config\": \"c.yaml\", \"dataset\": \"d\", \"seed\": \"one\"}\n",
       ":2: seed: expected an integer >= 0, got \"one\""},
      {"shots", "{\"id\": \"b\", \"config\": \"c.yaml\", \"dataset\": \"d\", \"shots\": 0}\n",
       ":2: shots: expected an integer >= 1, got 0"},
      {"set",
       "{\"id\": \"b\", \"config\": \"c.yaml\", \"dataset\": \"d\", \"set\": [\"budget\"]}\n",
       ":2: set: \"budget\" is not a \"key=value\" string"},
  };
  for (const auto& c : cases) {
    const auto path = write_list(c.name, ok + c.second_line);
    const auto message = error_of(path);
    EXPECT_NE(message.find(path + c.expected), std::string::npos) << c.name << ": " << message;
  }
  EXPECT_THROW(read_trial_list("/nonexistent/trials.jsonl"), IoError);
}

}  // namespace
}  // namespace bbpt::sweep
