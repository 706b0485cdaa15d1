#include "train/trainer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "core/error.h"
#include "io/run_file.h"
#include "support/scratch_dir.h"
#include "train/checkpoint.h"

namespace clipscale::train {
namespace {
namespace fs = std::filesystem;

class TrainerTest : public ::testing::Test {
 protected:
  TrainOptions tiny(const std::string& run_id) const {
    TrainOptions o;
    o.run_id = run_id;
    o.config.run.name = "unit";
    o.config.run.output_dir = root_.string();
    o.config.run.seed = 3;
    o.model.name = "unit-tiny";
    o.model.embed_dim = 32;
    o.model.vision = {16, 4, 32, 1, 16, 2.0};
    o.model.text = {16, 600, 32, 2, 1, 2.0};
    o.config.data.data_size = 2000;
    o.config.data.vocab_corpus = 2000;
    o.config.train.samples_seen = 20 * 32;
    o.config.train.global_batch_size = 32;
    o.config.train.precision = "fp32";
    o.config.train.threads = 1;
    o.config.train.log_every_steps = 100;
    o.config.optim.lr = 2e-3;
    o.config.optim.warmup_samples = 2 * 32;
    o.config.eval.every_samples = 320;
    o.config.eval.zeroshot_size = 48;
    o.config.eval.retrieval_size = 40;
    return o;
  }

  testing::ScratchDir scratch_;
  const fs::path root_ = scratch_.path();
};

TEST_F(TrainerTest, SameConfigAndSeedGiveBitIdenticalResults) {
  const TrainResult a = run_training(tiny("unit-a"), "# a");
  const TrainResult b = run_training(tiny("unit-b"), "# b");
  EXPECT_EQ(a.final_loss, b.final_loss) << "bitwise, not approximately";
  const auto ca = load_checkpoint(a.checkpoint_dir), cb = load_checkpoint(b.checkpoint_dir);
  auto pb = cb.model->named_parameters();
  for (const auto& item : ca.model->named_parameters())
    EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
  TrainOptions other = tiny("unit-c");
  other.config.run.seed = 4;
  EXPECT_NE(run_training(other, "# c").final_loss, a.final_loss);
}

TEST_F(TrainerTest, WritesACompleteRunFile) {
  TrainOptions o = tiny("unit-file");
  const TrainResult result = run_training(o, "# resolved config");
  const io::RunFile file = io::read_run_file(result.run_file);
  EXPECT_EQ(file.status, "done");
  EXPECT_EQ(file.header.run_id, "unit-file");
  EXPECT_EQ(file.header.config_toml, "# resolved config");
  EXPECT_EQ(file.header.samples_seen_target, 640);
  EXPECT_EQ(file.header.data_size, 2000);
  EXPECT_GT(file.header.params_total, 0);
  EXPECT_GT(file.header.flops_per_sample, 0);
  ASSERT_EQ(file.train.size(), 20u);
  EXPECT_EQ(file.train.back().samples_seen, 640);
  EXPECT_EQ(file.train.front().step, 1);
  for (const auto& r : file.train) {
    EXPECT_TRUE(std::isfinite(r.loss));
    EXPECT_GT(r.samples_per_s, 0);
    EXPECT_LE(r.logit_scale, 100.0 + 1e-9);
  }
  ASSERT_TRUE(file.eval_final.count("zeroshot_shape"));
  ASSERT_TRUE(file.eval_final.count("retrieval"));
  EXPECT_EQ(file.eval_series.at("zeroshot_color").at("samples_seen"), (std::vector<double>{320, 640}));
  EXPECT_DOUBLE_EQ(file.eval_final.at("zeroshot_shape").at("top1"),
                   result.final_metrics.at("zeroshot_shape").at("top1"));
}

TEST_F(TrainerTest, AFinishedRunIsNotOverwritten) {
  TrainOptions o = tiny("unit-done");
  o.config.train.samples_seen = 64;
  const TrainResult first = run_training(o, "# first");
  EXPECT_THROW(run_training(o, "# second"), core::UserError);
  EXPECT_EQ(io::read_run_file(first.run_file).header.config_toml, "# first");
}

TEST_F(TrainerTest, ADivergingRunEndsFailedWithAUserError) {
  TrainOptions o = tiny("unit-diverge");
  o.config.optim.lr = std::numeric_limits<double>::infinity();  // the first update makes every weight non-finite
  o.config.optim.warmup_samples = 0;
  try {
    run_training(o, "");
    FAIL() << "expected the run to diverge";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("optim.lr"), std::string::npos) << e.what();
  }
  EXPECT_EQ(io::read_run_file(o.run_file_path()).status, "failed");
}

TEST_F(TrainerTest, NonFiniteStepsAreSkippedCountedAndStopTheRunAfterTheLimit) {
  TrainOptions o = tiny("unit-nonfinite");
  o.config.optim.lr = std::numeric_limits<double>::infinity();  // step 1 updates; its weights are non-finite
  o.config.optim.warmup_samples = 0;
  o.config.train.max_nonfinite_steps = 3;
  try {
    run_training(o, "");
    FAIL() << "expected the run to fail";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("3 steps in a row had a non-finite loss"), std::string::npos) << e.what();
  }
  const io::RunFile file = io::read_run_file(o.run_file_path());
  EXPECT_EQ(file.status, "failed");
  ASSERT_EQ(file.train.size(), 3u) << "step 1 (finite) plus skipped steps 2 and 3; step 4 fails before its row";
  EXPECT_TRUE(std::isfinite(file.train[0].loss));
  EXPECT_TRUE(std::isnan(file.train[1].loss));
}

TEST_F(TrainerTest, ACheckpointOfNonFiniteWeightsIsNeverWritten) {
  TrainOptions o = tiny("unit-nan-checkpoint");
  o.config.optim.lr = std::numeric_limits<double>::infinity();
  o.config.optim.warmup_samples = 0;
  o.config.checkpoint.every_samples = 32;  // after step 1, whose update made the weights non-finite
  try {
    run_training(o, "");
    FAIL() << "expected the run to fail";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("non-finite values"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(complete_checkpoints(o.checkpoint_root()).empty());
}

TEST_F(TrainerTest, LossFallsOnTheSyntheticPool) {
  TrainOptions o = tiny("unit-learn");
  o.config.train.samples_seen = 60 * 32;
  const TrainResult result = run_training(o, "");
  const io::RunFile file = io::read_run_file(result.run_file);
  double first = 0, last = 0;
  for (int i = 0; i < 5; ++i) first += file.train[i].loss / 5;
  for (size_t i = file.train.size() - 5; i < file.train.size(); ++i) last += file.train[i].loss / 5;
  EXPECT_LT(last, first - 0.3) << "first " << first << " last " << last << " (ln 32 = 3.47 is chance)";
}

}  // namespace
}  // namespace clipscale::train
