// SPDX-License-Identifier: MIT
// Checkpoints round-trip every field exactly, and a damaged or foreign file is refused with a
// message naming it (never half-loaded).
#include "bbpt/run/checkpoint.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace {
namespace fs = std::filesystem;

std::string temp(const std::string& name) {
  return (fs::temp_directory_path() / ("bbpt_checkpoint_test_" + name)).string();
}

TEST(Checkpoint, RoundTripsExactly) {
  bbpt::run::Checkpoint c;
  c.config_sha256 = "abc";
  c.steps = 17;
  c.queries = 170;
  c.metrics_bytes = 4096;
  c.wall_time_s = 1.25;
  c.few_shot_train = {5, 3, 9};
  c.few_shot_val = {1};
  c.method.optimizer_state = std::string("\0\1\2binary", 9);
  c.method.tensors.push_back({"prompt.p0", "float32", {2, 2}, std::string(16, '\7')});
  c.method.scalars["last_loss"] = 0.1 + 0.2;
  c.method.vectors["best"] = {1e-300, -0.0, 3.5};
  const auto path = temp("roundtrip.bin");
  bbpt::run::write_checkpoint(path, c);
  const auto r = bbpt::run::read_checkpoint(path);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->config_sha256, c.config_sha256);
  EXPECT_EQ(r->steps, 17);
  EXPECT_EQ(r->queries, 170);
  EXPECT_EQ(r->metrics_bytes, 4096);
  EXPECT_EQ(r->few_shot_train, c.few_shot_train);
  EXPECT_EQ(r->method.optimizer_state, c.method.optimizer_state);
  ASSERT_EQ(r->method.tensors.size(), 1u);
  EXPECT_EQ(r->method.tensors[0].bytes, c.method.tensors[0].bytes);
  EXPECT_EQ(r->method.tensors[0].shape, c.method.tensors[0].shape);
  EXPECT_EQ(r->method.scalars.at("last_loss"), 0.1 + 0.2);
  EXPECT_EQ(r->method.vectors.at("best"), c.method.vectors.at("best"));
  EXPECT_FALSE(bbpt::run::read_checkpoint(temp("absent.bin")).has_value());
}

TEST(Checkpoint, DamagedFilesAreRefusedWithTheirName) {
  bbpt::run::Checkpoint c;
  c.method.vectors["v"] = std::vector<double>(1000, 1.0);
  const auto path = temp("damaged.bin");
  bbpt::run::write_checkpoint(path, c);
  const auto bytes = bbpt::core::read_file(path);
  bbpt::core::write_file_atomic(path, bytes.substr(0, bytes.size() / 2));  // truncated
  try {
    bbpt::run::read_checkpoint(path);
    FAIL() << "a truncated checkpoint was accepted";
  } catch (const bbpt::IoError& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  bbpt::core::write_file_atomic(path, "not a checkpoint at all");
  EXPECT_THROW(bbpt::run::read_checkpoint(path), bbpt::IoError);
}

}  // namespace
