#include "spec/run_config.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "spec/budget.h"
#include "spec/layout.h"
#include "spec/model_config.h"

namespace clipscale::spec {
namespace {

constexpr const char* kQuickstart = "experiments/runs/quickstart.toml";

TEST(RunConfig, TheSchemaDeclaresEveryFieldWithItsDefault) {
  const config::Schema& schema = run_config_schema();
  EXPECT_EQ(schema.keys().size(), 41u);
  EXPECT_TRUE(schema.find("model.config")->required());
  EXPECT_TRUE(schema.find("data.data_size")->required());
  EXPECT_EQ(schema.find("data.data_size")->rule(), "data.data_size >= 1");
  EXPECT_EQ(std::get<double>(*schema.find("optim.lr")->default_value), 5e-4);
  EXPECT_EQ(schema.find("optim.lr")->rule(), "optim.lr > 0");
  EXPECT_EQ(schema.find("train.precision")->rule(), "train.precision in [\"fp32\", \"bf16\"]");
  EXPECT_EQ(std::get<std::vector<std::string>>(*schema.find("eval.tasks")->default_value),
            (std::vector<std::string>{"zeroshot_shape", "zeroshot_color", "retrieval"}));
}

TEST(RunConfig, BindingReadsEveryKeyOfAResolvedDocument) {
  const config::Document doc = load_run_config(kQuickstart, {"optim.lr=3e-4", "checkpoint.keep=5"});
  const RunConfig c = bind_run_config(doc);
  EXPECT_EQ(c.run.name, "quickstart");
  EXPECT_EQ(c.model.config, "experiments/models/clip-w128-l4.json");
  EXPECT_EQ(c.data.data_size, 100000);
  EXPECT_EQ(c.train.samples_seen, 128000);
  EXPECT_EQ(c.train.global_batch_size, 128);
  EXPECT_DOUBLE_EQ(c.optim.lr, 3e-4);
  EXPECT_DOUBLE_EQ(c.optim.weight_decay, 0.1);
  EXPECT_EQ(c.checkpoint.keep, 5);
  EXPECT_EQ(c.eval.every_samples, 32000);
  EXPECT_EQ(c.train.max_nonfinite_steps, 10);
}

TEST(RunConfig, CrossKeyRulesAreReportedTogether) {
  try {
    load_run_config(kQuickstart, {"data.data_size=5000000000", "train.samples_seen=64", "data.source=laion:400m",
                                  "eval.tasks=[\"retrieval\", \"retrieval\"]"});
    FAIL() << "accepted";
  } catch (const core::UserError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("data_size <= data.pool_size"), std::string::npos) << m;
    EXPECT_NE(m.find("samples_seen >= train.global_batch_size (128)"), std::string::npos) << m;
    EXPECT_NE(m.find("a known source"), std::string::npos) << m;
    EXPECT_NE(m.find("\"retrieval\" is listed twice"), std::string::npos) << m;
  }
}

TEST(RunBudget, RoundsToWholeBatchesAndCountsComputeOnce) {
  RunConfig c = bind_run_config(load_run_config(kQuickstart, {"train.samples_seen=1000", "optim.warmup_samples=130"}));
  const ClipConfig model = ClipConfig::from_file(c.model.config);
  const RunBudget b = budget_of(c, model);
  EXPECT_EQ(b.steps, 8);
  EXPECT_EQ(b.samples_target, 1024);
  EXPECT_EQ(b.warmup_steps, 2);
  EXPECT_EQ(b.params.total, parameters_from_shape(model).total);
  EXPECT_DOUBLE_EQ(b.compute(), 3.0 * forward_flops_per_sample(model).total() * 1024);
}

TEST(ResultsLayout, NamesEveryFileOfARunAndASweep) {
  const ResultsLayout l = ResultsLayout::of("results", "grid");
  EXPECT_EQ(l.run_file("m-1"), "results/grid/runs/m-1.h5");
  EXPECT_EQ(l.checkpoint_root("m-1"), "results/grid/checkpoints/m-1");
  EXPECT_EQ(l.final_checkpoint("m-1"), "results/grid/checkpoints/m-1/final");
  EXPECT_EQ(l.log_file("m-1"), "results/grid/logs/m-1.log");
  EXPECT_EQ(l.sweep_file(), "results/grid/sweep.h5");
  EXPECT_EQ(l.slurm_runs_file(), "results/grid/slurm/runs.tsv");
}

}  // namespace
}  // namespace clipscale::spec
