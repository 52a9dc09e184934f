// SPDX-License-Identifier: MIT
// Reads sweep files: YAML with includes into detail::SweepFile, every value typed and located.
#include "sweep_file.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <sstream>

#include "bbpt/core/error.h"
#include "bbpt/sweep/grid.h"

namespace bbpt::sweep::detail {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr int64_t kMaxRangeValues = 100000;

std::string origin_of(const std::string& path, const YAML::Node& node) {
  return path + ":" + std::to_string(node.Mark().line + 1);
}

std::string join(const std::vector<std::string>& items) {
  std::ostringstream out;
  for (size_t i = 0; i < items.size(); ++i) out << (i ? ", " : "") << items[i];
  return out.str();
}

/// Iterates a mapping, refusing duplicate keys and (when `allowed` is given) unknown ones.
template <typename Visit>
void for_each_key(const YAML::Node& map,
                  const std::string& path,
                  const std::string& what,
                  const std::vector<std::string>& allowed,
                  Visit visit) {
  BBPT_CHECK(map.IsMap(), ConfigError,
             origin_of(path, map) << ": " << what << ": expected a mapping of key: value");
  std::map<std::string, std::string> seen;
  for (const auto& item : map) {
    const std::string key = item.first.as<std::string>();
    const std::string origin = origin_of(path, item.first);
    BBPT_CHECK(!seen.count(key), ConfigError,
               origin << ": " << what << (what.empty() ? "" : ".") << key
                      << ": duplicate key (first at " << seen[key] << ")");
    seen[key] = origin;
    BBPT_CHECK(allowed.empty() || std::count(allowed.begin(), allowed.end(), key), ConfigError,
               origin << ": " << (what.empty() ? "" : what + ".") << key
                      << ": unknown key (valid: " << join(allowed) << ")");
    visit(key, item.second, origin);
  }
}

Located scalar(const YAML::Node& node, const std::string& path, const std::string& key) {
  BBPT_CHECK(node.IsScalar(), ConfigError,
             origin_of(path, node)
                 << ": " << key << ": expected a single value"
                 << (node.IsSequence() ? " (a list of values belongs under grid:)" : ""));
  return {canonical_scalar(node.Scalar(), node.Tag() == "!"), origin_of(path, node)};
}

std::vector<Located> range_values(const YAML::Node& spec,
                                  const std::string& path,
                                  const std::string& key) {
  const std::string origin = origin_of(path, spec);
  BBPT_CHECK(spec.IsSequence() && (spec.size() == 2 || spec.size() == 3), ConfigError,
             origin << ": " << key << ": range: expected [start, stop] or [start, stop, step]");
  std::vector<Json> bounds;
  for (const auto& b : spec) {
    auto v = scalar(b, path, key).value;
    BBPT_CHECK(v.is_number(), ConfigError,
               origin << ": " << key << ": range: '" << b.Scalar() << "' is not a number");
    bounds.push_back(v);
  }
  if (bounds.size() == 2) bounds.emplace_back(1);
  const bool integers = std::all_of(bounds.begin(), bounds.end(),
                                    [](const Json& v) { return v.is_number_integer(); });
  const double start = bounds[0].get<double>(), stop = bounds[1].get<double>(),
               step = bounds[2].get<double>();
  BBPT_CHECK(step != 0, ConfigError, origin << ": " << key << ": range: step must not be 0");
  // The values start + i * step strictly before stop; the small slack keeps [0.1, 0.4, 0.1] from
  // counting 0.4 when (0.4 - 0.1) / 0.1 rounds to 3.0000000000000004.
  const double count_d = std::ceil((stop - start) / step - 1e-9);
  BBPT_CHECK(count_d >= 1, ConfigError,
             origin << ": " << key << ": range [" << start << ", " << stop << ") with step " << step
                    << " is empty (stop is excluded, as in Python)");
  BBPT_CHECK(count_d <= kMaxRangeValues, ConfigError,
             origin << ": " << key << ": range has " << count_d << " values (at most "
                    << kMaxRangeValues << ")");
  std::vector<Located> values;
  for (int64_t i = 0; i < static_cast<int64_t>(count_d); ++i) {
    if (integers) {
      values.push_back({Json(bounds[0].get<int64_t>() + i * bounds[2].get<int64_t>()), origin});
    } else {
      std::ostringstream text;
      text.precision(15);  // start + i * step, spelled so that 0.1 + 2 * 0.1 reads back as 0.3
      text << start + static_cast<double>(i) * step;
      values.push_back({canonical_scalar(text.str(), false), origin});
    }
  }
  return values;
}

Axis read_axis(const std::string& key,
               const YAML::Node& node,
               const std::string& path,
               const std::string& origin) {
  Axis axis{key, {}, origin};
  if (node.IsMap()) {
    for_each_key(node, path, key, {"range"},
                 [&](const std::string&, const YAML::Node& spec, const std::string&) {
                   axis.values = range_values(spec, path, key);
                 });
  } else {
    BBPT_CHECK(node.IsSequence() && node.size() > 0, ConfigError,
               origin << ": " << key
                      << ": expected a non-empty list of values or {range: [start, stop, step]}");
    for (const auto& item : node) axis.values.push_back(scalar(item, path, key));
  }
  for (size_t i = 0; i < axis.values.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      BBPT_CHECK(axis.values[i].value != axis.values[j].value, ConfigError,
                 axis.values[i].origin << ": " << key << ": value " << axis.values[i].value.dump()
                                       << " is listed twice (first at " << axis.values[j].origin
                                       << "); it would make duplicate trials");
    }
  }
  return axis;
}

