// SPDX-License-Identifier: MIT
// The response cache is what lets a resumed trial replay its LLM answers: an entry must come back
// exactly, a damaged file must be a miss (not a crash, not garbage), and concurrent writers from
// threads and processes must never expose a partial file.
#include "bbpt/llm/response_cache.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "bbpt/core/error.h"
#include "temp_dir.h"

namespace bbpt::llm {
namespace {

const std::string kKey = "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12";

// An entry whose fields all derive from `writer`, so a mixed or partial entry is detectable.
nlohmann::json entry_of(int writer) {
  return {
      {"writer", writer},
      {"texts", std::vector<std::string>(50, std::string(2000, static_cast<char>('a' + writer)))},
      {"usage", {{"prompt_tokens", writer}, {"completion_tokens", writer}}}};
}

bool is_whole_entry(const nlohmann::json& entry) {
  const int writer = entry.at("writer").get<int>();
  return entry == entry_of(writer);
}

TEST(ResponseCache, PutThenGetRoundTripsUnderTwoCharacterFolder) {
  const TempDir temp;
  const std::string dir = temp.path();
  ResponseCache cache(dir);
  EXPECT_FALSE(cache.get(kKey).has_value());
  const nlohmann::json entry = {{"texts", {"x", "y"}}, {"usage", {{"prompt_tokens", 3}}}};
  cache.put(kKey, entry);
  EXPECT_EQ(cache.path_of(kKey), dir + "/ab/" + kKey + ".json");
  EXPECT_TRUE(std::filesystem::is_regular_file(dir + "/ab/" + kKey + ".json"));
  const auto got = cache.get(kKey);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, entry);
  // A second cache object on the same folder (another process, a rerun) sees it too.
  EXPECT_EQ(ResponseCache(dir).get(kKey), entry);
}

TEST(ResponseCache, DamagedFileIsAMissAndPutRepairsIt) {
  const TempDir temp;
  ResponseCache cache(temp.path());
  cache.put(kKey, {{"texts", {"x"}}});
  std::ofstream(cache.path_of(kKey), std::ios::trunc) << "{\"texts\": [\"trunc";
  EXPECT_FALSE(cache.get(kKey).has_value());
  cache.put(kKey, {{"texts", {"y"}}});
  EXPECT_EQ(cache.get(kKey), (nlohmann::json{{"texts", {"y"}}}));
}

TEST(ResponseCache, RejectsKeysThatAreNotFileNames) {
  const TempDir temp;
  ResponseCache cache(temp.path());
  for (const std::string key : {"", "a", "../../etc/passwd", "ab/cd", "ab cd"}) {
    EXPECT_THROW(cache.get(key), Error) << key;
    EXPECT_THROW(cache.put(key, nlohmann::json::object()), Error) << key;
  }
}

TEST(ResponseCache, ConcurrentThreadsNeverSeeAPartialEntry) {
  const TempDir temp;
  ResponseCache cache(temp.path());
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  std::atomic<int> hits{0};
  for (int writer = 0; writer < 6; ++writer) {
    threads.emplace_back([&, writer] {
      for (int i = 0; i < 40; ++i) {
        cache.put(kKey, entry_of(writer));
        const auto got = cache.get(kKey);
        if (!got || !is_whole_entry(*got)) ++bad;
        if (got) ++hits;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(hits.load(), 6 * 40);
}

TEST(ResponseCache, ConcurrentProcessesNeverSeeAPartialEntry) {
  const TempDir temp;
  const std::string dir = temp.path();
  std::vector<pid_t> children;
  for (int writer = 0; writer < 3; ++writer) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ResponseCache cache(dir);
      for (int i = 0; i < 40; ++i) cache.put(kKey, entry_of(writer));
      _exit(0);
    }
    children.push_back(pid);
  }
  ResponseCache cache(dir);
  int bad = 0;
  for (int i = 0; i < 200; ++i) {
    const auto got = cache.get(kKey);
    if (got && !is_whole_entry(*got)) ++bad;
  }
  for (const pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(bad, 0);
  const auto last = cache.get(kKey);
  ASSERT_TRUE(last.has_value());
  EXPECT_TRUE(is_whole_entry(*last));
  // No temporary files are left behind next to the entry.
  int files = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir + "/ab"))
    files += f.is_regular_file();
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace bbpt::llm
