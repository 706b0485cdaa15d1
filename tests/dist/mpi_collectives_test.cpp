// Collectives and the all-gather with gradient, on 2+ ranks (run under mpirun).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "dist/all_gather.h"
#include "dist/gradient_reducer.h"
#include "mpi_world.h"

namespace clipscale::dist {
namespace {

using testing::world;

TEST(MpiCommunicator, KnowsItsPlace) {
  EXPECT_EQ(world().backend(), "mpi");
  EXPECT_GE(world().world_size(), 2) << "start this binary with mpirun -np 2";
  EXPECT_LT(world().rank(), world().world_size());
  EXPECT_LT(world().local_rank(), world().local_world_size());
}

TEST(MpiCommunicator, AllReduceSumsAndAverages) {
  const int w = world().world_size(), r = world().rank();
  at::Tensor sum = torch::full({5}, static_cast<float>(r + 1));
  world().all_reduce(sum, ReduceOp::kSum);
  EXPECT_TRUE(torch::equal(sum, torch::full({5}, w * (w + 1) / 2.0f)));
  at::Tensor mean = torch::full({2, 3}, static_cast<double>(r), torch::kFloat64);
  world().all_reduce(mean, ReduceOp::kAvg);
  EXPECT_TRUE(torch::allclose(mean, torch::full({2, 3}, (w - 1) / 2.0, torch::kFloat64)));
  at::Tensor count = torch::ones({1}, torch::kLong);
  world().all_reduce(count, ReduceOp::kSum);
  EXPECT_EQ(count.item<int64_t>(), w);
}

TEST(MpiCommunicator, AllGatherConcatenatesInRankOrder) {
  const int w = world().world_size(), r = world().rank();
  for (const auto dtype : {torch::kFloat32, torch::kBFloat16, torch::kLong}) {
    const at::Tensor mine = (torch::arange(6).reshape({3, 2}) + 100 * r).to(dtype);
    const at::Tensor all = world().all_gather(mine);
    ASSERT_EQ(all.sizes(), (std::vector<int64_t>{3 * w, 2}));
    for (int q = 0; q < w; ++q)
      EXPECT_TRUE(torch::equal(all.narrow(0, 3 * q, 3), (torch::arange(6).reshape({3, 2}) + 100 * q).to(dtype)))
          << "rank " << q << "'s rows, dtype " << dtype;
  }
}

TEST(MpiCommunicator, ReduceScatterSumsAndKeepsThisRanksRows) {
  const int w = world().world_size(), r = world().rank();
  // Rank q contributes q + row index to every row; rank r keeps rows [2r, 2r + 2) of the sum.
  const at::Tensor mine = torch::arange(2 * w, torch::kFloat64).unsqueeze(1).repeat({1, 3}) + r;
  const at::Tensor kept = world().reduce_scatter(mine);
  ASSERT_EQ(kept.sizes(), (std::vector<int64_t>{2, 3}));
  const double rank_sum = w * (w - 1) / 2.0;
  for (int64_t i = 0; i < 2; ++i)
    EXPECT_TRUE(
        torch::allclose(kept[i], torch::full({3}, w * static_cast<double>(2 * r + i) + rank_sum, torch::kFloat64)))
        << "row " << i;
}

TEST(MpiCommunicator, BroadcastsFromAnyRoot) {
  for (int root = 0; root < world().world_size(); ++root) {
    at::Tensor t = torch::full({4}, static_cast<float>(world().rank() * 7 + 1));
    world().broadcast(t, root);
    EXPECT_TRUE(torch::equal(t, torch::full({4}, static_cast<float>(root * 7 + 1)))) << "root " << root;
  }
  world().barrier();
}

TEST(MpiCommunicator, AllGatherOfDifferentShapesIsAnErrorOnEveryRank) {
  const at::Tensor mine = torch::zeros({world().rank() + 1, 2});
  try {
    world().all_gather(mine);
    ADD_FAILURE() << "expected an error";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("every rank must gather the same"), std::string::npos) << e.what();
  }
  // The communicator is still usable afterwards.
  at::Tensor t = torch::ones({1});
  world().all_reduce(t, ReduceOp::kSum);
  EXPECT_EQ(t.item<float>(), static_cast<float>(world().world_size()));
}

TEST(MpiCommunicator, RefusesToAverageIntegers) {
  at::Tensor t = torch::ones({1}, torch::kLong);
  EXPECT_THROW(world().all_reduce(t, ReduceOp::kAvg), core::Error);  // checked before any MPI call
}

TEST(AllGatherWithGrad, BackwardMatchesFiniteDifferencesOfTheSumOfRankLosses) {
  // Rank r's loss L_r = Σ c_r ⊙ g + Σ d_r ⊙ g² on g = gather(x) (different c_r, d_r per rank);
  // the objective is Σ_r L_r. Its derivative by x_p, numerically, must equal the gradient that
  // backward leaves in x_p on rank p.
  const int r = world().rank(), w = world().world_size();
  auto generator = at::detail::createCPUGenerator(17 + r);
  const auto options = at::TensorOptions(at::kDouble);
  at::Tensor x = at::randn({3, 4}, generator, options).requires_grad_(true);
  const at::Tensor c = at::randn({3 * w, 4}, generator, options);
  const at::Tensor d = at::randn({3 * w, 4}, generator, options);
  auto rank_loss = [&](const at::Tensor& input) {
    const at::Tensor g = all_gather_with_grad(world(), input);
    return (c * g).sum() + (d * g * g).sum();
  };
  rank_loss(x).backward();
  auto global_loss = [&](const at::Tensor& input) {
    at::Tensor value = rank_loss(input).detach().reshape({1});
    world().all_reduce(value, ReduceOp::kSum);
    return value.item<double>();
  };
  torch::NoGradGuard no_grad;
  const double h = 1e-6;
  for (int p = 0; p < w; ++p) {
    for (const int64_t k : {0, 5, 11}) {
      at::Tensor plus = x.detach().clone(), minus = x.detach().clone();
      if (r == p) {
        plus.view(-1)[k] += h;
        minus.view(-1)[k] -= h;
      }
      const double numeric = (global_loss(plus) - global_loss(minus)) / (2 * h);
      if (r == p) {
        EXPECT_NEAR(x.grad().view(-1)[k].item<double>(), numeric, 1e-6) << "rank " << p << " element " << k;
      }
    }
  }
}

TEST(BroadcastTensors, MakesEveryRanksParametersRank0s) {
  auto generator = at::detail::createCPUGenerator(99 + world().rank());
  std::vector<at::Tensor> params = {at::randn({7}, generator, at::TensorOptions(at::kFloat)),
                                    at::randn({2, 3}, generator, at::TensorOptions(at::kFloat)),
                                    torch::full({2}, world().rank(), torch::kFloat64)};
  broadcast_tensors(world(), params, 0);
  auto reference = at::detail::createCPUGenerator(99);
  EXPECT_TRUE(torch::equal(params[0], at::randn({7}, reference, at::TensorOptions(at::kFloat))));
  EXPECT_TRUE(torch::equal(params[1], at::randn({2, 3}, reference, at::TensorOptions(at::kFloat))));
  EXPECT_TRUE(torch::equal(params[2], torch::zeros({2}, torch::kFloat64)));
}

TEST(GradientReducer, AveragesGradientsOverRanksInEveryBucket) {
  const int w = world().world_size(), r = world().rank();
  std::vector<at::Tensor> params;
  for (int i = 0; i < 5; ++i) params.push_back(torch::zeros({100 + i}).requires_grad_(true));
  for (int i = 0; i < 4; ++i)
    params[static_cast<size_t>(i)].mutable_grad() = torch::full({100 + i}, static_cast<float>(r * 10 + i));
  // params[4] has no gradient on any rank: it counts as zero.
  GradientReducer reducer(world(), params, 512);
  EXPECT_GE(reducer.bucket_count(), 4);
  reducer.average_gradients();
  const float mean_rank = (w - 1) / 2.0f;
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(torch::allclose(params[static_cast<size_t>(i)].grad(), torch::full({100 + i}, mean_rank * 10 + i)))
        << i;
  EXPECT_TRUE(torch::equal(params[4].grad(), torch::zeros({104})));
  EXPECT_NEAR(reducer.ring_bytes_per_step(), 2.0 * (w - 1) / w * 4 * (100 + 101 + 102 + 103 + 104), 1e-6);
}

}  // namespace
}  // namespace clipscale::dist
