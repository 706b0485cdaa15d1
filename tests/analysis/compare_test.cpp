#include "analysis/compare.h"

#include <gtest/gtest.h>

#include <cmath>

#include "analysis/synthetic_runs.h"
#include "core/error.h"

namespace clipscale::analysis {
namespace {

using testing::log_spaced;
using testing::runs_along_x;

FitSummary fit_variant(const std::string& variant, const Law& truth, double sigma, uint64_t seed) {
  const Series s =
      testing::labelled_series(variant, variant, runs_along_x(truth, log_spaced(1e15, 1e19, 25), sigma, seed));
  StudyOptions o;
  o.frontier.rule = FrontierRule::kAll;
  o.bootstrap.resamples = 400;
  o.bootstrap.seed = seed;
  o.holdout = 0;
  o.predict_at = {1e17, 1e21};
  return run_study(s, o);
}

TEST(Compare, ExponentDifferenceHasItsSignAndCoversTheTruth) {
  const std::vector<FitSummary> fits = {fit_variant("base", {LawForm::kPower, {2.0, -0.10}}, 0.02, 1),
                                        fit_variant("filtered", {LawForm::kPower, {4.0, -0.15}}, 0.02, 2)};
  const Comparison c = compare_fits(fits, "");
  EXPECT_EQ(c.reference, "base");
  ASSERT_EQ(c.differences.size(), 1u) << "the power law compares alpha only, never beta";
  const DifferenceRow& d = c.differences[0];
  EXPECT_EQ(d.variant, "filtered");
  EXPECT_EQ(d.parameter, "alpha");
  EXPECT_LT(d.difference.lo, -0.05);
  EXPECT_GT(d.difference.hi, -0.05);
  EXPECT_LT(d.difference.hi, 0) << "the steeper variant is resolved";
  EXPECT_LT(d.share_positive, 0.01);
  ASSERT_EQ(c.prediction_differences.size(), 2u);
  EXPECT_NEAR(c.prediction_differences[0].difference.value,
              fits[1].fitted_law().value({1e17, 0, 0}) - fits[0].fitted_law().value({1e17, 0, 0}), 1e-12);
}

TEST(Compare, CrossingOfTwoPowerLawsIsWhereTheyAreEqual) {
  // 2 x^-0.10 = b x^-0.15  <=>  x^0.05 = b / 2: with b = 2 · (1e17)^0.05 the curves cross at 1e17.
  const Law a{LawForm::kPower, {2.0, -0.10}}, b{LawForm::kPower, {2.0 * std::pow(1e17, 0.05), -0.15}};
  const std::vector<FitSummary> fits = {fit_variant("a", a, 0.0, 1), fit_variant("b", b, 0.0, 2)};
  const Comparison c = compare_fits(fits, "a");
  ASSERT_EQ(c.crossings.size(), 1u);
  EXPECT_TRUE(c.crossings[0].crosses);
  EXPECT_NEAR(c.crossings[0].x.value, 1e17, 1e-6 * 1e17);
  EXPECT_NEAR(c.crossings[0].share_crossing, 1.0, 1e-12);
  EXPECT_EQ(c.crossings[0].range_lo, 1e14) << "a decade below the smallest run";
  const std::vector<FitSummary> parallel = {fit_variant("a", a, 0.0, 1),
                                            fit_variant("c", {LawForm::kPower, {3.0, -0.10}}, 0.0, 2)};
  EXPECT_FALSE(compare_fits(parallel, "a").crossings[0].crosses) << "parallel lines never cross";
}

TEST(Compare, EqualComputeTableGroupsRunsAndRanksVariants) {
  std::vector<FitSummary> fits(2);
  fits[0].info.variant = "a";
  fits[1].info.variant = "b";
  for (FitSummary& f : fits) {
    f.law = LawForm::kPower;
    f.parameters = {{"beta", {1, 0, 0, 0}}, {"alpha", {-0.1, 0, 0, 0}}};
  }
  fits[0].runs = {
      {"a1", 100, 0, 0, 0.5, true, 0}, {"a2", 1000, 0, 0, 0.4, true, 0}, {"a3", 1000, 0, 0, 0.45, false, 0}};
  fits[1].runs = {{"b1", 101, 0, 0, 0.45, true, 0}, {"b2", 999, 0, 0, 0.42, true, 0}, {"b3", 5000, 0, 0, 0.3, true, 0}};
  const Comparison c = compare_fits(fits, "a");
  ASSERT_EQ(c.equal_compute.size(), 3u) << "x within 2% is one level";
  EXPECT_NEAR(c.equal_compute[0].x, std::sqrt(100.0 * 101), 1e-9);
  EXPECT_EQ(c.equal_compute[1].observed, (std::vector<double>{0.4, 0.42})) << "the best run of a level";
  EXPECT_EQ(c.equal_compute[0].rank, (std::vector<int>{2, 1}));
  EXPECT_EQ(c.equal_compute[2].rank, (std::vector<int>{0, 1})) << "a has no run at 5000";
  EXPECT_EQ(c.rank_levels, 2);
  EXPECT_DOUBLE_EQ(c.rank_correlation_mean, -1.0) << "b wins the first level, a the second";
}

TEST(Compare, AnUnknownReferenceIsAUserError) {
  const std::vector<FitSummary> fits = {fit_variant("a", {LawForm::kPower, {2.0, -0.1}}, 0.01, 1),
                                        fit_variant("b", {LawForm::kPower, {2.0, -0.1}}, 0.01, 2)};
  EXPECT_THROW(compare_fits(fits, "c"), core::UserError);
}

}  // namespace
}  // namespace clipscale::analysis
