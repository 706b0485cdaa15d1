#include "analysis/points.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace clipscale::analysis {
namespace {

std::vector<Observation> runs(const std::vector<std::pair<double, double>>& x_error) {
  std::vector<Observation> out;
  for (const auto& [x, e] : x_error) out.push_back({"r" + std::to_string(out.size()), x, 0, 0, e});
  return out;
}

std::vector<size_t> sources(const std::vector<FitPoint>& points) {
  std::vector<size_t> out;
  for (const FitPoint& p : points) out.push_back(p.source);
  return out;
}

TEST(Points, AllKeepsEveryRunInIncreasingX) {
  const auto r = runs({{100, 0.5}, {10, 0.7}, {1000, 0.6}});
  EXPECT_EQ(sources(select_points(r, LawForm::kPower, {FrontierRule::kAll})), (std::vector<size_t>{1, 0, 2}));
}

TEST(Points, RunningMinimumKeepsRunsThatBeatEverySmallerX) {
  // x:   1    2    2    3    4    5
  // E:  .9   .8   .7   .75  .7   .6   -> keeps .9 (x1), .7 (x2), .6 (x5); .8 loses its tie, .7 at x4 only ties
  const auto r = runs({{1, 0.9}, {2, 0.8}, {2, 0.7}, {3, 0.75}, {4, 0.7}, {5, 0.6}});
  EXPECT_EQ(sources(select_points(r, LawForm::kPower, {FrontierRule::kRunningMin})), (std::vector<size_t>{0, 2, 5}));
}

TEST(Points, BinnedFrontierPutsEachBinMinimumAtTheBinCentre) {
  // log10 x = 0, 0.5, 1, 3, 3.9 with 4 bins over [0, 3.9 + 0.1]: edges 0, 1, 2, 3, 4.
  const auto r = runs({{1, 0.9}, {std::pow(10, 0.5), 0.8}, {10, 0.85}, {1000, 0.5}, {std::pow(10, 3.9), 0.55}});
  FrontierOptions options{FrontierRule::kBinned, 4, 0.1};
  EXPECT_EQ(binned_frontier_edges(r, options), (std::vector<double>{0, 1, 2, 3, 4}));
  const auto points = select_points(r, LawForm::kPower, options);
  ASSERT_EQ(points.size(), 3u) << "bin [2, 3) is empty and gives no point";
  EXPECT_EQ(sources(points), (std::vector<size_t>{1, 2, 3}));
  EXPECT_NEAR(points[0].input.x, std::pow(10, 0.5), 1e-12) << "bin [0, 1): centre 0.5, winner error 0.8";
  EXPECT_NEAR(points[1].input.x, std::pow(10, 1.5), 1e-12) << "x = 10 sits on the edge 1 and belongs to [1, 2)";
  EXPECT_NEAR(points[2].input.x, std::pow(10, 3.5), 1e-9);
  EXPECT_EQ(points[2].error, 0.5);
}

TEST(Points, JointLawTakesEveryRunWithItsSizes) {
  std::vector<Observation> r = {{"a", 6e18, 1e9, 1e9, 2.5}, {"b", 6e17, 1e8, 1e9, 3.0}};
  const auto points = select_points(r, LawForm::kJoint, {FrontierRule::kAll});
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].input.n, 1e8);
  EXPECT_EQ(points[1].input.d, 1e9);
}

TEST(Points, OptionsValidateThemselves) {
  std::string error;
  EXPECT_FALSE((FrontierOptions{FrontierRule::kBinned, 0, 0.1}.is_valid("--", &error)));
  EXPECT_NE(error.find("--bins = 0 violates bins >= 1"), std::string::npos) << error;
  EXPECT_FALSE((FrontierOptions{FrontierRule::kBinned, 5, -1}.is_valid("--", &error)));
  EXPECT_NE(error.find("--pad = -1"), std::string::npos) << error;
  EXPECT_THROW(parse_frontier_rule("pareto", "--frontier"), core::UserError);
  EXPECT_EQ(parse_frontier_rule("min", "--frontier"), FrontierRule::kRunningMin);
}

}  // namespace
}  // namespace clipscale::analysis
