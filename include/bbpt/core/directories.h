// SPDX-License-Identifier: MIT
// Creating the directory a command writes into, with an error a person can act on instead of
// std::filesystem's "filesystem error: cannot create directories: Not a directory [...]".
#pragma once

#include <string>

namespace bbpt::core {

/// Creates directory `path` and its parents (nothing when it exists). Throws ConfigError naming
/// `path` and `flag` when it is a file, and "<path>: cannot create <what> (<reason>); choose <flag>
/// in a place you can write" when it lies below a file or cannot be created (permissions,
/// read-only file system). `what` names
/// it for a person ("the sweep directory"), `flag` is the option that chose it ("--dir").
void make_directories(const std::string& path, const std::string& what, const std::string& flag);

}  // namespace bbpt::core
