#include "sweep/grid.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"

namespace clipscale::sweep {
namespace {

SweepSpec spec_with(std::vector<Axis> axes, std::vector<std::vector<std::string>> zips = {}) {
  SweepSpec spec;
  spec.path = "grid.toml";
  spec.axes = std::move(axes);
  spec.zip_groups = std::move(zips);
  return spec;
}

// "a=1 b=x" per point.
std::vector<std::string> labels(const std::vector<GridPoint>& points) {
  std::vector<std::string> out;
  for (const GridPoint& p : points) {
    std::string label;
    for (const AxisSetting& s : p) label += (label.empty() ? "" : " ") + override_text(s);
    out.push_back(label);
  }
  return out;
}

TEST(ExpandGrid, IsTheCartesianProductWithTheFirstAxisSlowest) {
  const SweepSpec spec =
      spec_with({{"a", {int64_t{1}, int64_t{2}}, 1}, {"b", {std::string("x"), std::string("y"), std::string("z")}, 2}});
  EXPECT_EQ(labels(expand_grid(spec)), (std::vector<std::string>{"a=1 b=\"x\"", "a=1 b=\"y\"", "a=1 b=\"z\"",
                                                                 "a=2 b=\"x\"", "a=2 b=\"y\"", "a=2 b=\"z\""}));
}

TEST(ExpandGrid, ZippedAxesAdvanceTogether) {
  const SweepSpec spec = spec_with({{"m", {std::string("s"), std::string("l")}, 1},
                                    {"s", {int64_t{10}, int64_t{20}, int64_t{30}}, 2},
                                    {"d", {int64_t{1}, int64_t{2}, int64_t{3}}, 3}},
                                   {{"s", "d"}});
  EXPECT_EQ(labels(expand_grid(spec)),
            (std::vector<std::string>{"m=\"s\" s=10 d=1", "m=\"s\" s=20 d=2", "m=\"s\" s=30 d=3", "m=\"l\" s=10 d=1",
                                      "m=\"l\" s=20 d=2", "m=\"l\" s=30 d=3"}));
}

TEST(ExpandGrid, AZipGroupSitsAtItsFirstAxis) {
  const SweepSpec spec = spec_with({{"s", {int64_t{10}, int64_t{20}}, 1},
                                    {"m", {std::string("a"), std::string("b")}, 2},
                                    {"d", {int64_t{1}, int64_t{2}}, 3}},
                                   {{"d", "s"}});
  EXPECT_EQ(labels(expand_grid(spec)),
            (std::vector<std::string>{"s=10 m=\"a\" d=1", "s=10 m=\"b\" d=1", "s=20 m=\"a\" d=2", "s=20 m=\"b\" d=2"}));
}

TEST(ExpandGrid, NoAxesIsOneRunOfTheBaseConfig) {
  const std::vector<GridPoint> points = expand_grid(spec_with({}));
  ASSERT_EQ(points.size(), 1u);
  EXPECT_TRUE(points[0].empty());
}

TEST(ExpandGrid, OverridesUseCanonicalToml) {
  EXPECT_EQ(override_text({"optim.lr", 0.001}), "optim.lr=0.001");
  EXPECT_EQ(override_text({"eval.tasks", std::vector<std::string>{"a", "b"}}), "eval.tasks=[\"a\", \"b\"]");
  EXPECT_EQ(override_text({"run.name", std::string("it's \"x\"")}), "run.name=\"it's \\\"x\\\"\"");
}

TEST(ExpandGrid, RefusesHugeGrids) {
  Axis a, b;
  a.key = "a";
  b.key = "b";
  for (int64_t i = 0; i < 1000; ++i) a.values.emplace_back(i);
  b.values = a.values;
  EXPECT_THROW(expand_grid(spec_with({a, b})), core::UserError);
}

}  // namespace
}  // namespace clipscale::sweep
