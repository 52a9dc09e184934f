// SPDX-License-Identifier: MIT
// default_cache_dir follows the XDG rule the scripts use (${XDG_CACHE_HOME:-$HOME/.cache}/bbpt), so
// the CLI, scripts/prepare_data.sh and the tests that look for prepared data agree on one folder.
#include "bbpt/core/cache_dir.h"

#include <gtest/gtest.h>

#include <string>

#include "scoped_env.h"

namespace bbpt::core {
namespace {

using bbpt::testing::ScopedEnv;

TEST(DefaultCacheDir, XdgCacheHomeWinsOverHome) {
  const ScopedEnv xdg("XDG_CACHE_HOME", "/scratch/me/cache");
  const ScopedEnv home("HOME", "/home/me");
  EXPECT_EQ(default_cache_dir(), "/scratch/me/cache/bbpt");
}

TEST(DefaultCacheDir, HomeWhenXdgCacheHomeIsUnsetOrEmpty) {
  const ScopedEnv home("HOME", "/home/me");
  {
    const ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
    EXPECT_EQ(default_cache_dir(), "/home/me/.cache/bbpt");
  }
  const ScopedEnv xdg("XDG_CACHE_HOME", "");
  EXPECT_EQ(default_cache_dir(), "/home/me/.cache/bbpt");
}

TEST(DefaultCacheDir, RelativeWhenNeitherIsSet) {
  const ScopedEnv xdg("XDG_CACHE_HOME", nullptr);
  const ScopedEnv home("HOME", nullptr);
  EXPECT_EQ(default_cache_dir(), ".cache/bbpt");
}

}  // namespace
}  // namespace bbpt::core
