// End-to-end tests of `clipscale sweep`: plans whose ids equal `clipscale train --dry-run`'s, error
// messages, and a tiny sweep run by the local launcher, followed and collected.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "io/sweep_file.h"
#include "support/process.h"
#include "support/scratch_dir.h"
#include "support/tiny_model_json.h"
#include "sweep/shell_quote.h"

namespace clipscale::testing {
namespace {

namespace fs = std::filesystem;
using sweep::shell_quote;

// The binary that trains: this build's clipscale, or — for the LibTorch-free build — the full one
// that $CLIPSCALE_TRAINER names (.ci/run sets it). Tests that train skip without one.
std::string trainer() {
  if (CLIPSCALE_BINARY_TRAINS) return CLIPSCALE_BINARY;
  const char* env = std::getenv("CLIPSCALE_TRAINER");
  return env != nullptr ? env : "";
}
#define CLIPSCALE_REQUIRE_TRAINER() \
  if (trainer().empty()) GTEST_SKIP() << "this clipscale is LibTorch-free and CLIPSCALE_TRAINER names no full build"

class SweepCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(dir_ / "tiny.json", kTinyModelJson);
    write_text(dir_ / "tiny2.json",
               std::regex_replace(std::string(kTinyModelJson), std::regex("\"layers\": 1"), "\"layers\": 2"));
    write_text(base_, "[run]\noutput_dir = " + quoted(dir_ / "results") +
                          "\n[model]\nconfig = " + quoted(dir_ / "tiny.json") +
                          "\n[data]\ndata_size = 2000\nvocab_corpus = 2000\n[train]\nsamples_seen = 128\n"
                          "global_batch_size = 32\nthreads = 1\n[eval]\nzeroshot_size = 48\nretrieval_size = 40\n");
  }
  static std::string quoted(const fs::path& p) { return "\"" + p.string() + "\""; }

  std::string write_sweep(const std::string& body, const std::string& name = "grid") {
    const fs::path path = dir_ / "sweep.toml";
    write_text(path, "[sweep]\nname = \"" + name + "\"\nbase = " + quoted(base_) + "\n" + body);
    return path.string();
  }

  ScratchDir scratch_;
  const fs::path dir_ = scratch_.path();
  const fs::path base_ = dir_ / "base.toml";
};

TEST_F(SweepCommand, PlannedIdsAreTheIdsTrainingRecords) {
  CLIPSCALE_REQUIRE_TRAINER();
  const std::string sweep =
      write_sweep("[axes]\nmodel.config = [" + quoted(dir_ / "tiny.json") + ", " + quoted(dir_ / "tiny2.json") +
                  "]\ntrain.samples_seen = [64, 96]\n"
                  "optim.lr = [1e-3]\n[launch]\nthreads_per_rank = 1\n");
  const auto r = run_command(clipscale("sweep plan " + sweep + " --json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto plan = nlohmann::json::parse(r.output);
  ASSERT_EQ(plan["runs"].size(), 4u);
  for (const auto& run : plan["runs"]) {
    std::string sets;
    for (const auto& value : run["overrides"]) sets += " --set " + shell_quote(value.get<std::string>());
    const auto dry = run_command(trainer() + " train " + base_.string() + sets + " --dry-run");
    ASSERT_EQ(dry.exit_code, 0) << dry.output;
    EXPECT_NE(dry.output.find("# run id: " + run["run_id"].get<std::string>() + "\n"), std::string::npos)
        << "plan says " << run["run_id"] << ", train says:\n"
        << dry.output.substr(0, 200);
  }
  EXPECT_EQ(plan["runs"][2]["model"], "tiny2");
  EXPECT_GT(plan["runs"][2]["params_total"].get<double>(), plan["runs"][0]["params_total"].get<double>());
  // Re-planning gives the same ids.
  const auto again = nlohmann::json::parse(run_command(clipscale("sweep plan " + sweep + " --json")).output);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(again["runs"][i]["run_id"], plan["runs"][i]["run_id"]);
  const auto table = run_command(clipscale("sweep plan " + sweep));
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("total: 4 runs"), std::string::npos) << table.output;
}

TEST_F(SweepCommand, MistakesExitWithTwoAndNameFileLineAndKey) {
  const std::string sweep = write_sweep("[axes]\ntrain.samples_sen = [64]\n[launch]\nconcurency = 2\n");
  const auto r = run_command(clipscale("sweep plan " + sweep));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(sweep + ":5: unknown axis key 'train.samples_sen'. HINT: did you mean 'train.samples_seen'?"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(sweep + ":7: unknown key 'launch.concurency'. HINT: did you mean 'launch.concurrency'?"),
            std::string::npos)
      << r.output;
  // A value the run config rejects is reported for the run, with the rule.
  const std::string bad = write_sweep("[axes]\ntrain.samples_seen = [16]\n");
  const auto b = run_command(clipscale("sweep plan " + bad));
  EXPECT_EQ(b.exit_code, 2) << b.output;
  EXPECT_NE(b.output.find("run 0 (train.samples_seen=16)"), std::string::npos) << b.output;
  EXPECT_NE(b.output.find("samples_seen >= train.global_batch_size (32)"), std::string::npos) << b.output;
}

TEST_F(SweepCommand, LocalRunStatusAndCollect) {
  CLIPSCALE_REQUIRE_TRAINER();
  const std::string sweep = write_sweep("[axes]\nrun.seed = [0, 1]\n[launch]\nthreads_per_rank = 1\nconcurrency = 2\n");
  const auto before = run_command(clipscale("sweep status " + sweep));
  EXPECT_EQ(before.exit_code, 0) << before.output;
  EXPECT_NE(before.output.find("2 runs: 0 done, 0 running, 0 preempted, 0 failed, 2 pending"), std::string::npos)
      << before.output;

  const auto run = run_command(clipscale("sweep run " + sweep));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("grid: 2 done, 0 failed"), std::string::npos) << run.output;

  const auto status = run_command(clipscale("sweep status " + sweep + " --json"));
  ASSERT_EQ(status.exit_code, 0) << status.output;
  const auto json = nlohmann::json::parse(status.output);
  EXPECT_EQ(json["counts"]["done"], 2);
  const std::string id = json["runs"][0]["run_id"];
  EXPECT_TRUE(fs::exists(dir_ / "results/grid/runs" / (id + ".h5")));
  EXPECT_TRUE(fs::exists(dir_ / "results/grid/logs" / (id + ".log")));

  const auto collect = run_command(clipscale("sweep collect " + sweep));
  ASSERT_EQ(collect.exit_code, 0) << collect.output;
  const io::SweepFile file = io::read_sweep_file((dir_ / "results/grid/sweep.h5").string());
  ASSERT_EQ(file.runs.rows(), 2u);
  EXPECT_EQ(file.runs.strings("status"), (std::vector<std::string>{"done", "done"}));
  EXPECT_EQ(file.runs.numbers("run.seed"), (std::vector<double>{0, 1}));
  EXPECT_GT(file.runs.numbers("zeroshot_shape/top1")[0], 0.0);
  EXPECT_TRUE(fs::exists(dir_ / "results/grid/sweep.csv"));

  // Running again skips the finished runs.
  const auto t0 = std::chrono::steady_clock::now();
  const auto again = run_command(clipscale("sweep run " + sweep));
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("2 already done, 0 to run"), std::string::npos) << again.output;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
}

