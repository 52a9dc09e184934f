// SPDX-License-Identifier: MIT
// NcclCollective against MpiCollective on the same seeded inputs (nccl-tests' "verify every
// result"). Runs only with BBPT_WITH_NCCL=ON and one visible GPU per rank on the node; otherwise
// every rank skips (the decision is agreed over MPI so no rank waits for a skipped one).
// Tolerance for the unordered NCCL sum: |nccl - mpi| <= 4 * size * eps * sum_r |x_r| per element.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <vector>

#include "bbpt/comm/collective.h"
#include "bbpt/comm/communicator.h"
#include "bbpt/core/rng.h"

namespace bbpt::comm {
namespace {

// Whether every rank can run NCCL here; the same answer on every rank.
bool nccl_runnable(Communicator& world, std::string* why) {
  const int devices = visible_cuda_devices();
  double missing = (nccl_compiled() && devices >= world.local_size()) ? 0.0 : 1.0;
  world.collective().allreduce_sum(&missing, 1);
  *why = "needs BBPT_WITH_NCCL=ON (" + std::string(nccl_compiled() ? "on" : "off") +
         ") and one GPU per rank (" + std::to_string(devices) + " visible, " +
         std::to_string(world.local_size()) + " ranks on this node)";
  return missing == 0.0;
}

std::vector<double> seeded(int rank, std::size_t count) {
  core::Rng rng(7, static_cast<std::uint64_t>(rank));  // seed = f(test, rank)
  std::vector<double> v(count);
  for (double& x : v)
    x = std::ldexp(rng.uniform(-1.0, 1.0), static_cast<int>(rng.uniform_int(21)) - 10);
  return v;
}

TEST(NcclCollective, AllreduceMatchesMpiWithinTolerance) {
  auto world = Communicator::world();
  std::string why;
  if (!nccl_runnable(world, &why)) GTEST_SKIP() << why;
  auto nccl = make_collective(CollectiveBackend::kNccl, world);
  auto mpi = make_collective(CollectiveBackend::kMpi, world);
  EXPECT_EQ(nccl->name(), "nccl");
  for (std::size_t count : {std::size_t{1}, std::size_t{1000}, std::size_t{1} << 21}) {
    const std::vector<double> mine = seeded(world.rank(), count);
    std::vector<double> a = mine, b = mine, magnitude(count);
    for (std::size_t i = 0; i < count; ++i) magnitude[i] = std::fabs(mine[i]);
    nccl->allreduce_sum(a.data(), count);
    mpi->allreduce_sum(b.data(), count);
    mpi->allreduce_sum(magnitude.data(), count);
    const double eps = std::numeric_limits<double>::epsilon();
    double max_abs = 0.0, max_rel = 0.0;
    std::size_t bad = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const double diff = std::fabs(a[i] - b[i]);
      max_abs = std::max(max_abs, diff);
      if (magnitude[i] > 0) max_rel = std::max(max_rel, diff / magnitude[i]);
      if (diff > 4.0 * world.size() * eps * magnitude[i]) ++bad;
    }
    EXPECT_EQ(bad, 0u) << "count " << count;
    if (world.rank() == 0) {
      std::printf("  nccl vs mpi allreduce, %zu doubles: max abs %.3g, max rel (to sum|x|) %.3g\n",
                  count, max_abs, max_rel);
    }
  }
}

TEST(NcclCollective, OrderedSumIsBitwiseEqualToMpi) {
  auto world = Communicator::world();
  std::string why;
  if (!nccl_runnable(world, &why)) GTEST_SKIP() << why;
  auto nccl = make_collective(CollectiveBackend::kNccl, world);
  auto mpi = make_collective(CollectiveBackend::kMpi, world);
  const std::size_t count = 100003;
  std::vector<double> a = seeded(world.rank(), count), b = a;
  nccl->ordered_allreduce_sum(a.data(), count);
  mpi->ordered_allreduce_sum(b.data(), count);
  EXPECT_EQ(std::memcmp(a.data(), b.data(), count * sizeof(double)), 0);
}

TEST(NcclCollective, BroadcastFromEveryRootAndUseCollective) {
  auto world = Communicator::world();
  std::string why;
  if (!nccl_runnable(world, &why)) GTEST_SKIP() << why;
  world.use_collective(CollectiveBackend::kNccl);
  Collective& nccl = world.collective();
  EXPECT_EQ(nccl.backend(), CollectiveBackend::kNccl);
  for (int root = 0; root < world.size(); ++root) {
    std::vector<std::int64_t> v(1001, world.rank() == root ? root + 100 : -1);
    nccl.broadcast(v.data(), v.size() * sizeof(v[0]), root);
    EXPECT_EQ(v, std::vector<std::int64_t>(1001, root + 100)) << "root " << root;
  }
}

}  // namespace
}  // namespace bbpt::comm
