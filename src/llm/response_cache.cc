// SPDX-License-Identifier: MIT
// Implements ResponseCache on top of core::read_file / core::write_file_atomic.
#include "bbpt/llm/response_cache.h"

#include <cctype>
#include <utility>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"
#include "bbpt/core/log.h"

namespace bbpt::llm {
namespace {

// Keys become file names: only characters that cannot climb out of the cache folder.
bool is_valid_key(const std::string& key) {
  if (key.size() < 2) return false;
  for (const char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

ResponseCache::ResponseCache(std::string dir) : dir_(std::move(dir)) {
  BBPT_CHECK(!dir_.empty(), ConfigError, "the response cache folder must not be empty");
}

std::string ResponseCache::path_of(const std::string& key) const {
  BBPT_CHECK(is_valid_key(key), Error,
             "response cache key '" << key << "' must be at least 2 characters of [0-9a-zA-Z_-]");
  return dir_ + "/" + key.substr(0, 2) + "/" + key + ".json";
}

std::optional<nlohmann::json> ResponseCache::get(const std::string& key) const {
  const std::string path = path_of(key);
  if (!core::is_regular_file(path)) return std::nullopt;
  std::string bytes;
  try {
    bytes = core::read_file(path);
  } catch (const IoError& e) {
    BBPT_LOG_WARN("response cache: " << e.what() << "; treated as a miss");
    return std::nullopt;
  }
  nlohmann::json entry = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (entry.is_discarded()) {
    BBPT_LOG_WARN("response cache: " << path
                                     << " is not valid JSON (damaged?); treated as a miss, "
                                        "it is rewritten on the next answer");
    return std::nullopt;
  }
  return entry;
}

void ResponseCache::put(const std::string& key, const nlohmann::json& entry) const {
  core::write_file_atomic(path_of(key), entry.dump(1) + "\n");
}

}  // namespace bbpt::llm
