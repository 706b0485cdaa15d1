#include "sweep/throughput.h"

#include <gtest/gtest.h>

#include "support/process.h"
#include "sweep/plan_report.h"
#include "sweep_fixture.h"
#include "sweep_runs.h"

namespace clipscale::sweep {
namespace {

TEST(FormatDuration, PicksTheLargestUnits) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(42.4), "42s");
  EXPECT_EQ(format_duration(200), "3m20s");
  EXPECT_EQ(format_duration(7500), "2h05m");
  EXPECT_EQ(format_duration(3 * 86400 + 4 * 3600 + 59), "3d04h");
}

TEST(WallSeconds, FillsTheSlotThatFreesFirst) {
  EXPECT_DOUBLE_EQ(wall_seconds({10, 10, 10, 10}, 2), 20);
  EXPECT_DOUBLE_EQ(wall_seconds({30, 10, 10, 10}, 2), 30);
  EXPECT_DOUBLE_EQ(wall_seconds({5, 5}, 1), 10);
  EXPECT_DOUBLE_EQ(wall_seconds({}, 3), 0);
  // Queued jobs start where a running one ends: 5 s left and 20 s left, then 30 s queued.
  EXPECT_DOUBLE_EQ(wall_seconds({30}, 2, {5, 20}), 35);
}

class ThroughputTest : public testing::SweepFixture {};

TEST_F(ThroughputTest, PricesRunsFromMeasuredFlopsPerSecond) {
  const Plan plan = plan_sweep("t",
                               "[axes]\nmodel.config = [\"m/small.json\", \"m/large.json\", \"m/other.json\"]\n"
                               "train.samples_seen = [400]\n");
  EXPECT_EQ(measure_throughput(plan).runs(), 0);
  EXPECT_FALSE(measure_throughput(plan).estimate_seconds(plan.runs[0]).has_value());

  // small: 100 samples/s at 2e5 FLOPs/sample = 2e7 FLOP/s; large measured at 20 samples/s (1.6e7).
  testing::write_run_file(plan, plan.runs[0], io::kRunStatusDone, 4, 100);
  testing::write_run_file(plan, plan.runs[1], io::kRunStatusFailed, 4, 20);
  const Throughput t = measure_throughput(plan);
  EXPECT_EQ(t.runs(), 2);
  EXPECT_DOUBLE_EQ(*t.estimate_seconds(plan.runs[0]), 4.0);   // 400 samples at 100/s
  EXPECT_DOUBLE_EQ(*t.estimate_seconds(plan.runs[1]), 20.0);  // its own model's rate
  // other (1e5 params): the median rate of all models, (2e7 + 1.6e7) / 2, for 400 × 2e5 FLOPs.
  EXPECT_DOUBLE_EQ(*t.estimate_seconds(plan.runs[2]), 400 * 2e5 / 1.8e7);
  const std::string table = format_plan_table(plan, t);
  EXPECT_NE(table.find("28s of training, about 28s with 1 at once (throughput measured on 2 runs)"), std::string::npos)
      << table;
}

}  // namespace
}  // namespace clipscale::sweep
