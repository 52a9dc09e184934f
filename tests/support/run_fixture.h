// SPDX-License-Identifier: MIT
// The fixture of the tests that run the bbpt binary end to end: the golden tiny OpenAI-layout CLIP,
// the method configs, the prepared Fashion-MNIST, and what they compare of a run directory.
// Needs BBPT_SHARED_DIR and BBPT_SOURCE_DIR defined by the test target.
#pragma once

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "bbpt/core/file_io.h"

namespace bbpt::testing {

inline const std::string kGoldenModel = std::string(BBPT_SHARED_DIR) + "/assets/golden/tiny_vit_openai.pt";
inline const std::string kMethodConfigs = std::string(BBPT_SOURCE_DIR) + "/configs/methods/";

inline std::string data_dir() {
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.cache/bbpt/data";
}

/// Whether the golden model and the prepared fmnist are there; `why` says what is missing.
inline bool run_fixture_ready(std::string* why) {
  if (!std::filesystem::exists(kGoldenModel)) {
    *why = kGoldenModel + " missing";
    return false;
  }
  if (!std::filesystem::exists(data_dir() + "/fmnist/.bbpt-prepared")) {
    *why = "fmnist is not prepared in " + data_dir() + " (run scripts/prepare_data.sh)";
    return false;
  }
  return true;
}

inline int64_t count_lines(const std::string& path) {
  std::ifstream in(path);
  return std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n');
}

/// DIR/result.json without wall_time_s, the one field that differs between equal runs.
inline nlohmann::json result_without_time(const std::string& dir) {
  auto j = nlohmann::json::parse(core::read_file(dir + "/result.json"));
  j.erase("wall_time_s");
  return j;
}

}  // namespace bbpt::testing
