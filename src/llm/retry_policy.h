// SPDX-License-Identifier: MIT
// The retry timing of ChatClient: exponential backoff with jitter, the Retry-After header (seconds
// or an HTTP date), and a sleep that ends early when a stop is requested (core/stop_signal.h).
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>

namespace bbpt::llm::detail {

/// Wait before attempt `failed_attempts + 1`, in seconds:
/// min(max_s, initial_s * 2^(failed_attempts - 1)) * jitter. jitter in [0.5, 1) spreads the
/// retries of many clients that failed together. failed_attempts >= 1.
double backoff_wait_s(int64_t failed_attempts, double initial_s, double max_s, double jitter);

/// The wait a Retry-After value asks for, in seconds from `now`: delta-seconds ("120") or an HTTP
/// date ("Wed, 21 Oct 2015 07:28:00 GMT"); a date in the past gives 0. nullopt when the value is
/// empty or neither form.
std::optional<double> parse_retry_after(const std::string& value, std::time_t now);

/// The wait after a failed attempt: the server's Retry-After when it gave one (at least 0, at most
/// max_s), otherwise the jittered backoff.
double retry_wait_s(const std::optional<double>& retry_after_s,
                    int64_t failed_attempts,
                    double initial_s,
                    double max_s,
                    double jitter);

/// Sleeps `seconds` in short slices; returns false as soon as core::stop_requested() is true
/// (before or during the sleep), true after a full sleep.
bool sleep_unless_stopped(double seconds);

}  // namespace bbpt::llm::detail
