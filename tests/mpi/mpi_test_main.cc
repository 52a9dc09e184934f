// SPDX-License-Identifier: MIT
// main() of the MPI test binaries: MPI up before gtest, gtest's progress printed by rank 0 only
// (other ranks print just their failures, tagged with host:rank), and one verdict for the job:
// the ranks reduce their failure flags, so every rank exits non-zero if any rank failed.
#include <gtest/gtest.h>

#include <cstdio>
#include <exception>
#include <string>

#include "bbpt/comm/communicator.h"
#include "bbpt/comm/mpi_environment.h"

namespace {

// Prints failed assertions of a non-zero rank (the default printer is removed there).
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(std::string where) : where_(std::move(where)) {}
  // The test's name is kept here: UnitTest::current_test_info() would take the lock that gtest
  // holds while it reports a part result (a self-deadlock inside OnTestPartResult).
  void OnTestStart(const ::testing::TestInfo& test) override {
    test_ = std::string(test.test_suite_name()) + "." + test.name();
  }
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[%s] FAILED %s at %s:%d\n%s\n", where_.c_str(), test_.c_str(),
                 result.file_name() ? result.file_name() : "?", result.line_number(),
                 result.summary());
  }

 private:
  std::string where_;
  std::string test_;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    bbpt::comm::MpiEnvironment mpi(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    auto world = bbpt::comm::Communicator::world();
    if (world.rank() != 0) {
      auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
      delete listeners.Release(listeners.default_result_printer());
      listeners.Append(new RankFailurePrinter(world.where()));
    }
    const int result = RUN_ALL_TESTS();
    double failed_ranks = result == 0 ? 0.0 : 1.0;
    world.collective().allreduce_sum(&failed_ranks, 1);
    if (world.rank() == 0) {
      std::printf("[ mpi      ] %d rank(s): tests failed on %d\n", world.size(),
                  static_cast<int>(failed_ranks));
    }
    return failed_ranks == 0.0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpi test main: %s\n", e.what());
    return 1;
  }
}
