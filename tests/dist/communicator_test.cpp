#include "dist/communicator.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>

#include "core/error.h"
#include "dist/all_gather.h"
#include "dist/gradient_reducer.h"

namespace clipscale::dist {
namespace {

/// Sets environment variables for one test and restores them afterwards.
class ScopedEnv {
 public:
  using Values = std::vector<std::pair<std::string, std::string>>;
  explicit ScopedEnv(const Values& values) {
    for (const char* name : kLauncherVariables) {
      if (const char* old = std::getenv(name)) saved_.emplace_back(name, old);
      ::unsetenv(name);
    }
    for (const auto& [name, value] : values) ::setenv(name.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() {
    for (const char* name : kLauncherVariables) ::unsetenv(name);
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
  }

 private:
  static constexpr const char* kLauncherVariables[] = {"OMPI_COMM_WORLD_SIZE",
                                                       "OMPI_COMM_WORLD_RANK",
                                                       "OMPI_COMM_WORLD_LOCAL_RANK",
                                                       "OMPI_COMM_WORLD_LOCAL_SIZE",
                                                       "SLURM_NTASKS",
                                                       "SLURM_PROCID",
                                                       "SLURM_LOCALID",
                                                       "SLURM_NTASKS_PER_NODE",
                                                       "SLURM_STEP_NUM_TASKS",
                                                       "SLURM_STEP_NUM_NODES",
                                                       "PMIX_RANK",
                                                       "PMIX_SIZE"};
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST(LaunchEnvironment, SingleProcessWithoutALauncher) {
  ScopedEnv env(ScopedEnv::Values{});
  const auto launch = detect_launch_environment();
  EXPECT_EQ(launch.world_size, 1);
  EXPECT_EQ(launch.rank, 0);
  EXPECT_FALSE(launch.is_distributed());
  EXPECT_EQ(launch.launcher, "none");
}

TEST(LaunchEnvironment, ReadsOpenMpisVariables) {
  ScopedEnv env({{"OMPI_COMM_WORLD_SIZE", "4"},
                 {"OMPI_COMM_WORLD_RANK", "3"},
                 {"OMPI_COMM_WORLD_LOCAL_RANK", "1"},
                 {"OMPI_COMM_WORLD_LOCAL_SIZE", "2"},
                 {"SLURM_NTASKS", "8"},
                 {"SLURM_PROCID", "0"}});
  const auto launch = detect_launch_environment();
  EXPECT_EQ(launch.launcher, "mpirun") << "mpirun inside an allocation is still mpirun";
  EXPECT_EQ(launch.world_size, 4);
  EXPECT_EQ(launch.rank, 3);
  EXPECT_EQ(launch.local_rank, 1);
  EXPECT_EQ(launch.local_world_size, 2);
}

TEST(LaunchEnvironment, ReadsSlurmsTaskVariables) {
  ScopedEnv env({{"SLURM_NTASKS", "8"},
                 {"SLURM_PROCID", "5"},
                 {"SLURM_LOCALID", "1"},
                 {"SLURM_STEP_NUM_NODES", "2"},
                 {"PMIX_RANK", "5"}});
  const auto launch = detect_launch_environment();
  EXPECT_EQ(launch.launcher, "srun");
  EXPECT_EQ(launch.world_size, 8);
  EXPECT_EQ(launch.rank, 5);
  EXPECT_EQ(launch.local_rank, 1);
  EXPECT_EQ(launch.local_world_size, 4);
}

TEST(LaunchEnvironment, IgnoresGarbage) {
  ScopedEnv env(ScopedEnv::Values{{"OMPI_COMM_WORLD_SIZE", "two"}});
  EXPECT_FALSE(detect_launch_environment().is_distributed());
}

TEST(OpenCommunicator, AutoIsLocalOutsideALauncher) {
  ScopedEnv env(ScopedEnv::Values{});
  const auto comm = open_communicator("auto");
  EXPECT_EQ(comm->backend(), "local");
  EXPECT_EQ(comm->world_size(), 1);
  EXPECT_NE(describe_rank(*comm).find("rank 0/1 on "), std::string::npos);
}

TEST(OpenCommunicator, LocalUnderALauncherIsAUserError) {
  ScopedEnv env(ScopedEnv::Values{{"OMPI_COMM_WORLD_SIZE", "2"}, {"OMPI_COMM_WORLD_RANK", "1"}});
  try {
    open_communicator("local");
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("rank 1 of 2"), std::string::npos) << e.what();
  }
}

TEST(OpenCommunicator, BackendsNotBuiltInAreUserErrors) {
  ScopedEnv env(ScopedEnv::Values{});
#ifndef CLIPSCALE_WITH_NCCL
  try {
    open_communicator("nccl");
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("not built into this binary"), std::string::npos) << e.what();
  }
#endif
  EXPECT_THROW(open_communicator("gloo"), core::UserError);
}

TEST(LocalCommunicator, CollectivesAreIdentities) {
  auto comm = make_local_communicator();
  at::Tensor t = torch::arange(6, torch::kFloat32).reshape({2, 3});
  const at::Tensor original = t.clone();
  comm->all_reduce(t, ReduceOp::kAvg);
  EXPECT_TRUE(torch::equal(t, original));
  EXPECT_TRUE(torch::equal(comm->all_gather(t), original));
  EXPECT_TRUE(torch::equal(comm->reduce_scatter(t), original));
  comm->broadcast(t, 0);
  EXPECT_TRUE(torch::equal(t, original));
  comm->barrier();
}

TEST(AllGatherWithGrad, OnOneRankIsTheIdentityWithGradient) {
  auto comm = make_local_communicator();
  at::Tensor x = torch::randn({3, 2}).requires_grad_(true);
  at::Tensor y = all_gather_with_grad(*comm, x);
  (y * y).sum().backward();
  EXPECT_TRUE(torch::allclose(x.grad(), 2 * x.detach()));
}

TEST(GradientReducer, BucketsFollowTheSizeLimitAndAverageIsANoOpOnOneRank) {
  auto comm = make_local_communicator();
  std::vector<at::Tensor> params = {torch::ones({256}).requires_grad_(true), torch::ones({256}).requires_grad_(true),
                                    torch::ones({10}).requires_grad_(true)};
  GradientReducer reducer(*comm, params, 1100);  // 1 KiB + a little: one 256-float tensor per bucket
  EXPECT_EQ(reducer.bucket_count(), 2) << "the last two parameters (1064 bytes) share a bucket";
  EXPECT_EQ(reducer.ring_bytes_per_step(), 0.0) << "nothing moves on one rank";
  params[0].mutable_grad() = torch::full({256}, 2.0f);
  reducer.average_gradients();
  EXPECT_TRUE(torch::equal(params[0].grad(), torch::full({256}, 2.0f)));
}

}  // namespace
}  // namespace clipscale::dist