void set_value(Factors& f, const std::string& key, Located value) {
  for (auto& [k, v] : f.set) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  f.set.emplace_back(key, std::move(value));
}

void set_axis(Factors& f, Axis axis) {
  for (auto& a : f.grid) {
    if (a.key == axis.key) {
      a = std::move(axis);
      return;
    }
  }
  f.grid.push_back(std::move(axis));
}

/// set:, grid: and zip: of one level (the top, or a methods: entry), merged into `into`.
void read_factor(const std::string& section,
                 const YAML::Node& node,
                 const std::string& path,
                 const std::string& where,
                 Factors& into) {
  const std::string what = where.empty() ? section : where + "." + section;
  if (section == "set") {
    for_each_key(node, path, what, {},
                 [&](const std::string& key, const YAML::Node& value, const std::string&) {
                   set_value(into, key, scalar(value, path, key));
                 });
  } else if (section == "grid") {
    for_each_key(node, path, what, {},
                 [&](const std::string& key, const YAML::Node& value, const std::string& origin) {
                   set_axis(into, read_axis(key, value, path, origin));
                 });
  } else {  // zip
    BBPT_CHECK(node.IsSequence(), ConfigError,
               origin_of(path, node)
                   << ": " << what << ": expected a list of {key: [values], ...} groups");
    for (const auto& group_node : node) {
      ZipGroup group{{}, origin_of(path, group_node)};
      for_each_key(group_node, path, what, {},
                   [&](const std::string& key, const YAML::Node& value, const std::string& origin) {
                     group.axes.push_back(read_axis(key, value, path, origin));
                   });
      BBPT_CHECK(!group.axes.empty(), ConfigError,
                 group.origin << ": " << what << ": an empty zip group");
      for (const auto& axis : group.axes) {
        BBPT_CHECK(axis.values.size() == group.axes.front().values.size(), ConfigError,
                   axis.origin << ": " << what << ": " << axis.key << " has " << axis.values.size()
                               << " values but " << group.axes.front().key << " has "
                               << group.axes.front().values.size()
                               << "; zipped axes need equal lengths");
      }
      into.zips.push_back(std::move(group));
    }
  }
}

/// `evaluate: [{dataset: D, classes: C}, ...]`: the targets a trial's prompt is evaluated on after
/// it finishes (run/evaluation.h); a missing dataset means the trial's own.
Evaluations read_evaluations(const YAML::Node& node,
                             const std::string& path,
                             const std::string& what) {
  Evaluations out;
  out.given = true;
  out.origin = origin_of(path, node);
  BBPT_CHECK(node.IsSequence(), ConfigError,
             out.origin << ": " << what
                        << ": expected a list of targets, e.g. [{dataset: mnist}, {classes: new}]");
  for (const auto& item : node) {
    EvaluationSpec spec;
    spec.origin = origin_of(path, item);
    spec.dataset = {Json(), spec.origin};
    spec.classes = {Json(), spec.origin};
    for_each_key(item, path, what, {"dataset", "classes"},
                 [&](const std::string& key, const YAML::Node& value, const std::string&) {
                   Located v = scalar(value, path, what + "." + key);
                   v.value = Json(value.Scalar());
                   (key == "dataset" ? spec.dataset : spec.classes) = v;
                 });
    out.targets.push_back(std::move(spec));
  }
  return out;
}

