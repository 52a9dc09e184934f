// SPDX-License-Identifier: MIT
// `bbpt pretrain --config configs/pretrain/quick.yaml` end to end: it writes a checkpoint the
// loader reads, a training log whose loss goes down, and a model that beats chance at zero-shot.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bbpt/core/cache_dir.h"
#include "bbpt/core/file_io.h"

namespace {
namespace fs = std::filesystem;

int run(const std::string& command) {
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(PretrainQuick, LowersTheLossAndBeatsChance) {
  const std::string data_dir = bbpt::core::default_cache_dir() + "/data";
  for (const char* name : {"fmnist", "mnist"}) {
    if (!fs::exists(data_dir + "/" + name + "/.bbpt-prepared")) {
      GTEST_SKIP() << name << " is not prepared in " << data_dir
                   << " (run scripts/prepare_data.sh)";
    }
  }
  const std::string out = (fs::temp_directory_path() / "bbpt_quick_pretrain.pt").string();
  const std::string bbpt = BBPT_EXECUTABLE;
  ASSERT_EQ(run(bbpt + " pretrain --force --config " + std::string(BBPT_SOURCE_DIR) +
                "/configs/pretrain/quick.yaml --out " + out + " > " + out + ".stdout 2>&1"),
            0)
      << bbpt::core::read_file(out + ".stdout");

  std::istringstream log(bbpt::core::read_file(out + ".log.jsonl"));
  std::vector<double> losses;
  for (std::string line; std::getline(log, line);)
    losses.push_back(nlohmann::json::parse(line)["loss"]);
  ASSERT_GE(losses.size(), 4u);
  EXPECT_LT(losses.back(), 0.85 * losses.front()) << losses.front() << " -> " << losses.back();

  const auto manifest = nlohmann::json::parse(bbpt::core::read_file(out + ".json"));
  for (const char* name : {"fmnist", "mnist"}) {
    const double accuracy = manifest["zero_shot_test_accuracy"][name];
    std::cout << name << " zero-shot after quick pretraining: " << 100 * accuracy << "%\n";
    EXPECT_GT(accuracy, 0.25) << name << " (chance is 10%)";
  }
  // The checkpoint is in the OpenAI layout: model inspect infers it like a released one.
  EXPECT_EQ(run(bbpt + " model inspect " + out + " | grep -q 'vision_patch_size: 8'"), 0);
  // An existing checkpoint is reused, never retrained by accident.
  EXPECT_EQ(run(bbpt + " pretrain --config " + std::string(BBPT_SOURCE_DIR) +
                "/configs/pretrain/quick.yaml --out " + out + " | grep -q 'reusing'"),
            0);
}

}  // namespace
