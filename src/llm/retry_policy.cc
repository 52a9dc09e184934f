// SPDX-License-Identifier: MIT
// Implements the retry timing: backoff arithmetic, Retry-After parsing (curl_getdate for HTTP
// dates) and the stop-aware sleep.
#include "retry_policy.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include "bbpt/core/stop_signal.h"

namespace bbpt::llm::detail {

double backoff_wait_s(int64_t failed_attempts, double initial_s, double max_s, double jitter) {
  // 2^62 already exceeds any sane cap; clamping the exponent keeps the double finite.
  const double exponent =
      static_cast<double>(std::min<int64_t>(std::max<int64_t>(failed_attempts - 1, 0), 62));
  return std::min(max_s, initial_s * std::pow(2.0, exponent)) * jitter;
}

std::optional<double> parse_retry_after(const std::string& value, std::time_t now) {
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    // Longer than any useful wait; also keeps stod from overflowing.
    if (value.size() > 9) return 1e9;
    return std::stod(value);
  }
  const std::time_t when = curl_getdate(value.c_str(), nullptr);
  if (when == -1) return std::nullopt;
  return std::max(0.0, std::difftime(when, now));
}

double retry_wait_s(const std::optional<double>& retry_after_s,
                    int64_t failed_attempts,
                    double initial_s,
                    double max_s,
                    double jitter) {
  if (retry_after_s) return std::min(std::max(*retry_after_s, 0.0), max_s);
  return backoff_wait_s(failed_attempts, initial_s, max_s, jitter);
}

bool sleep_unless_stopped(double seconds) {
  using Clock = std::chrono::steady_clock;
  // Short enough that a preempted trial reacts well within Slurm's warning window.
  constexpr auto kSlice = std::chrono::milliseconds(50);
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(std::max(seconds, 0.0)));
  while (true) {
    if (core::stop_requested()) return false;
    const auto now = Clock::now();
    if (now >= end) return true;
    std::this_thread::sleep_for(std::min<Clock::duration>(kSlice, end - now));
  }
}

}  // namespace bbpt::llm::detail
