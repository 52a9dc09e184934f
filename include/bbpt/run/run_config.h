// SPDX-License-Identifier: MIT
// A method configuration: the flat key: value mapping of configs/methods/<name>.yaml plus
// `--set key=value` overrides. Options structs read their fields from it with their own in-place
// defaults (the only place defaults live); every key read is recorded with its resolved value, and
// a key nobody read is rejected with its file and line, so a typo never silently does nothing.
#pragma once
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bbpt::run {

class RunConfig {
 public:
  /// Reads a YAML mapping of scalars (nested mappings are flattened to dotted keys). Throws
  /// ConfigError naming the file (and line) for unreadable YAML, a non-mapping document, a list
  /// value or a duplicate key.
  static RunConfig from_file(const std::string& path);
  /// An empty configuration (every option keeps its default).
  static RunConfig empty();
  /// A flat JSON object of scalars (a run's config.json) as a configuration: each value's text is
  /// the string itself, or the JSON spelling of a number or boolean. `source` names it in
  /// messages ("<source>: key"). Throws ConfigError for a value that is not a scalar.
  static RunConfig from_json(const nlohmann::ordered_json& values, const std::string& source);
  /// Applies "key=value" (value parsed as a YAML scalar); a later override wins. `origin` is where
  /// messages say it was set (default "--set key=value").
  void set(const std::string& assignment, const std::string& origin = "");
  bool has(const std::string& key) const { return values_.count(key) > 0; }

  /// Typed reads. Absent key: returns `fallback` (the options struct's default). Present but not
  /// of the type: throws ConfigError "<file>:<line>: <key>: expected <type>, got '<text>'".
  int64_t get_int(const std::string& key, int64_t fallback);
  double get_double(const std::string& key, double fallback);
  bool get_bool(const std::string& key, bool fallback);
  std::string get_string(const std::string& key, const std::string& fallback);

  /// Throws ConfigError listing every key that no option read, with where it was set.
  void reject_unread() const;
  /// Every option read so far with its resolved value (the resolved config of a run). String values
  /// are shown as core::redact_urls shows them: a URL's credentials are not in it.
  const nlohmann::ordered_json& resolved() const { return resolved_; }
  /// Every key set (in the file or by set()) with its text as written, sorted by key.
  std::map<std::string, std::string> texts() const;
  /// Where `key` was set, for messages: "file:line" or "--set key=value" (a URL's credentials
  /// hidden); the config file (or "(default)") when it was not set.
  std::string where(const std::string& key) const;
  /// where() for a message that must name the file too: "file:line", or "file (--set key=value)"
  /// for an override of a config read from a file.
  std::string origin(const std::string& key) const;
  /// The file the config came from ("" for empty()).
  const std::string& source() const { return source_; }

 private:
  struct Value {
    std::string text;
    std::string origin;  // "file:line" or "--set"
  };
  const Value* find(const std::string& key);
  [[noreturn]] void type_error(const std::string& key, const Value& v, const char* type) const;
  std::string source_;
  std::map<std::string, Value> values_;
  std::map<std::string, bool> read_;
  nlohmann::ordered_json resolved_ = nlohmann::ordered_json::object();
};

}  // namespace bbpt::run