TEST_F(SweepCommand, LocalDryRunPrintsTheTrainCommands) {
  CLIPSCALE_REQUIRE_TRAINER();
  const std::string sweep = write_sweep(
      "[axes]\nrun.seed = [0]\neval.tasks = [[\"retrieval\"]]\n"
      "[launch]\nthreads_per_rank = 1\n");
  const auto r = run_command(clipscale("sweep run " + sweep + " --dry-run"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find(" train " + base_.string() +
                          " --set run.seed=0 --set 'eval.tasks=[\"retrieval\"]' --set "
                          "'run.name=\"grid\"' --set train.threads=1 --set 'run.output_dir=\""),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "results")) << "a dry run writes nothing";
}

TEST_F(SweepCommand, SlurmDryRunShowsTheRunsListAndTheQuotedScript) {
  CLIPSCALE_REQUIRE_TRAINER();
  const std::string sweep = write_sweep("[axes]\nrun.seed = [0, 1]\n[launch]\nthreads_per_rank = 1\n", "it's a sweep");
  const auto r = run_command(clipscale("sweep run " + sweep + " --launcher slurm --dry-run"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("\trun.name=\"it's a sweep\"\t"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("sweep='it'\\''s a sweep'"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "results")) << "a dry run writes nothing";
}

TEST_F(SweepCommand, RunNeedsABinaryThatTrains) {
  const std::string sweep = write_sweep("[axes]\nrun.seed = [0]\n");
  const auto missing = run_command(clipscale("sweep run " + sweep + " --trainer " + (dir_ / "no-such-binary").string()));
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  EXPECT_NE(missing.output.find("is not an executable file. HINT:"), std::string::npos) << missing.output;
  if (!CLIPSCALE_BINARY_TRAINS) {
    const auto none = run_command("env -u CLIPSCALE_TRAINER " + clipscale("sweep run " + sweep));
    EXPECT_EQ(none.exit_code, 2) << none.output;
    EXPECT_NE(none.output.find("built without LibTorch"), std::string::npos) << none.output;
  }
  EXPECT_FALSE(fs::exists(dir_ / "results")) << "nothing was started";
}

TEST_F(SweepCommand, TheQuickStartSweepPlans) {
  const auto r = run_command(clipscale("sweep plan sweeps/quickstart.toml --json"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto plan = nlohmann::json::parse(r.output);
  EXPECT_EQ(plan["runs"].size(), 6u);
}

}  // namespace
}  // namespace clipscale::testing
