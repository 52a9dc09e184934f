// SPDX-License-Identifier: MIT
// Where bbpt keeps its caches (prepared datasets, npm packages, the embedded model) when no
// --cache-dir is given: the XDG base-directory rule, read in one place for the CLI, the scripts'
// defaults and the tests that look for prepared data.
#pragma once

#include <string>

namespace bbpt::core {

/// $XDG_CACHE_HOME/bbpt when XDG_CACHE_HOME is set and not empty, else $HOME/.cache/bbpt, else
/// .cache/bbpt (relative to the working directory). The same rule as
/// `${XDG_CACHE_HOME:-$HOME/.cache}/bbpt` in scripts/prepare_data.sh.
std::string default_cache_dir();

}  // namespace bbpt::core
