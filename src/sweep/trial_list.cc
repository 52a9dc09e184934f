// SPDX-License-Identifier: MIT
#include "bbpt/sweep/trial_list.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/file_io.h"

namespace bbpt::sweep {

std::vector<TrialEntry> read_trial_list(const std::string& path) {
  std::istringstream lines(core::read_file(path));
  std::vector<TrialEntry> trials;
  std::set<std::string> ids;
  int line_number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(line_number);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception& e) {
      BBPT_THROW(ConfigError, where << ": not a JSON object (" << e.what() << ")");
    }
    BBPT_CHECK(j.is_object(), ConfigError,
               where << ": expected a JSON object, got " << j.type_name());
    for (const auto& [key, value] : j.items()) {
      static const std::set<std::string> known = {"id",   "config", "dataset",
                                                  "seed", "shots",  "set"};
      BBPT_CHECK(
          known.count(key) == 1, ConfigError,
          where << ": " << key << ": unknown field (known: id, config, dataset, seed, shots, set)");
    }
    const auto text = [&](const char* key, bool required) -> std::string {
      if (!j.contains(key)) {
        BBPT_CHECK(!required, ConfigError, where << ": " << key << ": missing");
        return "";
      }
      BBPT_CHECK(j[key].is_string() && !j[key].get<std::string>().empty(), ConfigError,
                 where << ": " << key << ": expected a non-empty string, got " << j[key].dump());
      return j[key].get<std::string>();
    };
    const auto integer = [&](const char* key, int64_t fallback, int64_t minimum) -> int64_t {
      if (!j.contains(key)) return fallback;
      BBPT_CHECK(j[key].is_number_integer() && j[key].get<int64_t>() >= minimum, ConfigError,
                 where << ": " << key << ": expected an integer >= " << minimum << ", got "
                       << j[key].dump());
      return j[key].get<int64_t>();
    };
    TrialEntry t;
    t.id = text("id", true);
    BBPT_CHECK(std::all_of(t.id.begin(), t.id.end(),
                           [](char c) {
                             return std::isalnum(static_cast<unsigned char>(c)) || c == '.' ||
                                    c == '_' || c == '-';
                           }) &&
                   t.id != "." && t.id != "..",
               ConfigError,
               where << ": id: '" << t.id
                     << "' may hold only letters, digits, '.', '_' and '-' (it names a directory)");
    BBPT_CHECK(ids.insert(t.id).second, ConfigError,
               where << ": id: '" << t.id << "' appears twice");
    t.config_path = text("config", true);
    t.dataset = text("dataset", true);
    t.seed = static_cast<uint64_t>(integer("seed", 1, 0));
    t.shots = integer("shots", 16, 1);
    if (j.contains("set")) {
      BBPT_CHECK(j["set"].is_array(), ConfigError,
                 where << ": set: expected a list of \"key=value\" strings");
      for (const auto& s : j["set"]) {
        BBPT_CHECK(s.is_string() && s.get<std::string>().find('=') != std::string::npos,
                   ConfigError, where << ": set: " << s.dump() << " is not a \"key=value\" string");
        t.overrides.push_back(s.get<std::string>());
      }
    }
    t.kind = std::filesystem::path(t.config_path).stem().string();
    t.label = t.kind + " " + t.dataset + " seed " + std::to_string(t.seed);
    trials.push_back(std::move(t));
  }
  return trials;
}

}  // namespace bbpt::sweep
