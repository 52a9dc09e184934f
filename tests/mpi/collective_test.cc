// SPDX-License-Identifier: MIT
// The MPI collective and the reduction-order contract: ordered_allreduce_sum gives the same bits
// at 1, 2 and 3 ranks (each run compares with == against one sum computed without MPI, and with a
// pinned value), plus the backend names and the factory's answer about NCCL.
#include "bbpt/comm/collective.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bbpt/comm/communicator.h"
#include "bbpt/core/error.h"
#include "bbpt/core/rng.h"

namespace bbpt::comm {
namespace {

std::uint64_t bits(double x) {
  std::uint64_t b;
  std::memcpy(&b, &x, sizeof b);
  return b;
}

// 1000 values with magnitudes from 2^-20 to 2^20, so that the order of the additions shows in
// the last bits. Fixed by the seed alone (core::Rng is platform-independent; ldexp is exact).
std::vector<double> global_data() {
  core::Rng rng(2024, 5);
  std::vector<double> data(1000);
  for (double& x : data) {
    x = std::ldexp(rng.uniform(-1.0, 1.0), static_cast<int>(rng.uniform_int(41)) - 20);
  }
  return data;
}

// The fixed ownership rule: item i belongs to rank i % size.
bool owns(const Communicator& comm, std::size_t i) {
  return static_cast<int>(i % static_cast<std::size_t>(comm.size())) == comm.rank();
}

TEST(CollectiveBackend, NamesRoundTripAndUnknownNamesAreConfigErrors) {
  EXPECT_EQ(to_string(CollectiveBackend::kMpi), "mpi");
  EXPECT_EQ(to_string(CollectiveBackend::kNccl), "nccl");
  EXPECT_EQ(parse_collective_backend("mpi"), CollectiveBackend::kMpi);
  EXPECT_EQ(parse_collective_backend("nccl"), CollectiveBackend::kNccl);
  try {
    parse_collective_backend("gloo");
    ADD_FAILURE() << "no error for 'gloo'";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("comm.collective"), std::string::npos) << e.what();
  }
}

TEST(MpiCollective, IsTheDefaultAndSumsExactlyRepresentableValuesExactly) {
  auto world = Communicator::world();
  Collective& mpi = world.collective();
  EXPECT_EQ(mpi.name(), "mpi");
  EXPECT_EQ(mpi.backend(), CollectiveBackend::kMpi);
  const std::size_t count = 1003;
  std::vector<double> data(count);
  for (std::size_t i = 0; i < count; ++i) data[i] = world.rank() * 1000.0 + i;
  mpi.allreduce_sum(data.data(), count);
  for (std::size_t i = 0; i < count; ++i) {
    double expected = 0.0;
    for (int r = 0; r < world.size(); ++r) expected += r * 1000.0 + i;
    EXPECT_EQ(data[i], expected) << "i " << i;
  }
  mpi.allreduce_sum(nullptr, 0);  // a no-op, on every rank
}

TEST(MpiCollective, BroadcastFromEveryRoot) {
  auto world = Communicator::world();
  auto mpi = make_collective(CollectiveBackend::kMpi, world);
  for (int root = 0; root < world.size(); ++root) {
    std::vector<std::int32_t> v(5, world.rank() == root ? root * 10 + 1 : -1);
    mpi->broadcast(v.data(), v.size() * sizeof(v[0]), root);
    EXPECT_EQ(v, std::vector<std::int32_t>(5, root * 10 + 1));
  }
}

TEST(OrderedAllreduce, ItemsInGlobalSlotsGiveTheSameBitsForAnyRankCount) {
  auto world = Communicator::world();
  const std::vector<double> data = global_data();
  // The reference: one process, item order, no MPI.
  double expected = 0.0;
  for (double x : data) expected += x;

  // Each rank writes the items it owns into their global slots, +0.0 elsewhere.
  std::vector<double> slots(data.size(), 0.0);
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (owns(world, i)) slots[i] = data[i];
  }
  world.collective().ordered_allreduce_sum(slots.data(), slots.size());
  for (std::size_t i = 0; i < data.size(); ++i) {
    EXPECT_EQ(bits(slots[i]), bits(data[i])) << "slot " << i;
  }
  double total = 0.0;
  for (double x : slots) total += x;
  EXPECT_EQ(total, expected);
  // Pinned from this implementation: the same value at np = 1, 2, 3 (each is a separate ctest).
  EXPECT_EQ(bits(total), 0x41340ff132f027e7ULL) << "total " << total;

