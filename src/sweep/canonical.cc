// SPDX-License-Identifier: MIT
// Typed scalars, trial ids and the frozen method config of a trial (grid.h).
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "bbpt/core/sha256.h"
#include "bbpt/sweep/grid.h"

namespace bbpt::sweep {
namespace {

/// Only decimal notation counts as a number (strtod alone would also take 0x1p3, inf and nan).
bool looks_numeric(const std::string& text) {
  if (text.empty()) return false;
  for (const char c : text) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.' ||
          c == 'e' || c == 'E')) {
      return false;
    }
  }
  return std::isdigit(static_cast<unsigned char>(text.back())) || text.back() == '.';
}

}  // namespace

nlohmann::json canonical_scalar(const std::string& text, bool quoted) {
  if (quoted) return text;
  if (text == "true" || text == "True" || text == "TRUE" || text == "yes" || text == "Yes")
    return true;
  if (text == "false" || text == "False" || text == "FALSE" || text == "no" || text == "No")
    return false;
  if (looks_numeric(text)) {
    char* end = nullptr;
    errno = 0;
    const long long as_int = std::strtoll(text.c_str(), &end, 10);
    if (*end == '\0' && errno == 0) return static_cast<int64_t>(as_int);
    const double as_double = std::strtod(text.c_str(), &end);
    if (*end == '\0' && std::isfinite(as_double)) {
      // 5e3, 5000.0 and 5000 are one value; so are 1e-3 and 0.001.
      if (as_double == std::floor(as_double) && std::fabs(as_double) < 9e15)
        return static_cast<int64_t>(as_double);
      return as_double;
    }
  }
  return text;
}

std::string trial_id(const nlohmann::json& config, const std::string& model_sha256) {
  nlohmann::json identity;  // nlohmann::json keeps keys sorted: the dump is canonical
  identity["config"] = config;
  identity["model_sha256"] = model_sha256;
  identity["bbpt_version"] = BBPT_VERSION;
  return core::sha256_hex(identity.dump()).substr(0, 16);
}

std::string config_as_yaml(const nlohmann::json& config) {
  std::ostringstream out;
  out << "# Written by bbpt sweep: this trial's resolved method config (do not edit; the trial id "
         "is its hash).\n";
  for (const auto& [key, value] : config.items()) out << key << ": " << value.dump() << "\n";
  return out.str();
}

nlohmann::json to_json(const PlannedTrial& t) {
  nlohmann::json j;
  j["id"] = t.id;
  j["index"] = t.index;
  j["method"] = t.method;
  j["algorithm"] = t.algorithm;
  j["dataset"] = t.dataset;
  j["seed"] = t.seed;
  j["shots"] = t.shots;
  j["model"] = t.model;
  j["model_sha256"] = t.model_sha256;
  j["overrides"] = t.overrides;
  j["config"] = t.config;
  j["origin"] = t.origin;
  if (!t.evaluate.empty()) j["evaluate"] = t.evaluate;
  return j;
}

PlannedTrial planned_trial_from_json(const nlohmann::json& j) {
  PlannedTrial t;
  t.id = j.at("id").get<std::string>();
  t.index = j.at("index").get<int64_t>();
  t.method = j.at("method").get<std::string>();
  t.algorithm = j.at("algorithm").get<std::string>();
  t.dataset = j.at("dataset").get<std::string>();
  t.seed = j.at("seed").get<uint64_t>();
  t.shots = j.at("shots").get<int64_t>();
  t.model = j.at("model").get<std::string>();
  t.model_sha256 = j.at("model_sha256").get<std::string>();
  t.overrides = j.at("overrides");
  t.config = j.at("config");
  t.origin = j.value("origin", "");
  t.evaluate = j.value("evaluate", nlohmann::json::array());
  return t;
}

}  // namespace bbpt::sweep
