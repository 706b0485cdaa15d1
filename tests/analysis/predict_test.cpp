#include "analysis/predict.h"

#include <gtest/gtest.h>

#include <cmath>

namespace clipscale::analysis {
namespace {

// Epoch AI's Huber-likelihood estimate (scaling-methods.md, V8) and Hoffmann's unrounded values.
const Law kEpoch{LawForm::kJoint, {1.8169, 482.01, 2085.43, 0.3478, 0.3659}};
const Law kHoffmann{LawForm::kJoint,
                    {std::exp(0.5267228), std::exp(6.0073404), std::exp(6.0179186), 0.33917084, 0.2849083}};

TEST(ComputeOptimal, MinimisesTheLawAtFixedCompute) {
  const double compute = 1e22, k = 6;
  const Allocation best = compute_optimal(kEpoch, compute, k);
  EXPECT_NEAR(k * best.n * best.d, compute, 1e-6 * compute);
  for (const double factor : {0.8, 0.95, 1.05, 1.25}) {
    const double n = best.n * factor, d = compute / (k * n);
    EXPECT_GT(kEpoch.value({0, n, d}), best.error) << "N_opt × " << factor;
  }
}

TEST(ComputeOptimal, ReproducesTheChinchillaAllocations) {
  // V10: a = beta / (alpha + beta) = 0.513 for Epoch's fit; D/N at C = 5.88e23 FLOPs (k = 6) is
  // about 18.3 for Epoch's fit and about 59 for Hoffmann's unrounded values (± 3%).
  EXPECT_NEAR(allocation_exponent(kEpoch), 0.513, 0.002);
  const Allocation epoch = compute_optimal(kEpoch, 5.88e23, 6);
  EXPECT_NEAR(epoch.d / epoch.n, 18.3, 0.03 * 18.3);
  const Allocation hoffmann = compute_optimal(kHoffmann, 5.88e23, 6);
  EXPECT_NEAR(hoffmann.d / hoffmann.n, 59, 0.03 * 59);
}

TEST(ComputeOptimal, KIsTheMedianComputePerNd) {
  std::vector<Observation> runs = {{"a", 6e20, 1e9, 1e11, 2}, {"b", 7e20, 1e9, 1e11, 2}, {"c", 3e20, 1e9, 1e11, 2}};
  EXPECT_NEAR(compute_per_nd(runs), 6.0, 1e-12);
  EXPECT_TRUE(std::isnan(compute_per_nd({})));
  EXPECT_NEAR(predict_error(Law{LawForm::kPower, {2, -0.5}}, 4, 0), 1.0, 1e-15);
  EXPECT_TRUE(std::isnan(compute_optimal(Law{LawForm::kPower, {2, -0.5}}, 1e20, 6).n));
}

}  // namespace
}  // namespace clipscale::analysis
