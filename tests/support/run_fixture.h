// SPDX-License-Identifier: MIT
// The fixture of the tests that run the bbpt binary end to end: the golden tiny OpenAI-layout CLIP,
// the method configs, the prepared Fashion-MNIST, and what they compare of a run directory.
// Needs BBPT_SHARED_DIR and BBPT_SOURCE_DIR defined by the test target.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bbpt/core/cache_dir.h"
#include "bbpt/core/file_io.h"

namespace bbpt::testing {

inline const std::string kGoldenModel =
    std::string(BBPT_SHARED_DIR) + "/assets/golden/tiny_vit_openai.pt";
inline const std::string kMethodConfigs = std::string(BBPT_SOURCE_DIR) + "/configs/methods/";

/// Where scripts/prepare_data.sh prepares the datasets: <default cache>/data, which honours
/// XDG_CACHE_HOME as the CLI does.
inline std::string data_dir() { return core::default_cache_dir() + "/data"; }

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

/// How a command ended: its exit code (128 + n for signal n) and its stdout and stderr together.
struct Exit {
  int code = -1;
  std::string output;
};

/// Runs a command (each argument single-quoted for the shell) to its end.
inline Exit run_to_end(const std::vector<std::string>& args) {
  std::string command;
  for (const auto& a : args) command += "'" + a + "' ";
  FILE* pipe = popen((command + "2>&1").c_str(), "r");
  Exit e;
  std::array<char, 4096> chunk{};
  size_t n = 0;
  while ((n = fread(chunk.data(), 1, chunk.size(), pipe)) > 0) e.output.append(chunk.data(), n);
  const int status = pclose(pipe);
  e.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return e;
}

/// Starts a command in the background with its output discarded (to be killed by a test); its pid.
inline pid_t spawn_quiet(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    freopen("/dev/null", "w", stdout);
    freopen("/dev/null", "w", stderr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

/// DIR/result.json without wall_time_s, the one field that differs between equal runs.
inline nlohmann::json result_without_time(const std::string& dir) {
  auto j = nlohmann::json::parse(core::read_file(dir + "/result.json"));
  j.erase("wall_time_s");
  return j;
}

}  // namespace bbpt::testing
