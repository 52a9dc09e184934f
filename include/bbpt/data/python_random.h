// SPDX-License-Identifier: MIT
// PythonRandom: CPython's random.Random (MT19937) reproduced bit for bit for the calls Dassl's
// few-shot sampling and dataset construction make: seed(int), random(), getrandbits(k),
// _randbelow(n), sample(range(n), k), choices(range(n), k=k) and shuffle(x). Not the rest of the
// random module (gauss, seeding from str/bytes, Python < 3.2 seeding).
// ref: https://github.com/python/cpython/blob/3.11/Modules/_randommodule.c
// ref: https://github.com/python/cpython/blob/3.11/Lib/random.py
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace bbpt::data {

class PythonRandom {
 public:
  /// The state of random.seed(n) for an int n with |n| = `magnitude` (CPython seeds an int with
  /// its absolute value, split into 32-bit words, least significant first, by init_by_array).
  explicit PythonRandom(uint64_t magnitude);

  /// One 32-bit output of MT19937 (genrand_uint32).
  uint32_t next_u32();
  /// random.random(): a double in [0, 1) with 53 random bits (genrand_res53).
  double random();
  /// random.getrandbits(k) for k in [0, 64]: the first word fills the low bits; the last word
  /// used is shifted right by 32 - (its remaining bits).
  uint64_t getrandbits(int k);
  /// random._randbelow(n) for n >= 1: getrandbits(n.bit_length()) until the value is < n.
  uint64_t randbelow(uint64_t n);
  /// random.sample(range(n), k): k distinct positions in draw order. Uses CPython's two branches:
  /// the pool (list) branch when n <= setsize, else the set branch (re-draw on repeats), with
  /// setsize = 21, plus 4 ** ceil(log(3k, 4)) when k > 5. Requires k <= n.
  std::vector<size_t> sample(size_t n, size_t k);
  /// random.choices(range(n), k=k): k positions drawn with replacement, floor(random() * n).
  std::vector<size_t> choices(size_t n, size_t k);
  /// random.shuffle(x) in place: for i = len-1 down to 1, swap x[i] with x[randbelow(i + 1)].
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (size_t i = items.size(); i-- > 1;) {
      const auto j = static_cast<size_t>(randbelow(i + 1));
      std::swap(items[i], items[j]);
    }
  }
  /// Consumes exactly what random.shuffle of a list of `length` items consumes.
  void skip_shuffle(size_t length);

 private:
  static constexpr int kN = 624;
  void init_genrand(uint32_t s);
  void init_by_array(const std::vector<uint32_t>& key);

  uint32_t state_[kN] = {};
  int index_ = kN + 1;
};

/// CPython's setsize threshold of random.sample for k items (see PythonRandom::sample).
size_t python_sample_setsize(size_t k);

}  // namespace bbpt::data
