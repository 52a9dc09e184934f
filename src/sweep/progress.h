// SPDX-License-Identifier: MIT
// What a sweep shows while it runs: one line per trial that ends ("[13/39] zip fmnist seed 1: done
// in 11.6 s on rank 1, 26 left, ETA 0:10:12") and, every so often, the running trials and how far
// they are ("running: bptvlm mnist seed 2 1200/2000 queries (130 s)"). The ETA sums, over the
// trials not ended, the mean duration of the ended trials of the same kind (method), else of all,
// less what a running trial has done, divided by the trials that run at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <string>

namespace bbpt::sweep::detail {

class ProgressBoard {
 public:
  /// prefix: "bbpt sweep" | "bbpt pack"; slots: trials that run at once.
  ProgressBoard(std::ostream& out, std::string prefix, int slots);

  /// A trial to run. kind groups trials of similar cost (the method); budget_queries 0: unknown.
  void add(const std::string& key,
           const std::string& label,
           const std::string& kind,
           int64_t budget_queries);
  void started(const std::string& key, const std::string& where = "");
  void advanced(const std::string& key, int64_t step, int64_t queries);
  /// Prints the trial's line; `what` is "done", "FAILED: reason", "stopped", ...
  void ended(const std::string& key, const std::string& what, bool counts_for_eta = true);
  /// Prints the running trials when interval_s has passed since the last such line.
  void print_running_every(double interval_s);

  /// Seconds left, or a negative number when no trial has ended yet.
  double eta_s() const;
  static std::string clock_text(double seconds);  // h:mm:ss

 private:
  using Clock = std::chrono::steady_clock;
  struct Trial {
    std::string label, kind, where;
    int64_t budget_queries = 0, step = 0, queries = 0;
    bool running = false, ended = false;
    Clock::time_point started;
  };
  double estimate_s(const Trial& t) const;

  std::ostream& out_;
  std::string prefix_;
  int slots_;
  std::map<std::string, Trial> trials_;
  std::map<std::string, std::pair<double, int>> seconds_by_kind_;  // summed duration, count
  double seconds_all_ = 0;
  int ended_ = 0, timed_ = 0;
  Clock::time_point last_running_line_ = Clock::now();
};

}  // namespace bbpt::sweep::detail
