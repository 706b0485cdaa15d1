#include "model/contrastive_loss.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "model/autocast.h"

namespace clipscale {
namespace {

at::Tensor unit_rows(at::Tensor x) { return x / x.norm(2, 1, true); }

TEST(ContrastiveLoss, MatchesAHandComputedCase) {
  // Two pairs in 2-D: image 0 = (1, 0), image 1 = (0, 1); text 0 = (0.6, 0.8), text 1 = (0, 1);
  // scale 2. Image logits: row 0 = 2·(0.6, 0), row 1 = 2·(0.8, 1); text logits are the transpose.
  auto image = torch::tensor({{1.0, 0.0}, {0.0, 1.0}}, torch::kFloat64);
  auto text = torch::tensor({{0.6, 0.8}, {0.0, 1.0}}, torch::kFloat64);
  auto scale = torch::tensor(2.0, torch::kFloat64);
  auto ce = [](double positive, double other) { return -positive + std::log(std::exp(positive) + std::exp(other)); };
  // logits_per_image = [[1.2, 0], [1.6, 2]]; logits_per_text = [[1.2, 1.6], [0, 2]].
  const double image_loss = 0.5 * (ce(1.2, 0.0) + ce(2.0, 1.6));
  const double text_loss = 0.5 * (ce(1.2, 1.6) + ce(2.0, 0.0));
  const double expected = 0.5 * (image_loss + text_loss);
  auto loss = functional::contrastive_loss(image, text, image, text, scale, 0);
  EXPECT_NEAR(loss.item<double>(), expected, 1e-6);
}

TEST(ContrastiveLoss, IsSymmetricUnderImageTextSwap) {
  torch::manual_seed(0);
  auto image = unit_rows(torch::randn({8, 5}));
  auto text = unit_rows(torch::randn({8, 5}));
  auto scale = torch::tensor(14.3f);
  auto a = functional::contrastive_loss(image, text, image, text, scale, 0);
  auto b = functional::contrastive_loss(text, image, text, image, scale, 0);
  EXPECT_NEAR(a.item<double>(), b.item<double>(), 1e-6);
}

TEST(ContrastiveLoss, LocalRowsAveragedOverShardsEqualTheFullBatchLoss) {
  torch::manual_seed(1);
  auto image = unit_rows(torch::randn({12, 6}));
  auto text = unit_rows(torch::randn({12, 6}));
  auto scale = torch::tensor(10.0f);
  auto full = functional::contrastive_loss(image, text, image, text, scale, 0);
  double mean = 0;
  for (int rank = 0; rank < 3; ++rank) {
    auto rows = torch::indexing::Slice(rank * 4, rank * 4 + 4);
    mean += functional::contrastive_loss(image.index({rows}), text.index({rows}), image, text, scale, rank * 4)
                .item<double>() /
            3.0;
  }
  EXPECT_NEAR(full.item<double>(), mean, 1e-6);
}

TEST(ContrastiveLoss, ComputesInFp32FromBf16Inputs) {
  torch::manual_seed(2);
  auto image = unit_rows(torch::randn({6, 4})).to(torch::kBFloat16);
  auto text = unit_rows(torch::randn({6, 4})).to(torch::kBFloat16);
  auto loss = functional::contrastive_loss(image, text, image, text, torch::tensor(5.0f), 0);
  EXPECT_EQ(loss.scalar_type(), torch::kFloat32);
}

TEST(ContrastiveLoss, StaysFp32InsideBf16Autocast) {
  torch::manual_seed(4);
  auto image = unit_rows(torch::randn({64, 32}));
  auto text = unit_rows(torch::randn({64, 32}));
  auto scale = torch::tensor(100.0f);
  const double reference = functional::contrastive_loss(image, text, image, text, scale, 0).item<double>();
  model::AutocastGuard autocast(model::Precision::kBf16);
  const double under_autocast = functional::contrastive_loss(image, text, image, text, scale, 0).item<double>();
  EXPECT_NEAR(under_autocast, reference, 1e-6 * std::abs(reference)) << "bf16 logits would differ at ~1e-2";
}

TEST(ContrastiveLoss, GradientMatchesFiniteDifferences) {
  torch::manual_seed(3);
  auto image = torch::randn({5, 4}, torch::kFloat64).requires_grad_(true);
  auto text = torch::randn({5, 4}, torch::kFloat64).requires_grad_(true);
  auto log_scale = torch::tensor(1.7, torch::kFloat64).requires_grad_(true);
  auto loss_of = [](const at::Tensor& i, const at::Tensor& t, const at::Tensor& s) {
    auto in = i / i.norm(2, 1, true);
    auto tn = t / t.norm(2, 1, true);
    // The loss computes in fp32 internally; cast inputs so the check measures the formula, not rounding.
    return functional::contrastive_loss(in, tn, in, tn, s.exp(), 0).to(torch::kFloat64);
  };
  loss_of(image, text, log_scale).backward();
  const double h = 1e-3;
  torch::NoGradGuard no_grad;
  for (auto* param : {&image, &text}) {
    auto flat = param->view(-1);
    auto grad = param->grad().view(-1);
    for (int64_t k = 0; k < flat.numel(); ++k) {
      const double original = flat[k].item<double>();
      flat[k] = original + h;
      const double plus = loss_of(image, text, log_scale).item<double>();
      flat[k] = original - h;
      const double minus = loss_of(image, text, log_scale).item<double>();
      flat[k] = original;
      EXPECT_NEAR(grad[k].item<double>(), (plus - minus) / (2 * h), 2e-4) << "element " << k;
    }
  }
  const double s = log_scale.item<double>();
  log_scale.fill_(s + h);
  const double plus = loss_of(image, text, log_scale).item<double>();
  log_scale.fill_(s - h);
  const double minus = loss_of(image, text, log_scale).item<double>();
  EXPECT_NEAR(log_scale.grad().item<double>(), (plus - minus) / (2 * h), 2e-4);
}

TEST(ContrastiveLoss, RejectsAnOffsetPastTheGatheredBatch) {
  auto x = unit_rows(torch::randn({4, 3}));
  EXPECT_THROW(functional::contrastive_loss(x, x, x, x, torch::tensor(1.0f), 1), core::Error);
}

TEST(SigLipLoss, MatchesTheDefinitionElementByElement) {
  // −(1/B) Σ_ij log σ(ℓ_ij z_ij), z = s·I·Tᵀ + b, ℓ = +1 at (i, offset + i), −1 elsewhere.
  torch::manual_seed(3);
  auto image = unit_rows(torch::randn({3, 4}, torch::kFloat64));
  auto all_text = unit_rows(torch::randn({6, 4}, torch::kFloat64));
  const double s = 10.0, b = -10.0;
  for (const int64_t offset : {0, 3}) {
    double expected = 0;
    for (int64_t i = 0; i < 3; ++i) {
      for (int64_t j = 0; j < 6; ++j) {
        const double z = s * (image[i] * all_text[j]).sum().item<double>() + b;
        const double label = j == offset + i ? 1.0 : -1.0;
        expected -= std::log(1.0 / (1.0 + std::exp(-label * z)));
      }
    }
    expected /= 3.0;
    auto loss = functional::siglip_loss(image, all_text, torch::tensor(s, torch::kFloat64),
                                        torch::tensor(b, torch::kFloat64), offset);
    EXPECT_NEAR(loss.item<double>(), expected, 1e-5 * expected) << "offset " << offset;
  }
}

TEST(SigLipLoss, RanksLocalLossesAverageToTheFullBatchLoss) {
  // Two "ranks" of 4 rows each: the mean of their local losses is the 8-row loss.
  torch::manual_seed(5);
  auto image = unit_rows(torch::randn({8, 6}));
  auto text = unit_rows(torch::randn({8, 6}));
  auto s = torch::tensor(7.0f), b = torch::tensor(-3.0f);
  const double full = functional::siglip_loss(image, text, s, b, 0).item<double>();
  const double rank0 = functional::siglip_loss(image.narrow(0, 0, 4), text, s, b, 0).item<double>();
  const double rank1 = functional::siglip_loss(image.narrow(0, 4, 4), text, s, b, 4).item<double>();
  EXPECT_NEAR(0.5 * (rank0 + rank1), full, 1e-5 * full);
}

TEST(SigLipLoss, GradientsOfScaleAndBiasMatchFiniteDifferences) {
  torch::manual_seed(8);
  auto image = unit_rows(torch::randn({4, 3}, torch::kFloat64));
  auto text = unit_rows(torch::randn({4, 3}, torch::kFloat64));
  auto log_scale = torch::tensor(std::log(10.0), torch::kFloat64).requires_grad_(true);
  auto bias = torch::tensor(-2.0, torch::kFloat64).requires_grad_(true);
  functional::siglip_loss(image, text, log_scale.exp(), bias, 0).backward();
  const double h = 1e-3;  // the loss is computed in fp32: a larger step keeps rounding out of the quotient
  auto at = [&](double ls, double bb) {
    return functional::siglip_loss(image, text, torch::tensor(std::exp(ls), torch::kFloat64),
                                   torch::tensor(bb, torch::kFloat64), 0)
        .item<double>();
  };
  const double ls = log_scale.item<double>(), bb = bias.item<double>();
  EXPECT_NEAR(log_scale.grad().item<double>(), (at(ls + h, bb) - at(ls - h, bb)) / (2 * h), 2e-3);
  EXPECT_NEAR(bias.grad().item<double>(), (at(ls, bb + h) - at(ls, bb - h)) / (2 * h), 2e-3);
}

TEST(SigLipLoss, StaysFp32UnderBf16Autocast) {
  auto image = unit_rows(torch::randn({4, 8}));
  auto text = unit_rows(torch::randn({4, 8}));
  model::AutocastGuard autocast(model::Precision::kBf16);
  auto loss = functional::siglip_loss(image, text, torch::tensor(10.0f), torch::tensor(-10.0f), 0);
  EXPECT_EQ(loss.scalar_type(), torch::kFloat32);
}

}  // namespace
}  // namespace clipscale
