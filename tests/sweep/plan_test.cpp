#include "sweep/plan.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/error.h"
#include "support/process.h"
#include "sweep/plan_report.h"
#include "sweep/throughput.h"
#include "sweep_fixture.h"

namespace clipscale::sweep {
namespace {

class PlanTest : public testing::SweepFixture {
 protected:
  Plan plan(const std::string& body, const std::string& output_dir = "") {
    return plan_sweep("grid", body, output_dir);
  }
  std::string error_of(const std::string& body) {
    try {
      plan(body);
    } catch (const core::UserError& e) {
      return e.what();
    }
    ADD_FAILURE() << "expected a UserError";
    return "";
  }
};

TEST_F(PlanTest, ResolvesEveryGridPointWithTheSweepsOverrides) {
  const Plan p = plan(
      "[axes]\nmodel.config = [\"m/small.json\", \"m/large.json\"]\ntrain.samples_seen = [63, 128]\n"
      "[launch]\nthreads_per_rank = 2\n");
  ASSERT_EQ(p.runs.size(), 4u);
  EXPECT_EQ(p.runs[1].overrides, (std::vector<std::string>{"model.config=\"m/small.json\"", "train.samples_seen=128",
                                                           "run.name=\"grid\"", "train.threads=2"}));
  EXPECT_EQ(p.train_overrides(p.runs[1]).back(), "run.output_dir=\"" + scratch_.file("results") + "\"");
  EXPECT_EQ(p.runs[0].resolved.samples_seen, 64) << "rounded up to whole batches of 4";
  EXPECT_EQ(p.runs[2].resolved.model_name, "large");
  EXPECT_EQ(p.runs[2].resolved.params_total, 400000);
  EXPECT_DOUBLE_EQ(p.runs[2].compute(), 3.0 * 800000.0 * 64);
  EXPECT_EQ(p.runs[3].index, 3u);
  EXPECT_EQ(p.runs[3].threads, 2);
  EXPECT_EQ(p.runs[3].ranks, 1);
  EXPECT_EQ(p.output_dir, scratch_.file("results")) << "the base config's run.output_dir";
  EXPECT_EQ(p.layout.root, scratch_.file("results") + "/grid");
  EXPECT_EQ(p.layout.run_file(p.runs[0].resolved.run_id),
            scratch_.file("results") + "/grid/runs/" + p.runs[0].resolved.run_id + ".h5");
}

TEST_F(PlanTest, RePlanningGivesTheSameIds) {
  const std::string body = "[axes]\nmodel.config = [\"m/small.json\", \"m/large.json\"]\nrun.seed = [0, 1, 2]\n";
  const Plan a = plan(body), b = plan(body);
  ASSERT_EQ(a.runs.size(), 6u);
  std::set<std::string> distinct;
  for (size_t i = 0; i < a.runs.size(); ++i) {
    EXPECT_EQ(a.runs[i].resolved.run_id, b.runs[i].resolved.run_id);
    distinct.insert(a.runs[i].resolved.run_id);
  }
  EXPECT_EQ(distinct.size(), 6u);
}

TEST_F(PlanTest, LaunchAxesSetRanksAndThreadsPerRun) {
  const Plan p = plan(
      "[axes]\nrun.seed = [0, 1]\nlaunch.ranks_per_run = [1, 2]\n[zip]\nr = [\"run.seed\", "
      "\"launch.ranks_per_run\"]\n");
  ASSERT_EQ(p.runs.size(), 2u);
  EXPECT_EQ(p.runs[0].ranks, 1);
  EXPECT_EQ(p.runs[1].ranks, 2);
  EXPECT_EQ(p.runs[1].overrides, (std::vector<std::string>{"run.seed=1", "run.name=\"grid\""}))
      << "ranks are a launch setting, not a --set";
}

TEST_F(PlanTest, FiltersSkipRunsAndSayWhy) {
  const Plan p = plan(
      "[axes]\nmodel.config = [\"m/small.json\", \"m/large.json\"]\ntrain.samples_seen = [40, 400]\n"
      "[filter]\nskip_if_samples_below_data_size = true\nskip_if = [\"model == \\\"large\\\" and "
      "compute > 1e8\"]\n");
  ASSERT_EQ(p.runs.size(), 1u);
  EXPECT_EQ(p.runs[0].resolved.model_name, "small");
  EXPECT_EQ(p.runs[0].resolved.samples_seen, 400);
  ASSERT_EQ(p.skipped.size(), 3u);
  EXPECT_EQ(p.skipped[0].reason, "skip_if_samples_below_data_size (samples seen 40 < data size 100)");
  EXPECT_EQ(p.skipped[2].reason, "skip_if \"model == \\\"large\\\" and compute > 1e8\"");
  EXPECT_EQ(describe_axes(p.skipped[2].axes), "model.config=large.json train.samples_seen=400");
}

TEST_F(PlanTest, TwoRunsWithTheSameIdAreAnError) {
  EXPECT_NE(error_of("[axes]\ntrain.log_every_steps = [1, 2]\n")
                .find("runs 0 (train.log_every_steps=1) and 1 (train.log_every_steps=2) resolve to the same run"),
            std::string::npos);
}

TEST_F(PlanTest, ResolverErrorsOfAllRunsAreReportedTogether) {
  testing::write_text(base_, "[data]\ndata_size = 100\n[train]\nsamples_seen = 64\n");
  const std::string message = error_of("[axes]\nrun.seed = [0, 1]\n");
  EXPECT_NE(message.find("sweep.toml: run 0 (run.seed=0) of base " + base_ + ":\n  " + base_ +
                         ": missing required key 'model.config'."),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("run 1 (run.seed=1)"), std::string::npos) << message;
}

TEST_F(PlanTest, OutputDirCanBeOverridden) {
  const Plan p = plan("", "/tmp/other root");
  EXPECT_EQ(p.layout.root, "/tmp/other root/grid");
  EXPECT_EQ(p.train_overrides(p.runs[0]).back(), "run.output_dir=\"/tmp/other root\"");
}

TEST_F(PlanTest, JsonHasRunsSkippedAndTotals) {
  const Plan p = plan(
      "[axes]\nmodel.config = [\"m/small.json\", \"m/large.json\"]\ntrain.samples_seen = [40, 400]\n"
      "[filter]\nskip_if_samples_below_data_size = true\n");
  const auto json = nlohmann::json::parse(format_plan_json(p, Throughput()));
  EXPECT_EQ(json["sweep"], "grid");
  ASSERT_EQ(json["runs"].size(), 2u);
  EXPECT_EQ(json["runs"][1]["run_id"], p.runs[1].resolved.run_id);
  EXPECT_EQ(json["runs"][1]["model"], "large");
  EXPECT_EQ(json["runs"][1]["axes"]["model.config"], "m/large.json");
  EXPECT_EQ(json["runs"][1]["axes"]["train.samples_seen"], 400);
  EXPECT_EQ(json["runs"][1]["params_total"], 400000);
  EXPECT_DOUBLE_EQ(json["runs"][1]["compute"].get<double>(), 3.0 * 800000.0 * 400);
  EXPECT_TRUE(json["runs"][1]["estimated_seconds"].is_null());
  EXPECT_EQ(json["skipped"].size(), 2u);
  EXPECT_EQ(json["totals"]["runs"], 2);
  EXPECT_EQ(json["totals"]["skipped"], 2);
  EXPECT_EQ(json["launch"]["concurrency"], 1);
}

TEST_F(PlanTest, TableListsEveryRunAndTheTotals) {
  const Plan p = plan("[axes]\nmodel.config = [\"m/small.json\", \"m/large.json\"]\n");
  const std::string table = format_plan_table(p, Throughput());
  EXPECT_NE(table.find("sweep grid: 2 runs"), std::string::npos) << table;
  EXPECT_NE(table.find(p.runs[0].resolved.run_id + "  small.json"), std::string::npos) << table;
  EXPECT_NE(table.find("400.0k"), std::string::npos) << table;
  EXPECT_NE(table.find("total: 2 runs, compute 1.92e+08 FLOPs; no time estimate yet"), std::string::npos) << table;
}

}  // namespace
}  // namespace clipscale::sweep
