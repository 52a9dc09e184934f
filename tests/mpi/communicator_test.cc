// SPDX-License-Identifier: MIT
// Communicator under mpirun at 1, 2 and 3 ranks: identity, data movement from every root, groups,
// and MPI failures turned into CommErrors that name host, rank, call and source line.
#include "bbpt/comm/communicator.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bbpt/comm/job.h"
#include "bbpt/core/error.h"

namespace bbpt::comm {
namespace {

// Every rank's host name, on every rank (gather + broadcast of a joined string).
std::vector<std::string> all_hosts(const Communicator& comm) {
  std::string joined;
  for (const std::string& host : comm.gather(comm.host(), 0)) joined += host + '\n';
  comm.broadcast(joined, 0);
  std::vector<std::string> hosts;
  std::istringstream lines(joined);
  for (std::string line; std::getline(lines, line);) hosts.push_back(line);
  return hosts;
}

TEST(Communicator, IdentityIsConsistent) {
  const auto world = Communicator::world();
  EXPECT_GE(world.rank(), 0);
  EXPECT_LT(world.rank(), world.size());
  EXPECT_FALSE(world.host().empty());
  if (const char* launched = std::getenv("OMPI_COMM_WORLD_SIZE")) {
    EXPECT_EQ(world.size(), std::atoi(launched)) << "size differs from what mpirun started";
  }
  EXPECT_EQ(world.where().rfind(world.host() + ":" + std::to_string(world.rank()), 0), 0u)
      << world.where();
  // MPI_COMM_TYPE_SHARED against host names: the ranks on my host, ordered by world rank.
  const std::vector<std::string> hosts = all_hosts(world);
  ASSERT_EQ(hosts.size(), static_cast<std::size_t>(world.size()));
  int on_my_host = 0, below_me = 0;
  for (int r = 0; r < world.size(); ++r) {
    if (hosts[r] != world.host()) continue;
    ++on_my_host;
    if (r < world.rank()) ++below_me;
  }
  EXPECT_EQ(world.local_size(), on_my_host);
  EXPECT_EQ(world.local_rank(), below_me);
}

TEST(Communicator, BroadcastFromEveryRoot) {
  const auto world = Communicator::world();
  for (int root = 0; root < world.size(); ++root) {
    const bool me = world.rank() == root;
    const std::vector<double> doubles = {root + 0.5, -1e300,
                                         std::numeric_limits<double>::denorm_min(), -0.0};
    std::vector<double> d = me ? doubles : std::vector<double>(7, 9.0);
    world.broadcast(d, root);
    ASSERT_EQ(d.size(), doubles.size());
    for (std::size_t i = 0; i < d.size(); ++i) {
      EXPECT_EQ(std::memcmp(&d[i], &doubles[i], sizeof(double)), 0)
          << "root " << root << " i " << i;
    }

    const std::vector<std::int64_t> ints = {std::numeric_limits<std::int64_t>::min(), root,
                                            std::numeric_limits<std::int64_t>::max()};
    std::vector<std::int64_t> n = me ? ints : std::vector<std::int64_t>{};
    world.broadcast(n, root);
    EXPECT_EQ(n, ints);

    const std::string text = std::string("from root ") + std::to_string(root) + '\0' + "tail";
    std::string s = me ? text : "stale";
    world.broadcast(s, root);
    EXPECT_EQ(s, text);

    const std::vector<std::uint8_t> bytes = {0, 255, static_cast<std::uint8_t>(root)};
    std::vector<std::uint8_t> b = me ? bytes : std::vector<std::uint8_t>{1, 2, 3, 4, 5};
    world.broadcast(b, root);
    EXPECT_EQ(b, bytes);

    std::vector<double> empty = me ? std::vector<double>{} : std::vector<double>{1.0};
    world.broadcast(empty, root);
    EXPECT_TRUE(empty.empty());

    int raw[3] = {me ? root : -1, me ? 7 : -1, me ? 11 : -1};
    world.broadcast(raw, sizeof(raw), root);
    EXPECT_EQ(raw[0], root);
    EXPECT_EQ(raw[1], 7);
    EXPECT_EQ(raw[2], 11);
  }
}

TEST(Communicator, GatherVariableLengthsInRankOrder) {
  const auto world = Communicator::world();
  for (int root : {0, world.size() - 1}) {
    // Rank r sends 3r bytes of value r: rank 0 sends nothing.
    const std::vector<std::uint8_t> mine(3 * world.rank(), static_cast<std::uint8_t>(world.rank()));
    const auto all = world.gather(mine, root);
    const auto texts = world.gather("rank " + std::to_string(world.rank()), root);
    if (world.rank() != root) {
      EXPECT_TRUE(all.empty());
      EXPECT_TRUE(texts.empty());
      continue;
    }
    ASSERT_EQ(all.size(), static_cast<std::size_t>(world.size()));
    ASSERT_EQ(texts.size(), static_cast<std::size_t>(world.size()));
    for (int r = 0; r < world.size(); ++r) {
      EXPECT_EQ(all[r], std::vector<std::uint8_t>(3 * r, static_cast<std::uint8_t>(r)));
      EXPECT_EQ(texts[r], "rank " + std::to_string(r));
    }
  }
}

TEST(Communicator, AllgatherConcatenatesInRankOrder) {
  const auto world = Communicator::world();
  const std::vector<double> mine(world.rank(), world.rank() + 0.25);  // rank 0 contributes none
  std::vector<double> expected;
  for (int r = 0; r < world.size(); ++r) expected.insert(expected.end(), r, r + 0.25);
  EXPECT_EQ(world.allgather(mine), expected);
}

TEST(Communicator, SplitMakesGroupsAndExcludesNegativeColors) {
  auto world = Communicator::world();
  world.barrier();
  const int parity = world.rank() % 2;
  std::optional<Communicator> half = world.split(parity, world.rank());
  ASSERT_TRUE(half.has_value());
  EXPECT_EQ(half->rank(), world.rank() / 2);
  EXPECT_EQ(half->size(), (world.size() + 1 - parity) / 2);
  std::vector<std::int64_t> group_root = {half->rank() == 0 ? world.rank() : -1};
  half->broadcast(group_root, 0);
  EXPECT_EQ(group_root[0], parity);  // world ranks 0 and 1 lead the two groups
  half->barrier();

  // Packed mode's shape: rank 0 schedules, the others form the work group.
  std::optional<Communicator> workers = world.split(world.rank() == 0 ? -1 : 0, world.rank());
  EXPECT_EQ(workers.has_value(), world.rank() != 0);
  if (workers) {
    EXPECT_EQ(workers->size(), world.size() - 1);
    EXPECT_EQ(workers->rank(), world.rank() - 1);
    double one = 1.0;
    workers->collective().allreduce_sum(&one, 1);
    EXPECT_EQ(one, world.size() - 1.0);
  }
  // Moving keeps the communicator working.
  Communicator moved = std::move(world);
  moved.barrier();
}

TEST(Communicator, MpiErrorBecomesCommErrorNamingRankCallAndLine) {
  const auto world = Communicator::world();
  const int bad_root = world.size();  // out of range on every rank: every rank fails the same way
  const std::string prefix = world.where() + ": ";
  std::vector<double> values = {1.0};
  try {
    world.broadcast(values, bad_root);
    ADD_FAILURE() << "broadcast to root " << bad_root << " did not throw";
  } catch (const CommError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(prefix + "MPI_Ibcast failed at comm/communicator.cc:", 0), 0u) << what;
    if (world.rank() == 0) std::printf("  error text: %s\n", what.c_str());
  }
  try {
    world.gather(std::string("x"), bad_root);
    ADD_FAILURE() << "gather to root " << bad_root << " did not throw";
  } catch (const CommError& e) {
    EXPECT_NE(std::string(e.what()).find("MPI_Igather failed at comm/communicator.cc:"),
              std::string::npos)
        << e.what();
  }
  // The communicator is still usable after a returned error.
  world.barrier();
  values = {world.rank() == 0 ? 42.0 : 0.0};
  world.broadcast(values, 0);
  EXPECT_EQ(values[0], 42.0);
}

TEST(Communicator, PointToPointRingAndPoll) {
  const auto world = Communicator::world();
  const int next = (world.rank() + 1) % world.size();
  const int previous = (world.rank() + world.size() - 1) % world.size();
  constexpr int kTag = 7;
  EXPECT_FALSE(world.poll(kTag + 1).has_value()) << "nobody sends with this tag";
  // Every rank sends rank+1 values to the next one; lengths differ per sender.
  world.send(std::vector<double>(static_cast<std::size_t>(world.rank() + 1), world.rank() + 0.25),
             next, kTag);
  const auto from_previous = world.receive(previous, kTag);
  EXPECT_EQ(from_previous.source, previous);
  EXPECT_EQ(from_previous.values,
            std::vector<double>(static_cast<std::size_t>(previous + 1), previous + 0.25));
  // Any-source receive after poll says a message is there.
  world.send(std::vector<double>{static_cast<double>(world.rank())}, next, kTag);
  std::optional<int> source;
  while (!(source = world.poll(kTag))) {
  }
  EXPECT_EQ(*source, previous);
  const auto any = world.receive(Communicator::kAnySource, kTag);
  EXPECT_EQ(any.source, previous);
  EXPECT_EQ(any.values, std::vector<double>{static_cast<double>(previous)});
  // Bytes, embedded NUL included.
  world.send(std::string("json\0text", 9) + std::to_string(world.rank()), next, kTag);
  const auto text = world.receive_bytes(previous, kTag);
  EXPECT_EQ(text.source, previous);
  EXPECT_EQ(text.bytes, std::string("json\0text", 9) + std::to_string(previous));
  world.barrier();
}

TEST(Communicator, AWaitForAMessageThatNeverComesTimesOutNamingTheCall) {
  const auto world = Communicator::world();
  const double saved = wait_timeout();
  set_wait_timeout(0.3);
  const auto start = std::chrono::steady_clock::now();
  try {
    world.receive(world.rank(), 999);  // nobody sends tag 999
    ADD_FAILURE() << "receive of a message nobody sends returned";
  } catch (const CommError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(world.where() + ": MPI_Iprobe"), std::string::npos) << what;
    EXPECT_NE(what.find("tag 999"), std::string::npos) << what;
    EXPECT_NE(what.find("no answer within 0.3 s"), std::string::npos) << what;
  }
  const double waited =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(waited, 0.3);
  EXPECT_LT(waited, 5.0);
  set_wait_timeout(saved);
  EXPECT_THROW(set_wait_timeout(0), ConfigError);
  world.barrier();
}

}  // namespace
}  // namespace bbpt::comm
