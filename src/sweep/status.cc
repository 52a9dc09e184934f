// SPDX-License-Identifier: MIT
// Implements the plan and status tables (status.h).
#include "bbpt/sweep/status.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <vector>

#include "bbpt/sweep/slurm_executor.h"

namespace bbpt::sweep {

using Json = nlohmann::json;

void print_plan(const Sweep& s, std::ostream& out) {
  size_t method_width = 8, dataset_width = 9;  // columns as wide as their longest entry
  for (const auto& t : s.trials) {
    method_width = std::max(method_width, t.method.size() + 2);
    dataset_width = std::max(dataset_width, t.dataset.size() + 2);
  }
  const auto m_w = static_cast<int>(method_width), d_w = static_cast<int>(dataset_width);
  out << std::left << std::setw(6) << "#" << std::setw(18) << "id" << std::setw(m_w) << "method"
      << std::setw(d_w) << "dataset" << std::setw(6) << "seed"
      << "overrides\n";
  std::map<std::string, int> per_method, per_dataset;
  for (const auto& t : s.trials) {
    Json shown = t.overrides;
    for (const char* k : {"dataset", "seed"}) shown.erase(k);
    out << std::setw(6) << t.index << std::setw(18) << t.id << std::setw(m_w) << t.method
        << std::setw(d_w) << t.dataset << std::setw(6) << t.seed
        << (shown.empty() ? "" : shown.dump()) << "\n";
    ++per_method[t.method];
    ++per_dataset[t.dataset];
  }
  out << s.trials.size() << " trials;";
  for (const auto& [m, n] : per_method) out << " " << m << " " << n;
  out << ";";
  for (const auto& [d, n] : per_dataset) out << " " << d << " " << n;
  out << "\n";
}

void print_status(const SweepStore& store, std::ostream& out, std::ostream& errors) {
  const auto plan = store.read_manifest();
  std::map<std::string, std::string> queued;
  try {
    queued = slurm_states(store);
  } catch (const std::exception& e) {
    errors << "bbpt sweep status: " << e.what() << "\n";
  }
  // (method, dataset) -> state -> count
  std::map<std::pair<std::string, std::string>, std::map<std::string, int>> table;
  std::map<std::string, int> totals;
  std::vector<std::string> failures;
  for (const auto& t : plan) {
    const auto s = store.status(t.id);
    std::string state = to_string(s.state);
    if (s.state != TrialState::kDone && s.state != TrialState::kRunning && queued.count(t.id)) {
      state = queued.at(t.id) == "RUNNING" ? "running" : "queued";
    }
    ++table[{t.method, t.dataset}][state];
    ++totals[state];
    if (s.state == TrialState::kFailed)
      failures.push_back(t.id + " " + t.method + " " + t.dataset + " seed " +
                         std::to_string(t.seed) + ": " + s.reason);
  }
  const std::vector<std::string> states = {"done",        "running", "queued",
                                           "interrupted", "failed",  "pending"};
  out << std::left << std::setw(16) << "method" << std::setw(12) << "dataset";
  for (const auto& st : states) out << std::setw(12) << st;
  out << "\n";
  for (const auto& [key, counts] : table) {
    out << std::setw(16) << key.first << std::setw(12) << key.second;
    for (const auto& st : states) out << std::setw(12) << (counts.count(st) ? counts.at(st) : 0);
    out << "\n";
  }
  out << std::setw(28) << "all";
  for (const auto& st : states) out << std::setw(12) << totals[st];
  out << "\n";
  for (const auto& f : failures) out << "failed: " << f << "\n";
}

}  // namespace bbpt::sweep
