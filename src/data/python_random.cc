// SPDX-License-Identifier: MIT
// Implements PythonRandom: MT19937 as in CPython's _randommodule.c (init_genrand, init_by_array,
// genrand_uint32, random_seed for ints, getrandbits, random) and the Lib/random.py methods
// _randbelow_with_getrandbits, sample, choices and shuffle.
#include "bbpt/data/python_random.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "bbpt/core/error.h"

namespace bbpt::data {
namespace {

constexpr int kM = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpperMask = 0x80000000U;
constexpr uint32_t kLowerMask = 0x7fffffffU;

int bit_length(uint64_t n) {
  int bits = 0;
  while (n != 0) {
    ++bits;
    n >>= 1;
  }
  return bits;
}

}  // namespace

size_t python_sample_setsize(size_t k) {
  // ref: Lib/random.py sample(): setsize = 21; if k > 5: setsize += 4 ** _ceil(_log(k * 3, 4)).
  // math.log(x, base) is log(x) / log(base) in C doubles, which is what this computes.
  size_t setsize = 21;
  if (k > 5) {
    const double exponent = std::ceil(std::log(static_cast<double>(k * 3)) / std::log(4.0));
    setsize += static_cast<size_t>(1) << (2 * static_cast<int>(exponent));
  }
  return setsize;
}

PythonRandom::PythonRandom(uint64_t magnitude) {
  // random_seed(): key = the 32-bit words of abs(n), least significant first; at least one word.
  std::vector<uint32_t> key = {static_cast<uint32_t>(magnitude & 0xffffffffU)};
  if ((magnitude >> 32) != 0) key.push_back(static_cast<uint32_t>(magnitude >> 32));
  init_by_array(key);
}

void PythonRandom::init_genrand(uint32_t s) {
  state_[0] = s;
  for (int i = 1; i < kN; ++i) {
    state_[i] = 1812433253U * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  }
  index_ = kN;
}

void PythonRandom::init_by_array(const std::vector<uint32_t>& key) {
  init_genrand(19650218U);
  int i = 1;
  size_t j = 0;
  const size_t length = key.size();
  for (size_t k = std::max(static_cast<size_t>(kN), length); k > 0; --k) {
    state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1664525U)) + key[j] +
                static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      state_[0] = state_[kN - 1];
      i = 1;
    }
    if (j >= length) j = 0;
  }
  for (int k = kN - 1; k > 0; --k) {
    state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1566083941U)) -
                static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      state_[0] = state_[kN - 1];
      i = 1;
    }
  }
  state_[0] = 0x80000000U;
}

uint32_t PythonRandom::next_u32() {
  if (index_ >= kN) {
    const auto twist = [this](int kk, int next, int far) {
      const uint32_t y = (state_[kk] & kUpperMask) | (state_[next] & kLowerMask);
      state_[kk] = state_[far] ^ (y >> 1) ^ ((y & 1U) != 0 ? kMatrixA : 0U);
    };
    int kk = 0;
    for (; kk < kN - kM; ++kk) twist(kk, kk + 1, kk + kM);
    for (; kk < kN - 1; ++kk) twist(kk, kk + 1, kk + kM - kN);
    twist(kN - 1, 0, kM - 1);
    index_ = 0;
  }
  uint32_t y = state_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= y >> 18;
  return y;
}

double PythonRandom::random() {
  const uint32_t a = next_u32() >> 5;
  const uint32_t b = next_u32() >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

uint64_t PythonRandom::getrandbits(int k) {
  BBPT_ASSERT(k >= 0 && k <= 64, "getrandbits(k = " << k << ") supports k in [0, 64]");
  if (k <= 32) return k == 0 ? 0 : next_u32() >> (32 - k);
  const uint64_t low = next_u32();
  const uint64_t high = next_u32() >> (64 - k);
  return low | (high << 32);
}

uint64_t PythonRandom::randbelow(uint64_t n) {
  BBPT_ASSERT(n >= 1, "randbelow(n = " << n << ") needs n >= 1");
  const int k = bit_length(n);  // n.bit_length(), not (n - 1)'s: n = 1 still draws one word
  uint64_t r = getrandbits(k);
  while (r >= n) r = getrandbits(k);
  return r;
}

std::vector<size_t> PythonRandom::sample(size_t n, size_t k) {
  BBPT_ASSERT(k <= n, "sample(k = " << k << ") from a population of " << n);
  std::vector<size_t> result(k);
  if (n <= python_sample_setsize(k)) {
    std::vector<size_t> pool(n);
    for (size_t i = 0; i < n; ++i) pool[i] = i;
    for (size_t i = 0; i < k; ++i) {
      const auto j = static_cast<size_t>(randbelow(n - i));
      result[i] = pool[j];
      pool[j] = pool[n - i - 1];
    }
  } else {
    std::unordered_set<size_t> selected;
    for (size_t i = 0; i < k; ++i) {
      auto j = static_cast<size_t>(randbelow(n));
      while (selected.count(j) != 0) j = static_cast<size_t>(randbelow(n));
      selected.insert(j);
      result[i] = j;
    }
  }
  return result;
}

std::vector<size_t> PythonRandom::choices(size_t n, size_t k) {
  BBPT_ASSERT(n >= 1, "choices(k = " << k << ") from an empty population");
  std::vector<size_t> result(k);
  const auto count = static_cast<double>(n);
  for (size_t i = 0; i < k; ++i) result[i] = static_cast<size_t>(std::floor(random() * count));
  return result;
}

void PythonRandom::skip_shuffle(size_t length) {
  for (size_t i = length; i-- > 1;) randbelow(i + 1);
}

}  // namespace bbpt::data
