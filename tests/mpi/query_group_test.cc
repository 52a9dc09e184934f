// SPDX-License-Identifier: MIT
// dist::QueryGroup under mpirun at 1, 2 and 3 ranks: every rank gets every item's results, bit
// for bit what one process computes alone, with static and dynamic balancing, uneven chunks and
// uneven evaluation times; -0.0 results survive; the leader's broadcast reaches every rank.
#include "bbpt/dist/query_group.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <vector>

#include "bbpt/comm/communicator.h"
#include "bbpt/core/error.h"

namespace bbpt::dist {
namespace {

// Item i's width values: awkward doubles (not exactly representable sums), -0.0 for i % 5 == 0.
std::vector<double> item_values(int64_t i, int64_t width) {
  std::vector<double> v;
  for (int64_t w = 0; w < width; ++w) {
    v.push_back(i % 5 == 0 && w == 0 ? -0.0 : std::sin(0.1 * static_cast<double>(i * width + w)) / 3.0);
  }
  return v;
}

ChunkEvaluator evaluator(int64_t width, int rank, bool uneven) {
  return [=](int64_t first, int64_t count) {
    if (uneven) std::this_thread::sleep_for(std::chrono::milliseconds(rank == 1 ? 20 : 1));
    std::vector<double> out;
    for (int64_t i = first; i < first + count; ++i) {
      const auto v = item_values(i, width);
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  };
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

TEST(QueryGroup, EveryRankGetsTheSingleProcessResultBitForBit) {
  auto world = comm::Communicator::world();
  QueryGroup group(world);
  QueryGroup alone;
  for (const auto balancing : {Balancing::kStatic, Balancing::kDynamic}) {
    for (const int64_t items : {1, 6, 10, 17}) {
      for (const int64_t chunk : {1, 2, 4}) {
        const StepWork work{items, chunk, 3, balancing};
        const auto expected = alone.evaluate(work, evaluator(3, 0, false));
        const auto got = group.evaluate(work, evaluator(3, world.rank(), balancing == Balancing::kDynamic));
        EXPECT_TRUE(same_bits(got, expected)) << to_string(balancing) << " items " << items << " chunk " << chunk;
        EXPECT_TRUE(std::signbit(got[0])) << "-0.0 of item 0 kept";
      }
    }
  }
  // Dynamic work reached more than one rank when there were several (rank 1 is slower, but it asks).
  const auto chunks = world.allgather({static_cast<double>(group.stats().chunks_evaluated)});
  double total = 0;
  for (double c : chunks) total += c;
  if (world.size() > 1) EXPECT_GT(chunks[1], 0) << "rank 1 evaluated nothing";
  EXPECT_GT(total, 0);
}

TEST(QueryGroup, LeaderBroadcastReachesEveryRank) {
  auto world = comm::Communicator::world();
  QueryGroup group(world);
  std::vector<double> message;
  if (group.is_leader()) message = {7.0, -0.0, 1e-300};
  group.broadcast(message);
  EXPECT_TRUE(same_bits(message, {7.0, -0.0, 1e-300}));
  std::string bytes = group.is_leader() ? std::string("state\0bytes", 11) : "";
  group.broadcast(bytes);
  EXPECT_EQ(bytes, std::string("state\0bytes", 11));
  EXPECT_EQ(group.size(), world.size());
}

TEST(QueryGroup, AWrongResultLengthIsAnError) {
  QueryGroup alone;
  EXPECT_THROW(alone.evaluate({4, 2, 1, Balancing::kStatic}, [](int64_t, int64_t) { return std::vector<double>{1.0}; }),
               ConfigError);
  EXPECT_THROW(alone.evaluate({4, 0, 1, Balancing::kStatic}, evaluator(1, 0, false)), ConfigError);
}

}  // namespace
}  // namespace bbpt::dist