void read_method(const std::string& name,
                 const YAML::Node& node,
                 const std::string& path,
                 const std::string& origin,
                 SweepFile& into) {
  auto it = std::find_if(into.methods.begin(), into.methods.end(),
                         [&](const MethodEntry& m) { return m.name == name; });
  if (it == into.methods.end()) {
    into.methods.push_back(MethodEntry{name, {Json(""), origin}, "", {}, origin, {}});
    it = into.methods.end() - 1;
  }
  if (node.IsNull()) return;  // `zip:` with nothing after it: the method with its config as is
  const std::string where = "methods." + name;
  for_each_key(node, path, where, {"config", "set", "grid", "zip", "evaluate"},
               [&](const std::string& key, const YAML::Node& value, const std::string&) {
                 if (key == "evaluate") {
                   it->evaluate = read_evaluations(value, path, where + ".evaluate");
                 } else if (key == "config") {
                   it->config = scalar(value, path, where + ".config");
                   it->config.value =
                       it->config.value.is_string() ? it->config.value : Json(value.Scalar());
                   it->config_dir = fs::path(path).parent_path().string();
                 } else {
                   read_factor(key, value, path, where, it->factors);
                 }
               });
}

void read_executors(const YAML::Node& node, const std::string& path, SweepFile& into) {
  for_each_key(
      node, path, "executors", {"local", "mpi", "slurm"},
      [&](const std::string& executor, const YAML::Node& options, const std::string&) {
        for_each_key(
            options, path, "executors." + executor, {},
            [&](const std::string& key, const YAML::Node& value, const std::string& origin) {
              Json v;
              if (value.IsSequence()) {
                v = Json::array();
                for (const auto& item : value) {
                  v.push_back(scalar(item, path, "executors." + executor + "." + key).value);
                }
              } else {
                v = scalar(value, path, "executors." + executor + "." + key).value;
              }
              into.executors[executor][key] = v;
              into.executor_origins[executor + "." + key] = origin;
            });
      });
}

void read_into(const std::string& path, SweepFile& into, std::vector<std::string>& stack) {
  const std::string canonical = fs::weakly_canonical(path).string();
  BBPT_CHECK(std::find(stack.begin(), stack.end(), canonical) == stack.end(), ConfigError,
             path << ": included again by " << stack.back() << " (an include cycle)");
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    BBPT_THROW(ConfigError, path << ": cannot read the sweep file (does it exist?)");
  } catch (const YAML::Exception& e) {
    BBPT_THROW(ConfigError, path << ":" << e.mark.line + 1 << ": not valid YAML: " << e.msg);
  }
  BBPT_CHECK(root.IsMap(), ConfigError,
             path << ": expected a mapping (name, set, grid, methods, ...)");
  stack.push_back(canonical);
  if (const auto includes = root["include"]) {
    const auto dir = fs::path(path).parent_path();
    const auto include_one = [&](const YAML::Node& n) {
      const auto file = scalar(n, path, "include").value;
      BBPT_CHECK(file.is_string(), ConfigError,
                 origin_of(path, n) << ": include: expected a file name");
      read_into((dir / file.get<std::string>()).string(), into, stack);
    };
    if (includes.IsSequence()) {
      for (const auto& n : includes) include_one(n);
    } else {
      include_one(includes);
    }
  }
  for_each_key(
      root, path, "",
      {"name", "include", "model", "set", "grid", "zip", "evaluate", "methods", "executors"},
      [&](const std::string& key, const YAML::Node& value, const std::string& origin) {
        if (key == "name") {
          into.name = scalar(value, path, key);
          into.name.value = Json(value.Scalar());
        } else if (key == "model") {
          into.model = scalar(value, path, key);
          into.model.value = Json(value.Scalar());
        } else if (key == "set" || key == "grid" || key == "zip") {
          read_factor(key, value, path, "", into.top);
        } else if (key == "methods") {
          for_each_key(value, path, "methods", {},
                       [&](const std::string& name, const YAML::Node& entry,
                           const std::string& at) { read_method(name, entry, path, at, into); });
        } else if (key == "executors") {
          read_executors(value, path, into);
        } else if (key == "evaluate") {
          into.evaluate = read_evaluations(value, path, "evaluate");
        }
        (void)origin;
      });
  stack.pop_back();
}

}  // namespace

SweepFile read_sweep_file(const std::string& path) {
  SweepFile file;
  file.path = path;
  file.name = {Json(fs::path(path).stem().string()), path};
  file.model = {Json("default"), path};
  std::vector<std::string> stack;
  read_into(path, file, stack);
  const std::string name = file.name.value.get<std::string>();
  BBPT_CHECK(!name.empty() &&
                 name.find_first_not_of(
                     "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
                     std::string::npos &&
                 name[0] != '.',
             ConfigError,
             file.name.origin << ": name: '" << name
                              << "' must be letters, digits, '.', '_' or '-' (it names the sweep "
                                 "directory and the Slurm job)");
  BBPT_CHECK(!file.methods.empty(), ConfigError,
             path << ": methods: none listed; name at least one (e.g. methods: {zip: {}})");
  return file;
}

}  // namespace bbpt::sweep::detail
