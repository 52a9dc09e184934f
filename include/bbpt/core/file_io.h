// SPDX-License-Identifier: MIT
// Whole-file reads (plain or gzip) and atomic writes, with errors that name the file.
#pragma once

#include <string>

namespace bbpt::core {

/// Reads a whole file as bytes. Throws IoError naming the file if it is missing or unreadable.
std::string read_file(const std::string& path);

/// Reads a file, gunzipping it when it starts with the gzip magic; plain files are returned as is.
/// Throws IoError naming the file when the gzip stream is truncated or corrupt.
std::string read_maybe_gzip_file(const std::string& path);

/// Writes bytes to path through a temporary file in the same directory and a rename, so readers
/// never see a partial file. Creates missing parent directories.
void write_file_atomic(const std::string& path, const std::string& bytes);

/// True when path names an existing regular file.
bool is_regular_file(const std::string& path);

}  // namespace bbpt::core