  // MPI_Allreduce on per-rank partial sums: implementation-defined order, so only close.
  double partial = 0.0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    if (owns(world, i)) partial += data[i];
  }
  double reduced = partial;
  world.collective().allreduce_sum(&reduced, 1);
  double magnitude = 0.0;
  for (double x : data) magnitude += std::fabs(x);
  EXPECT_NEAR(reduced, expected, 1e-13 * magnitude);

  // ordered_allreduce_sum on the partial sums: exactly ((p0 + p1) + p2), reproducible for this
  // rank count, but the grouping (and so possibly the bits) changes with the rank count.
  const std::vector<double> partials = world.allgather({partial});
  double in_rank_order = partials[0];
  for (std::size_t r = 1; r < partials.size(); ++r) in_rank_order += partials[r];
  double ordered = partial;
  world.collective().ordered_allreduce_sum(&ordered, 1);
  EXPECT_EQ(bits(ordered), bits(in_rank_order));
  if (world.rank() == 0) {
    std::printf(
        "  np=%d: slots sum %.17g (== serial), partial sums in rank order %.17g (%s), "
        "MPI_Allreduce %.17g\n",
        world.size(), total, ordered, ordered == expected ? "== serial" : "!= serial", reduced);
  }
}

TEST(OrderedAllreduce, ChunkedBuffersAndEveryBackendPathAgree) {
  auto world = Communicator::world();
  // More than one MPI chunk (2^20 elements) to cover the chunk loop.
  const std::size_t count = (std::size_t{1} << 20) + 5;
  core::Rng rng(99, static_cast<std::uint64_t>(world.rank()));
  std::vector<double> mine(count);
  for (double& x : mine) x = rng.uniform(-1.0, 1.0);
  // Every rank's contribution, regenerated locally, summed in rank order.
  std::vector<double> expected(count, 0.0);
  for (int r = 0; r < world.size(); ++r) {
    core::Rng other(99, static_cast<std::uint64_t>(r));
    for (std::size_t i = 0; i < count; ++i) {
      const double x = other.uniform(-1.0, 1.0);
      expected[i] = r == 0 ? x : expected[i] + x;
    }
  }
  auto mpi = make_collective(CollectiveBackend::kMpi, world);
  std::vector<double> got = mine;
  mpi->ordered_allreduce_sum(got.data(), count);
  EXPECT_EQ(std::memcmp(got.data(), expected.data(), count * sizeof(double)), 0);
  std::vector<double> plain = mine;
  mpi->allreduce_sum(plain.data(), count);
  double max_abs = 0.0;
  for (std::size_t i = 0; i < count; ++i)
    max_abs = std::max(max_abs, std::fabs(plain[i] - expected[i]));
  EXPECT_LE(max_abs, 1e-14 * world.size());
}

TEST(CollectiveFactory, NcclNeedsTheBuildOptionAndADevice) {
  auto world = Communicator::world();
  if (!nccl_compiled()) {
    try {
      world.use_collective(CollectiveBackend::kNccl);
      ADD_FAILURE() << "NCCL accepted in a build without it";
    } catch (const ConfigError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("comm.collective=nccl"), std::string::npos) << what;
      EXPECT_NE(what.find("BBPT_WITH_NCCL=ON"), std::string::npos) << what;
    }
    EXPECT_EQ(world.collective().name(), "mpi");  // unchanged after the refusal
    EXPECT_EQ(visible_cuda_devices(), 0);
    return;
  }
  if (visible_cuda_devices() > 0) GTEST_SKIP() << "GPU visible: see nccl_collective_test.cc";
  // NCCL compiled in, no GPU: every rank fails in the same call, none hangs.
  try {
    auto nccl = make_collective(CollectiveBackend::kNccl, world);
    ADD_FAILURE() << "NCCL collective created without a GPU";
  } catch (const CommError& e) {
    const std::string what = e.what();
    EXPECT_EQ(
        what.rfind(world.where() + ": cudaGetDeviceCount failed at comm/nccl_collective.cc:", 0),
        0u)
        << what;
    if (world.rank() == 0) std::printf("  error text: %s\n", what.c_str());
  }
  world.barrier();
}

}  // namespace
}  // namespace bbpt::comm
