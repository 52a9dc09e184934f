// SPDX-License-Identifier: MIT
// default_cache_dir follows the XDG rule the scripts use (${XDG_CACHE_HOME:-$HOME/.cache}/bbpt), so
// the CLI, scripts/prepare_data.sh and the tests that look for prepared data agree on one folder.
#include "bbpt/core/cache_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace bbpt::core {
namespace {

/// Sets (or unsets, with nullopt) an environment variable for one scope, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(DefaultCacheDir, XdgCacheHomeWinsOverHome) {
  const ScopedEnv xdg("XDG_CACHE_HOME", "/scratch/me/cache");
  const ScopedEnv home("HOME", "/home/me");
  EXPECT_EQ(default_cache_dir(), "/scratch/me/cache/bbpt");
}

TEST(DefaultCacheDir, HomeWhenXdgCacheHomeIsUnsetOrEmpty) {
  const ScopedEnv home("HOME", "/home/me");
  {
    const ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt);
    EXPECT_EQ(default_cache_dir(), "/home/me/.cache/bbpt");
  }
  const ScopedEnv xdg("XDG_CACHE_HOME", "");
  EXPECT_EQ(default_cache_dir(), "/home/me/.cache/bbpt");
}

TEST(DefaultCacheDir, RelativeWhenNeitherIsSet) {
  const ScopedEnv xdg("XDG_CACHE_HOME", std::nullopt);
  const ScopedEnv home("HOME", std::nullopt);
  EXPECT_EQ(default_cache_dir(), ".cache/bbpt");
}

}  // namespace
}  // namespace bbpt::core
