// SPDX-License-Identifier: MIT
// dist::QueryGroup under mpirun at 1, 2 and 3 ranks: every rank gets every item's results, bit
// for bit what one process computes alone, with static and dynamic balancing, uneven chunks and
// uneven evaluation times; -0.0 results survive; the leader's broadcast reaches every rank; an
// evaluator that throws on one rank fails the step on every rank with that rank's reason, and the
// group's next step works.
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
    v.push_back(i % 5 == 0 && w == 0 ? -0.0
                                     : std::sin(0.1 * static_cast<double>(i * width + w)) / 3.0);
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
        const auto got =
            group.evaluate(work, evaluator(3, world.rank(), balancing == Balancing::kDynamic));
        EXPECT_TRUE(same_bits(got, expected))
            << to_string(balancing) << " items " << items << " chunk " << chunk;
        EXPECT_TRUE(std::signbit(got[0])) << "-0.0 of item 0 kept";
      }
    }
  }
  // Dynamic work reached more than one rank when there were several (rank 1 is slower, but it
  // asks).
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

TEST(QueryGroup, AnEvaluatorFailureOnOneRankFailsTheStepOnEveryRank) {
  auto world = comm::Communicator::world();
  QueryGroup group(world);
  QueryGroup alone;
  const int failing = world.size() - 1;  // the leader itself at 1 rank
  for (const auto balancing : {Balancing::kStatic, Balancing::kDynamic}) {
    const StepWork work{12, 1, 2, balancing};
    const ChunkEvaluator fails_on_one_rank = [&](int64_t first, int64_t count) {
      if (world.rank() == failing) throw Error("out of memory on this rank's GPU");
      // A slow leader: under dynamic balancing the failing rank then surely gets a chunk.
      if (world.rank() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      return evaluator(2, world.rank(), false)(first, count);
    };
    try {
      group.evaluate(work, fails_on_one_rank);
      ADD_FAILURE() << to_string(balancing) << ": no exception on rank " << world.rank();
    } catch (const Error& e) {
      // One process: the evaluator's own error; several: the same error on every rank.
      EXPECT_EQ(dynamic_cast<const GroupEvaluationFailed*>(&e) != nullptr, world.size() > 1);
      const std::string expected =
          world.size() > 1 ? "rank " + std::to_string(failing) + " failed: " : "";
      EXPECT_EQ(std::string(e.what()), expected + "out of memory on this rank's GPU")
          << to_string(balancing);
    }
    // The ranks are still in step: the next step gives every rank the single-process results.
    const auto expected = alone.evaluate(work, evaluator(2, 0, false));
    EXPECT_TRUE(same_bits(group.evaluate(work, evaluator(2, world.rank(), false)), expected))
        << to_string(balancing);
  }
}

TEST(QueryGroup, AWrongResultLengthIsAnError) {
  QueryGroup alone;
  EXPECT_THROW(alone.evaluate({4, 2, 1, Balancing::kStatic},
                              [](int64_t, int64_t) { return std::vector<double>{1.0}; }),
               ConfigError);
  EXPECT_THROW(alone.evaluate({4, 0, 1, Balancing::kStatic}, evaluator(1, 0, false)), ConfigError);
}

}  // namespace
}  // namespace bbpt::dist
