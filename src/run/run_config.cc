// SPDX-License-Identifier: MIT
// Implements RunConfig: YAML flattening, overrides, typed reads with file:line errors.
#include "bbpt/run/run_config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/core/redact.h"

namespace bbpt::run {
namespace {

void flatten(const YAML::Node& node,
             const std::string& prefix,
             const std::string& path,
             std::map<std::string, std::string>& texts,
             std::map<std::string, std::string>& origins) {
  for (const auto& item : node) {
    const std::string key = prefix + item.first.as<std::string>();
    const auto& value = item.second;
    const std::string origin = path + ":" + std::to_string(item.first.Mark().line + 1);
    if (value.IsMap()) {
      flatten(value, key + ".", path, texts, origins);
      continue;
    }
    BBPT_CHECK(value.IsScalar() || value.IsNull(), ConfigError,
               origin << ": " << key << ": expected a single value, got a list");
    BBPT_CHECK(texts.count(key) == 0, ConfigError,
               origin << ": " << key << ": duplicate key (first set at " << origins[key] << ")");
    texts[key] = value.IsNull() ? "" : value.Scalar();
    origins[key] = origin;
  }
}

}  // namespace

RunConfig RunConfig::empty() { return RunConfig(); }

RunConfig RunConfig::from_json(const nlohmann::ordered_json& values, const std::string& source) {
  BBPT_CHECK(values.is_object(), ConfigError,
             source << ": expected an object of key: value options");
  RunConfig config;
  config.source_ = source;
  for (auto it = values.begin(); it != values.end(); ++it) {
    const auto& value = it.value();
    BBPT_CHECK(value.is_primitive(), ConfigError,
               source << ": " << it.key() << ": expected a single value, got " << value.dump());
    const std::string text = value.is_string() ? value.get<std::string>()
                             : value.is_null() ? ""
                                               : value.dump();
    config.values_[it.key()] = Value{text, source + ": " + it.key()};
  }
  return config;
}

RunConfig RunConfig::from_file(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    BBPT_THROW(ConfigError, path << ": cannot read the method config (does the file exist?)");
  } catch (const YAML::Exception& e) {
    BBPT_THROW(ConfigError, path << ":" << e.mark.line + 1 << ": not valid YAML: " << e.msg);
  }
  BBPT_CHECK(root.IsMap(), ConfigError, path << ": expected a mapping of key: value options");
  std::map<std::string, std::string> texts, origins;
  flatten(root, "", path, texts, origins);
  RunConfig config;
  config.source_ = path;
  for (const auto& [key, text] : texts) config.values_[key] = Value{text, origins[key]};
  return config;
}

void RunConfig::set(const std::string& assignment, const std::string& origin) {
  const auto eq = assignment.find('=');
  BBPT_CHECK(eq != std::string::npos && eq > 0, ConfigError,
             "--set " << assignment << ": expected key=value");
  const std::string key = assignment.substr(0, eq);
  std::string text = assignment.substr(eq + 1);
  try {  // parse as a YAML scalar so quoting works the same as in the file
    const auto node = YAML::Load(text);
    if (node.IsScalar()) text = node.Scalar();
  } catch (const YAML::Exception&) {
  }
  // The origin is shown in messages: a URL's credentials stay in the value only.
  values_[key] = Value{text, origin.empty() ? "--set " + core::redact_urls(assignment) : origin};
}

const RunConfig::Value* RunConfig::find(const std::string& key) {
  read_[key] = true;
  const auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

void RunConfig::type_error(const std::string& key, const Value& v, const char* type) const {
  BBPT_THROW(ConfigError, v.origin << ": " << key << ": expected " << type << ", got '"
                                   << core::redact_urls(v.text) << "'");
}

int64_t RunConfig::get_int(const std::string& key, int64_t fallback) {
  int64_t out = fallback;
  if (const auto* v = find(key)) {
    errno = 0;
    char* end = nullptr;
    const long long parsed = std::strtoll(v->text.c_str(), &end, 10);
    if (v->text.empty() || *end != '\0' || errno != 0) {
      // Accept integral floats written as 5e3 or 5000.0.
      const double d = std::strtod(v->text.c_str(), &end);
      if (v->text.empty() || *end != '\0' || d != std::floor(d) || std::fabs(d) > 9e15) {
        type_error(key, *v, "an integer");
      }
      out = static_cast<int64_t>(d);
    } else {
      out = parsed;
    }
  }
  resolved_[key] = out;
  return out;
}

double RunConfig::get_double(const std::string& key, double fallback) {
  double out = fallback;
  if (const auto* v = find(key)) {
    char* end = nullptr;
    out = std::strtod(v->text.c_str(), &end);
    if (v->text.empty() || *end != '\0' || !std::isfinite(out)) type_error(key, *v, "a number");
  }
  resolved_[key] = out;
  return out;
}

bool RunConfig::get_bool(const std::string& key, bool fallback) {
  bool out = fallback;
  if (const auto* v = find(key)) {
    if (v->text == "true" || v->text == "True" || v->text == "yes" || v->text == "1") {
      out = true;
    } else if (v->text == "false" || v->text == "False" || v->text == "no" || v->text == "0") {
      out = false;
    } else {
      type_error(key, *v, "true or false");
    }
  }
  resolved_[key] = out;
  return out;
}

std::string RunConfig::get_string(const std::string& key, const std::string& fallback) {
  std::string out = fallback;
  if (const auto* v = find(key)) out = v->text;
  // The resolved config is shown and stored (config.json, the trial's identity): a URL in it keeps
  // its host and path but not its credentials, which only the returned value carries.
  resolved_[key] = core::redact_urls(out);
  return out;
}

std::string RunConfig::where(const std::string& key) const {
  const auto it = values_.find(key);
  return it == values_.end() ? (source_.empty() ? std::string("(default)") : source_)
                             : it->second.origin;
}

std::string RunConfig::origin(const std::string& key) const {
  const std::string at = where(key);
  if (at.rfind("--set ", 0) == 0 && !source_.empty()) return source_ + " (" + at + ")";
  return at;
}

std::map<std::string, std::string> RunConfig::texts() const {
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : values_) out[key] = value.text;
  return out;
}

void RunConfig::reject_unread() const {
  std::ostringstream unknown;
  int count = 0;
  for (const auto& [key, value] : values_) {
    if (read_.count(key)) continue;
    unknown << (count++ ? "; " : "") << value.origin << ": " << key;
  }
  BBPT_CHECK(count == 0, ConfigError,
             "unknown option" << (count > 1 ? "s" : "") << " for this method: " << unknown.str()
                              << " (see configs/methods/ for the valid keys)");
}

}  // namespace bbpt::run
