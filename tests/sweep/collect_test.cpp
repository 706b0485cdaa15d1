#include "sweep/collect.h"

#include <gtest/gtest.h>

#include <cmath>

#include "io/sweep_file.h"
#include "io/table_file.h"
#include "support/process.h"
#include "sweep_fixture.h"
#include "sweep_runs.h"

namespace clipscale::sweep {
namespace {

class CollectTest : public testing::SweepFixture {
 protected:
  const Plan plan_ = plan_sweep("col",
                                "[axes]\nmodel.config = [\"m/small.json\", \"m/large.json\"]\n"
                                "train.samples_seen = [64, 128]\noptim.lr = [0.001]\n");
};

TEST_F(CollectTest, OneRowPerRunFileWithAxesComputeAndFinalMetrics) {
  testing::write_run_file(plan_, plan_.runs[0], io::kRunStatusDone, 4, 100, 0.25);
  testing::write_run_file(plan_, plan_.runs[1], io::kRunStatusFailed, 2, 100, NAN);
  testing::write_run_file(plan_, plan_.runs[3], io::kRunStatusDone, 4, 100, 0.75);
  const CollectResult result = collect_sweep(plan_);
  EXPECT_EQ(result.rows, 3u);
  EXPECT_EQ(result.done, 2u);
  EXPECT_EQ(result.missing, std::vector<std::string>{plan_.runs[2].resolved.run_id});
  EXPECT_EQ(result.path, plan_.layout.sweep_file());

  const io::SweepFile file = io::read_sweep_file(result.path);
  EXPECT_EQ(file.sweep, "col");
  EXPECT_EQ(std::get<std::string>(file.attributes.at("axes")), "model.config,train.samples_seen,optim.lr");
  EXPECT_EQ(std::get<int64_t>(file.attributes.at("runs_planned")), 4);
  EXPECT_EQ(std::get<int64_t>(file.attributes.at("runs_missing")), 1);
  const io::Table& t = file.runs;
  ASSERT_EQ(t.rows(), 3u);
  EXPECT_EQ(t.columns()[0].name, "index");
  EXPECT_EQ(t.columns()[1].name, "model.config");
  EXPECT_EQ(t.strings("model.config"), (std::vector<std::string>{"m/small.json", "m/small.json", "m/large.json"}));
  EXPECT_EQ(t.numbers("train.samples_seen"), (std::vector<double>{64, 128, 128}));
  EXPECT_EQ(io::column_type_name(t.find("train.samples_seen")->values), "int64");
  EXPECT_EQ(io::column_type_name(t.find("optim.lr")->values), "float64");
  EXPECT_EQ(t.numbers("index"), (std::vector<double>{0, 1, 3}));
  EXPECT_EQ(t.strings("status"), (std::vector<std::string>{"done", "failed", "done"}));
  EXPECT_EQ(t.strings("run_id")[2], plan_.runs[3].resolved.run_id);
  EXPECT_EQ(t.strings("model"), (std::vector<std::string>{"small", "small", "large"}));
  EXPECT_DOUBLE_EQ(t.numbers("compute")[2], 3.0 * 800000.0 * 128);
  EXPECT_EQ(t.numbers("params_total")[2], 400000);
  EXPECT_DOUBLE_EQ(t.numbers("retrieval/r1")[0], 0.25);
  EXPECT_TRUE(std::isnan(t.numbers("retrieval/r1")[1]));
  EXPECT_DOUBLE_EQ(t.numbers("retrieval/r1")[2], 0.75);

  const io::Table csv = io::read_csv(io::sweep_csv_path(result.path));
  EXPECT_EQ(csv.rows(), 3u);
  EXPECT_EQ(csv.strings("model.config")[2], "m/large.json");
}

TEST_F(CollectTest, AnUnreadableRunFileIsSkippedAndNamed) {
  testing::write_run_file(plan_, plan_.runs[0], io::kRunStatusDone);
  testing::write_text(plan_.layout.run_file(plan_.runs[1].resolved.run_id), "not hdf5");
  const CollectResult result = collect_sweep(plan_);
  EXPECT_EQ(result.rows, 1u);
  ASSERT_EQ(result.unreadable.size(), 1u);
  EXPECT_NE(result.unreadable[0].find(plan_.runs[1].resolved.run_id), std::string::npos) << result.unreadable[0];
}

}  // namespace
}  // namespace clipscale::sweep
