// SPDX-License-Identifier: MIT
// A program started without mpirun (MPI singleton): world of one rank, the whole Communicator and
// Collective API working, and MPI errors returned as CommErrors rather than aborting the process.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bbpt/comm/collective.h"
#include "bbpt/comm/communicator.h"
#include "bbpt/comm/mpi_environment.h"
#include "bbpt/core/error.h"

namespace bbpt::comm {
namespace {

TEST(Singleton, WorldOfOneRankWithoutALauncher) {
  auto world = Communicator::world();
  EXPECT_EQ(world.size(), 1);
  EXPECT_EQ(world.rank(), 0);
  EXPECT_EQ(world.local_rank(), 0);
  EXPECT_EQ(world.local_size(), 1);
  world.barrier();
  std::vector<double> v = {1.5, -0.0};
  world.broadcast(v, 0);
  EXPECT_EQ(v, (std::vector<double>{1.5, -0.0}));
  const auto gathered = world.gather(std::string("only"), 0);
  ASSERT_EQ(gathered.size(), 1u);
  EXPECT_EQ(gathered[0], "only");
  EXPECT_EQ(world.allgather({2.0, 3.0}), (std::vector<double>{2.0, 3.0}));
  std::vector<double> sums = {0.1, -0.0, 1e300};
  const std::vector<double> before = sums;
  world.collective().ordered_allreduce_sum(sums.data(), sums.size());
  EXPECT_EQ(std::memcmp(sums.data(), before.data(), sizeof(double) * sums.size()), 0);
  world.collective().allreduce_sum(sums.data(), sums.size());
  EXPECT_EQ(sums[0], 0.1);
}

TEST(Singleton, MpiErrorIsACommErrorNotAnAbort) {
  const auto world = Communicator::world();
  std::vector<double> v = {1.0};
  try {
    world.broadcast(v, 1);
    ADD_FAILURE() << "broadcast from root 1 in a world of 1 did not throw";
  } catch (const CommError& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(world.where() + ": MPI_Ibcast failed at comm/communicator.cc:", 0), 0u)
        << what;
  }
  world.barrier();  // still usable
}

TEST(Singleton, ANestedEnvironmentLeavesMpiToItsOwner) {
  {
    MpiEnvironment again;
    EXPECT_FALSE(again.owns_mpi());
  }
  EXPECT_TRUE(MpiEnvironment::active());
  const auto world = Communicator::world();
  world.barrier();
}

}  // namespace
}  // namespace bbpt::comm
