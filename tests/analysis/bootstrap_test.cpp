#include "analysis/bootstrap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "analysis/fit.h"
#include "analysis/synthetic_runs.h"

namespace clipscale::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::optional<Law> saturating_refit(const std::vector<Observation>& resample, const Law& start) {
  FitOptions o;
  o.law = LawForm::kSaturating;
  o.loss = LossKind::kHuber;
  const FitResult r = refine_law(select_points(resample, o.law, {FrontierRule::kAll}), o, start);
  if (!std::isfinite(r.law.params[0])) return std::nullopt;
  return r.law;
}

TEST(Bootstrap, ReplicatesAreTheSameForAnyThreadCount) {
  const Law truth{LawForm::kSaturating, {0.2, 0.6 * std::pow(1e15, 0.3), 0.3}};
  const auto runs = testing::runs_along_x(truth, testing::log_spaced(1e15, 1e19, 20), 0.02, 5);
  const Refit refit = [&](const std::vector<Observation>& r) { return saturating_refit(r, truth); };
  BootstrapOptions options;
  options.resamples = 60;
  options.seed = 42;
  options.threads = 1;
  const BootstrapResult one = bootstrap(runs, LawForm::kSaturating, refit, options);
  for (const int threads : {2, 3, 7}) {
    options.threads = threads;
    const BootstrapResult many = bootstrap(runs, LawForm::kSaturating, refit, options);
    ASSERT_EQ(many.replicates.size(), one.replicates.size());
    for (size_t b = 0; b < one.replicates.size(); ++b) {
      EXPECT_EQ(many.replicates[b].params, one.replicates[b].params)
          << "resample " << b << ", " << threads << " threads";
    }
  }
  options.seed = 43;
  EXPECT_NE(bootstrap(runs, LawForm::kSaturating, refit, options).replicates[0].params, one.replicates[0].params)
      << "another seed draws other resamples";
}

TEST(Bootstrap, ResamplesDrawWithReplacementFromTheirOwnStream) {
  const auto a = resample_indices(50, 7, 3);
  EXPECT_EQ(a, resample_indices(50, 7, 3));
  EXPECT_NE(a, resample_indices(50, 7, 4));
  std::vector<int> counts(50, 0);
  for (const size_t i : a) ++counts.at(i);
  EXPECT_TRUE(std::any_of(counts.begin(), counts.end(), [](int c) { return c > 1; })) << "some run drawn twice";
}

TEST(Bootstrap, FailedResamplesAreCountedAndHoldNaN) {
  std::vector<Observation> runs = {{"a", 1, 0, 0, 1}, {"b", 10, 0, 0, 0.5}, {"c", 100, 0, 0, 0.25}};
  const Refit refuse_every_other = [](const std::vector<Observation>& r) -> std::optional<Law> {
    if (r[0].id == "a") return std::nullopt;
    return Law{LawForm::kPower, {1.0, -0.3}};
  };
  BootstrapOptions options;
  options.resamples = 200;
  const BootstrapResult result = bootstrap(runs, LawForm::kPower, refuse_every_other, options);
  EXPECT_GT(result.failed, 30);
  EXPECT_LT(result.failed, 110);
  int nan = 0;
  for (const Law& law : result.replicates) nan += std::isnan(law.params[1]) ? 1 : 0;
  EXPECT_EQ(nan, result.failed);
}

TEST(Bootstrap, QuantileInterpolatesLinearlyLikeNumpy) {
  // numpy.percentile([1, 2, 3, 4], 25) == 1.75; NaN entries are ignored.
  EXPECT_DOUBLE_EQ(quantile({4, 1, kNaN, 3, 2}, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(quantile({4, 1, 3, 2}, 1.0), 4.0);
  EXPECT_TRUE(std::isnan(quantile({kNaN}, 0.5)));
  const Estimate e = summarize(2.5, {1, 2, 3, 4}, 0.5);
  EXPECT_DOUBLE_EQ(e.lo, 1.75);
  EXPECT_DOUBLE_EQ(e.hi, 3.25);
  EXPECT_NEAR(e.se, std::sqrt(5.0 / 3.0), 1e-15) << "sample standard deviation";
}

TEST(Bootstrap, OptionsValidateThemselves) {
  std::string error;
  BootstrapOptions o;
  o.level = 1.0;
  EXPECT_FALSE(o.is_valid("--", &error));
  EXPECT_NE(error.find("--level = 1 violates 0 < level < 1"), std::string::npos) << error;
  o = BootstrapOptions{};
  o.resamples = -1;
  EXPECT_FALSE(o.is_valid("--", &error));
}

}  // namespace
}  // namespace clipscale::analysis
