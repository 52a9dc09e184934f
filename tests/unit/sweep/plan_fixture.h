// SPDX-License-Identifier: MIT
// The fixture of the planning tests (sweep files, trial lists): a fresh folder per test, a stand-in
// model whose sha256 the plan needs, and PlanOptions pointing at the repository's configs.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>

#include "bbpt/sweep/grid.h"

namespace bbpt::sweep::testing {

class PlanFixture : public ::testing::Test {
 protected:
  /// `prefix`: the folder name's start, then the test's name.
  explicit PlanFixture(std::string prefix) : prefix_(std::move(prefix)) {}

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           (prefix_ + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "model.pt")
        << "a stand-in checkpoint: only its sha256 matters to the plan";
    options_.configs_dir = std::string(BBPT_SOURCE_DIR) + "/configs";
    options_.default_model = (dir_ / "model.pt").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  /// Writes `text` to DIR/name; the path.
  std::string write(const std::string& name, const std::string& text) {
    const auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::string prefix_;
  std::filesystem::path dir_;
  PlanOptions options_;
};

}  // namespace bbpt::sweep::testing
