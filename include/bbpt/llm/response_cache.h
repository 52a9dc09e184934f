// SPDX-License-Identifier: MIT
// A disk cache of chat responses: one JSON file per request key at <dir>/<key[0:2]>/<key>.json.
// The cache stores whatever JSON it is given (ChatClient stores the request without any key or
// auth, the response texts and the token usage); it does not interpret it.
//
// Safe for concurrent get/put from several threads and processes: put writes a temporary file and
// renames it into place (core::write_file_atomic), so a reader sees the old file, the new one, or
// none, never a partial one. Two writers of the same key leave one whole file.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace bbpt::llm {

class ResponseCache {
 public:
  /// dir: the cache folder; created on the first put.
  explicit ResponseCache(std::string dir);

  /// The stored JSON of `key`, or nullopt when there is none or the file does not parse (a damaged
  /// file is a miss, and the next put overwrites it). key: at least 2 characters of [0-9a-zA-Z_-]
  /// (request_key's hex digest); anything else throws Error.
  std::optional<nlohmann::json> get(const std::string& key) const;

  /// Stores `entry` under `key`, replacing any previous file atomically. Throws IoError when the
  /// folder is not writable.
  void put(const std::string& key, const nlohmann::json& entry) const;

  /// The file of `key`: <dir>/<key[0:2]>/<key>.json.
  std::string path_of(const std::string& key) const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
};

}  // namespace bbpt::llm
