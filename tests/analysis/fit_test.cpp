#include "analysis/fit.h"

#include <gtest/gtest.h>

#include <cmath>

#include "analysis/synthetic_runs.h"
#include "core/error.h"

namespace clipscale::analysis {
namespace {

using testing::log_spaced;
using testing::runs_along_x;
using testing::runs_on_grid;

std::vector<FitPoint> all_points(const std::vector<Observation>& runs, LawForm form) {
  return select_points(runs, form, {FrontierRule::kAll});
}

FitOptions options_for(LawForm law, LossKind loss) {
  FitOptions o;
  o.law = law;
  o.loss = loss;
  return o;
}

const Law kPower{LawForm::kPower, {3.0, -0.15}};
// a chosen so that the power term is 0.6 at x = 1e15.
const Law kSaturating{LawForm::kSaturating, {0.2, 0.6 * std::pow(1e15, 0.3), 0.3}};
const Law kJoint{LawForm::kJoint, {1.8, 480.0, 2100.0, 0.35, 0.37}};

void expect_params_near(const Law& got, const Law& want, double relative) {
  ASSERT_EQ(got.params.size(), want.params.size());
  for (size_t i = 0; i < want.params.size(); ++i) {
    EXPECT_NEAR(got.params[i], want.params[i], relative * std::abs(want.params[i]))
        << law_parameter_names(want.form)[i];
  }
}

TEST(Fit, RecoversEachLawExactlyFromNoiseFreeData) {
  const auto xs = log_spaced(1e15, 1e19, 20);
  for (const LossKind loss : {LossKind::kSquared, LossKind::kHuber}) {
    SCOPED_TRACE(loss_name(loss));
    expect_params_near(
        fit_law(all_points(runs_along_x(kPower, xs, 0, 1), LawForm::kPower), options_for(LawForm::kPower, loss)).law,
        kPower, 1e-9);
    expect_params_near(fit_law(all_points(runs_along_x(kSaturating, xs, 0, 1), LawForm::kSaturating),
                               options_for(LawForm::kSaturating, loss))
                           .law,
                       kSaturating, 1e-6);
    const auto grid = runs_on_grid(kJoint, log_spaced(1e7, 1e10, 6), log_spaced(1e8, 1e11, 6), 0, 1);
    expect_params_near(fit_law(all_points(grid, LawForm::kJoint), options_for(LawForm::kJoint, loss)).law, kJoint,
                       1e-5);
  }
}

TEST(Fit, RecoversParametersFromNoisyData) {
  const auto xs = log_spaced(1e15, 1e19, 60);
  const FitResult power = fit_law(all_points(runs_along_x(kPower, xs, 0.03, 7), LawForm::kPower),
                                  options_for(LawForm::kPower, LossKind::kSquared));
  EXPECT_NEAR(power.law.param("alpha"), -0.15, 0.005);
  const FitResult saturating = fit_law(all_points(runs_along_x(kSaturating, xs, 0.01, 7), LawForm::kSaturating),
                                       options_for(LawForm::kSaturating, LossKind::kHuber));
  EXPECT_NEAR(saturating.law.param("alpha"), 0.3, 0.03);
  EXPECT_NEAR(saturating.law.param("e_inf"), 0.2, 0.02);
  const auto grid = runs_on_grid(kJoint, log_spaced(1e7, 1e10, 8), log_spaced(1e8, 1e11, 8), 0.01, 7);
  const FitResult joint = fit_law(all_points(grid, LawForm::kJoint), options_for(LawForm::kJoint, LossKind::kHuber));
  EXPECT_NEAR(joint.law.param("alpha"), 0.35, 0.03);
  EXPECT_NEAR(joint.law.param("beta"), 0.37, 0.03);
  EXPECT_NEAR(joint.law.param("e"), 1.8, 0.05);
}

TEST(Fit, ClosedFormPowerLawIsOrdinaryLeastSquaresInLogLog) {
  // Three points off a line: slope and intercept by hand.
  std::vector<Observation> runs = {{"a", 10, 0, 0, 0.5}, {"b", 100, 0, 0, 0.4}, {"c", 1000, 0, 0, 0.35}};
  const FitResult r = fit_law(all_points(runs, LawForm::kPower), options_for(LawForm::kPower, LossKind::kSquared));
  const double y1 = std::log10(0.5), y2 = std::log10(0.4), y3 = std::log10(0.35);
  const double slope = (y3 - y1) / 2;  // x = 1, 2, 3 in log10: slope = (y3 - y1) / 2
  const double intercept = (y1 + y2 + y3) / 3 - slope * 2;
  EXPECT_NEAR(r.law.param("alpha"), slope, 1e-13);
  EXPECT_NEAR(r.law.param("beta"), std::pow(10, intercept), 1e-12);
  EXPECT_EQ(r.starts, 1);
}

TEST(Fit, ObjectiveIsTheSummedLossOfTheResiduals) {
  const auto runs = runs_along_x(kSaturating, log_spaced(1e15, 1e19, 25), 0.02, 3);
  const auto points = all_points(runs, LawForm::kSaturating);
  FitOptions o = options_for(LawForm::kSaturating, LossKind::kHuber);
  o.huber_delta = 0.01;
  const FitResult r = fit_law(points, o);
  double sum = 0;
  for (const double res : r.residuals) {
    sum += std::abs(res) <= 0.01 ? 0.5 * res * res : 0.01 * (std::abs(res) - 0.005);
  }
  EXPECT_NEAR(r.objective, sum, 1e-15);
  EXPECT_NEAR(fit_objective(r.law, points, o), sum, 1e-15);
  EXPECT_GE(r.starts_at_best, 1);
  EXPECT_EQ(r.starts, o.refine_starts);
}

TEST(Fit, RefineFromAStartReachesTheMultiStartOptimum) {
  const auto grid = runs_on_grid(kJoint, log_spaced(1e7, 1e10, 6), log_spaced(1e8, 1e11, 6), 0.01, 11);
  const auto points = all_points(grid, LawForm::kJoint);
  const FitOptions o = options_for(LawForm::kJoint, LossKind::kHuber);
  const FitResult best = fit_law(points, o);
  const FitResult refined = refine_law(points, o, kJoint);
  EXPECT_NEAR(refined.objective, best.objective, 1e-9 * best.objective);
  expect_params_near(refined.law, best.law, 1e-4);
}

TEST(Fit, HoffmannGridReachesTheSameOptimumAsTheVariableProjectionStarts) {
  const auto grid = runs_on_grid(kJoint, log_spaced(1e7, 1e10, 3), log_spaced(1e8, 1e11, 4), 0.01, 5);
  const auto points = all_points(grid, LawForm::kJoint);
  FitOptions o = options_for(LawForm::kJoint, LossKind::kHuber);
  o.threads = 2;
  const FitResult auto_starts = fit_law(points, o);
  o.starts = StartRule::kHoffmannGrid;
  const FitResult hoffmann = fit_law(points, o);
  EXPECT_EQ(hoffmann.starts, 4500);
  EXPECT_GE(hoffmann.starts_at_best, 1);
  EXPECT_NEAR(hoffmann.objective, auto_starts.objective, 1e-6 * auto_starts.objective);
}

TEST(Fit, TooFewPointsFailsTheCheckAndRefineReportsFailure) {
  std::vector<Observation> runs = {{"a", 10, 0, 0, 0.5}, {"b", 100, 0, 0, 0.4}};
  const auto points = all_points(runs, LawForm::kPower);
  EXPECT_THROW(fit_law(points, options_for(LawForm::kPower, LossKind::kSquared)), core::Error);
  const FitResult r = refine_law(points, options_for(LawForm::kPower, LossKind::kSquared), kPower);
  EXPECT_TRUE(std::isnan(r.law.params[0]));
  EXPECT_EQ(min_points(LawForm::kJoint), 6u);
}

TEST(Fit, OptionsValidateThemselves) {
  std::string error;
  FitOptions o;
  o.starts = StartRule::kHoffmannGrid;
  EXPECT_FALSE(o.is_valid("--", &error));
  EXPECT_NE(error.find("--starts = hoffmann needs --law joint"), std::string::npos) << error;
  o = FitOptions{};
  o.loss = LossKind::kHuber;
  o.huber_delta = 0;
  EXPECT_FALSE(o.is_valid("--", &error));
  EXPECT_NE(error.find("--huber-delta = 0 violates delta > 0"), std::string::npos) << error;
  EXPECT_THROW(parse_loss("l1", "--loss"), core::UserError);
  EXPECT_THROW(parse_start_rule("random", "--starts"), core::UserError);
}

}  // namespace
}  // namespace clipscale::analysis
