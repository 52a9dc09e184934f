// SPDX-License-Identifier: MIT
// Retry timing: the backoff must grow and stay capped (a dead server costs a bounded, predictable
// time), and Retry-After must be read in both of its forms, because a server that asks for a wait
// and gets hammered instead keeps answering 429.
#include "retry_policy.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>

namespace bbpt::llm::detail {
namespace {

TEST(RetryPolicy, BackoffDoublesFromInitialAndStopsAtMax) {
  EXPECT_DOUBLE_EQ(backoff_wait_s(1, 1.0, 60.0, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(backoff_wait_s(2, 1.0, 60.0, 1.0), 2.0);
  EXPECT_DOUBLE_EQ(backoff_wait_s(3, 1.0, 60.0, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(backoff_wait_s(7, 1.0, 60.0, 1.0), 60.0);
  EXPECT_DOUBLE_EQ(backoff_wait_s(10000, 1.0, 60.0, 1.0), 60.0);  // no overflow to inf/nan
  EXPECT_DOUBLE_EQ(backoff_wait_s(3, 1.0, 60.0, 0.5), 2.0);       // jitter scales the capped wait
}

TEST(RetryPolicy, RetryAfterDeltaSeconds) {
  EXPECT_EQ(parse_retry_after("120", 0), 120.0);
  EXPECT_EQ(parse_retry_after("0", 0), 0.0);
  EXPECT_FALSE(parse_retry_after("", 0).has_value());
  EXPECT_FALSE(parse_retry_after("soon", 0).has_value());
  EXPECT_FALSE(parse_retry_after("-5", 0).has_value());
}

TEST(RetryPolicy, RetryAfterHttpDate) {
  std::tm when{};
  when.tm_year = 2015 - 1900;
  when.tm_mon = 9;
  when.tm_mday = 21;
  when.tm_hour = 7;
  when.tm_min = 28;
  const std::time_t date = timegm(&when);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", date - 30), 30.0);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", date + 30), 0.0);  // already past
}

TEST(RetryPolicy, RetryAfterWinsOverBackoffAndIsClamped) {
  EXPECT_DOUBLE_EQ(retry_wait_s(3.0, 1, 0.01, 60.0, 0.5), 3.0);
  EXPECT_DOUBLE_EQ(retry_wait_s(1000.0, 1, 0.01, 60.0, 0.5), 60.0);
  EXPECT_DOUBLE_EQ(retry_wait_s(-2.0, 1, 0.01, 60.0, 0.5), 0.0);
  EXPECT_DOUBLE_EQ(retry_wait_s(std::nullopt, 2, 1.0, 60.0, 0.75), 1.5);
}

TEST(RetryPolicy, SleepLastsTheAskedTime) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(sleep_unless_stopped(0.12));
  const double slept_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(slept_s, 0.12);
  EXPECT_LT(slept_s, 1.0);
}

}  // namespace
}  // namespace bbpt::llm::detail
