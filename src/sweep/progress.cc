// SPDX-License-Identifier: MIT
#include "progress.h"

#include <algorithm>
#include <cstdio>
#include <iomanip>

namespace bbpt::sweep::detail {

ProgressBoard::ProgressBoard(std::ostream& out, std::string prefix, int slots)
    : out_(out), prefix_(std::move(prefix)), slots_(std::max(slots, 1)) {}

void ProgressBoard::add(const std::string& key,
                        const std::string& label,
                        const std::string& kind,
                        int64_t budget_queries) {
  Trial t;
  t.label = label.empty() ? key : label;
  t.kind = kind;
  t.budget_queries = budget_queries;
  trials_[key] = t;
}

void ProgressBoard::started(const std::string& key, const std::string& where) {
  auto& t = trials_[key];
  t.running = true;
  t.where = where;
  t.started = Clock::now();
}

void ProgressBoard::advanced(const std::string& key, int64_t step, int64_t queries) {
  auto& t = trials_[key];
  t.step = step;
  t.queries = queries;
}

std::string ProgressBoard::clock_text(double seconds) {
  char text[32];
  const auto s = static_cast<long>(seconds + 0.5);
  std::snprintf(text, sizeof text, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  return text;
}

double ProgressBoard::estimate_s(const Trial& t) const {
  const auto kind = seconds_by_kind_.find(t.kind);
  const double whole = kind != seconds_by_kind_.end() ? kind->second.first / kind->second.second
                                                      : seconds_all_ / std::max(timed_, 1);
  if (!t.running) return whole;
  const double elapsed = std::chrono::duration<double>(Clock::now() - t.started).count();
  // The trial's own pace once it is 10% through its budget (before that its set-up, the model and
  // the features, dominates and the pace overstates what is left), else its kind's mean.
  const bool own_pace = t.budget_queries > 0 && t.queries * 10 >= t.budget_queries;
  if (own_pace || (kind == seconds_by_kind_.end() && t.budget_queries > 0 && t.queries > 0)) {
    return elapsed * static_cast<double>(std::max<int64_t>(t.budget_queries - t.queries, 0)) /
           static_cast<double>(t.queries);
  }
  return std::max(whole - elapsed, 0.0);
}

double ProgressBoard::eta_s() const {
  if (timed_ == 0) return -1;
  double left = 0;
  for (const auto& [key, t] : trials_) {
    if (!t.ended) left += estimate_s(t);
  }
  return left / slots_;
}

void ProgressBoard::ended(const std::string& key, const std::string& what, bool counts_for_eta) {
  auto& t = trials_[key];
  const double took =
      t.running ? std::chrono::duration<double>(Clock::now() - t.started).count() : 0.0;
  t.running = false;
  t.ended = true;
  ++ended_;
  if (counts_for_eta && took > 0) {
    auto& k = seconds_by_kind_[t.kind];
    k.first += took;
    ++k.second;
    seconds_all_ += took;
    ++timed_;
  }
  const auto left = std::count_if(trials_.begin(), trials_.end(),
                                  [](const auto& kv) { return !kv.second.ended; });
  out_ << prefix_ << ": [" << ended_ << "/" << trials_.size() << "] " << t.label << ": " << what
       << " in " << std::fixed << std::setprecision(1) << took << " s"
       << (t.where.empty() ? "" : " " + t.where);
  if (left > 0) {
    out_ << ", " << left << " left";
    const double eta = eta_s();
    if (eta >= 0) out_ << ", ETA " << clock_text(eta);
  }
  out_ << "\n" << std::flush;
}

void ProgressBoard::print_running_every(double interval_s) {
  if (std::chrono::duration<double>(Clock::now() - last_running_line_).count() < interval_s) return;
  last_running_line_ = Clock::now();
  std::string line;
  for (const auto& [key, t] : trials_) {
    if (!t.running) continue;
    const double elapsed = std::chrono::duration<double>(Clock::now() - t.started).count();
    line += (line.empty() ? "" : "; ") + t.label;
    if (t.queries > 0) {
      line += " " + std::to_string(t.queries) +
              (t.budget_queries > 0 ? "/" + std::to_string(t.budget_queries) : "") + " queries";
    } else if (t.step > 0) {
      line += " step " + std::to_string(t.step);
    }
    line += " (" + clock_text(elapsed) + ")";
  }
  if (line.empty()) return;
  out_ << prefix_ << ": running: " << line;
  const double eta = eta_s();
  if (eta >= 0) out_ << "; ETA " << clock_text(eta);
  out_ << "\n" << std::flush;
}

}  // namespace bbpt::sweep::detail
