// main() of the MPI test binary: starts MPI, runs the tests on every rank, and exits non-zero on
// every rank when any rank failed. Ranks other than 0 print only their failures.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdio>
#include <memory>

#include "dist/communicator.h"
#include "mpi_world.h"

namespace clipscale::testing {
namespace {

std::unique_ptr<dist::Communicator> g_world;

/// Failure lines of a rank other than 0, prefixed with the rank.
class FailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: %s\n", rank_, result.file_name() ? result.file_name() : "?",
                 result.line_number(), result.summary());
  }

 private:
  int rank_;
};

}  // namespace

dist::Communicator& world() { return *g_world; }

}  // namespace clipscale::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  clipscale::testing::g_world = clipscale::dist::open_communicator("mpi");
  auto& world = *clipscale::testing::g_world;
  torch::set_num_threads(1);
  if (world.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new clipscale::testing::FailurePrinter(world.rank()));
  }
  const int result = RUN_ALL_TESTS();
  at::Tensor failed = torch::tensor({result != 0 ? 1 : 0}, torch::kLong);
  world.all_reduce(failed, clipscale::dist::ReduceOp::kSum);
  const int64_t failing_ranks = failed.item<int64_t>();
  if (world.rank() == 0 && failing_ranks > 0)
    std::fprintf(stderr, "%ld rank(s) failed\n", static_cast<long>(failing_ranks));
  clipscale::testing::g_world.reset();  // MPI_Finalize
  return failing_ranks > 0 ? 1 : 0;
}
