#include "train/grad_cache.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "dist/communicator.h"
#include "support/tiny_clip.h"

namespace clipscale::train {
namespace {

using testing::gradients;
using testing::relative_error;

struct Case {
  std::string name;
  LossOptions loss;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class GradCacheTest : public ::testing::TestWithParam<Case> {
 protected:
  /// Loss and gradients of one step on a fresh copy of the same model and batch.
  std::pair<double, std::map<std::string, at::Tensor>> step(int64_t chunk, model::Precision precision) {
    const bool siglip = GetParam().loss.type == LossType::kSigLip;
    torch::manual_seed(11);
    model::ClipModel clip(testing::tiny_clip_config(siglip));
    const auto batch = testing::random_batch(clip->config(), 24, 5);
    const double loss = forward_backward(*clip, batch.images, batch.tokens, *comm_, GetParam().loss, precision, chunk);
    return {loss, gradients(*clip)};
  }

  std::unique_ptr<dist::Communicator> comm_ = dist::make_local_communicator();
};

TEST_P(GradCacheTest, CachedChunksGiveTheUncachedLossAndGradients) {
  const auto [reference_loss, reference] = step(0, model::Precision::kFp32);
  EXPECT_TRUE(std::isfinite(reference_loss));
  for (const int64_t chunks : {1, 2, 4, 8}) {
    const int64_t chunk = 24 / chunks;
    const auto [loss, grads] = step(chunk == 24 ? 23 : chunk, model::Precision::kFp32);
    SCOPED_TRACE(std::to_string(chunks) + " chunks");
    EXPECT_NEAR(loss, reference_loss, 1e-6 * std::abs(reference_loss));
    for (const auto& [name, grad] : reference) {
      ASSERT_GT(grad.abs().sum().item<double>(), 0) << name << " has no gradient in the reference";
      EXPECT_LE(relative_error(grads.at(name), grad), 1e-5) << name;
    }
  }
}

TEST_P(GradCacheTest, UnevenLastChunkIsHandled) {
  const auto [reference_loss, reference] = step(0, model::Precision::kFp32);
  const auto [loss, grads] = step(7, model::Precision::kFp32);  // 7 + 7 + 7 + 3
  EXPECT_NEAR(loss, reference_loss, 1e-6 * std::abs(reference_loss));
  for (const auto& [name, grad] : reference) EXPECT_LE(relative_error(grads.at(name), grad), 1e-5) << name;
}

TEST_P(GradCacheTest, Bf16CachingStaysCloseToUncached) {
  // Under bf16 autocast the replayed chunks recompute the same bf16 kernels on the same inputs.
  const auto [reference_loss, reference] = step(0, model::Precision::kBf16);
  const auto [loss, grads] = step(6, model::Precision::kBf16);
  EXPECT_NEAR(loss, reference_loss, 1e-2 * std::abs(reference_loss));
  for (const auto& [name, grad] : reference) EXPECT_LE(relative_error(grads.at(name), grad), 5e-2) << name;
}

INSTANTIATE_TEST_SUITE_P(Losses, GradCacheTest,
                         ::testing::Values(Case{"InfoNceLocal", {LossType::kInfoNce, LogitsMode::kLocal}},
                                           Case{"InfoNceFull", {LossType::kInfoNce, LogitsMode::kFull}},
                                           Case{"SigLip", {LossType::kSigLip, LogitsMode::kLocal}}),
                         [](const auto& info) { return info.param.name; });

TEST(GradCache, LogitScaleGetsItsGradientOnce) {
  // d loss / d logit_scale is the same with 4 chunks as without: not 4 times it.
  torch::manual_seed(2);
  model::ClipModel a(testing::tiny_clip_config());
  torch::manual_seed(2);
  model::ClipModel b(testing::tiny_clip_config());
  const auto batch = testing::random_batch(a->config(), 16, 9);
  auto comm = dist::make_local_communicator();
  forward_backward(*a, batch.images, batch.tokens, *comm, {}, model::Precision::kFp32, 0);
  forward_backward(*b, batch.images, batch.tokens, *comm, {}, model::Precision::kFp32, 4);
  EXPECT_NEAR(b->logit_scale.grad().item<double>(), a->logit_scale.grad().item<double>(),
              1e-6 * std::abs(a->logit_scale.grad().item<double>()) + 1e-9);
}

TEST(GradCache, ReplaysEachChunksRandomState) {
  // Towers that draw random numbers (noise on the images, like dropout would) must see the same
  // draws in the graph pass as in the no-graph pass, or the cached gradients belong to other
  // features. With the replay, caching equals the uncached step on the same draws.
  torch::manual_seed(4);
  model::ClipModel clip(testing::tiny_clip_config());
  const auto batch = testing::random_batch(clip->config(), 16, 1);
  auto comm = dist::make_local_communicator();
  const EmbedFn noisy = [&](const at::Tensor& images, const at::Tensor& tokens) {
    return clip->forward(images + 0.5 * torch::rand_like(images), tokens);
  };
  auto run = [&](int64_t chunk) {
    clip->zero_grad();
    torch::manual_seed(123);
    const double loss = forward_backward(noisy, clip->logit_scale, clip->logit_bias, batch.images, batch.tokens, *comm,
                                         {}, model::Precision::kFp32, chunk);
    return std::make_pair(loss, gradients(*clip));
  };
  const auto [reference_loss, reference] = run(0);
  const auto [loss, grads] = run(4);
  EXPECT_NEAR(loss, reference_loss, 1e-6 * std::abs(reference_loss));
  for (const auto& [name, grad] : reference) EXPECT_LE(relative_error(grads.at(name), grad), 1e-5) << name;
  // And the generator continues from where the no-graph pass left it (one draw per image).
  torch::manual_seed(123);
  torch::rand_like(batch.images);
  const double expected_next = torch::rand({1}).item<double>();
  run(4);
  EXPECT_EQ(torch::rand({1}).item<double>(), expected_next);
}

TEST(LossNames, ParseAndName) {
  EXPECT_EQ(parse_loss_type("siglip"), LossType::kSigLip);
  EXPECT_EQ(parse_logits_mode("full"), LogitsMode::kFull);
  EXPECT_EQ(loss_name({LossType::kInfoNce, LogitsMode::kLocal}), "infonce-local");
  EXPECT_THROW(parse_loss_type("clip"), core::UserError);
  EXPECT_THROW(parse_logits_mode("global"), core::UserError);
}

}  // namespace
}  // namespace clipscale::train
