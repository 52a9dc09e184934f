// SPDX-License-Identifier: MIT
// Seeded random streams whose output is fixed by this file alone (identical on every platform and
// compiler), unlike std::*_distribution. xoshiro256** seeded through SplitMix64.
// ref: https://prng.di.unimi.it/xoshiro256starstar.c
#pragma once

#include <cstdint>

namespace bbpt::core {

/// One stream of pseudo-random numbers. Two Rng built from the same (seed, stream) produce the
/// same sequence; different stream ids give statistically independent sequences.
class Rng {
 public:
  explicit Rng(uint64_t seed, uint64_t stream = 0);

  /// Next 64 random bits.
  uint64_t next_u64();
  /// Uniform double in [0, 1) with 53 random bits.
  double uniform01();
  /// Uniform double in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform01(); }
  /// Uniform integer in [0, n), unbiased (rejection sampling); n must be > 0.
  uint64_t uniform_int(uint64_t n);
  /// Standard normal N(0, 1) by the Box-Muller transform: two uniform01 draws per value (no
  /// cached second value, so the stream position is a function of the number of draws).
  double normal();
  /// +1 or -1 with probability 1/2 each (one next_u64 draw).
  double rademacher() { return (next_u64() >> 63) ? 1.0 : -1.0; }

 private:
  uint64_t s_[4];
};

}  // namespace bbpt::core
