// End-to-end tests of `clipscale eval`: a checkpoint evaluated after training scores exactly what
// training's final evaluation recorded, on any task set, and writes eval.h5 and eval.json.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "io/run_file.h"
#include "io/table_file.h"
#include "support/process.h"
#include "support/scratch_dir.h"
#include "support/tiny_model_json.h"

namespace clipscale::testing {
namespace {
namespace fs = std::filesystem;

class EvalCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(dir_ / "tiny.json", kTinyModelJson);
    write_text(config_, "[run]\nname = \"ev\"\noutput_dir = \"" + (dir_ / "results").string() +
                            "\"\n[model]\nconfig = \"" + (dir_ / "tiny.json").string() +
                            "\"\n[data]\ndata_size = 2000\nvocab_corpus = 2000\n[train]\nsamples_seen = 128\n"
                            "global_batch_size = 32\nprecision = \"fp32\"\nthreads = 1\n"
                            "[eval]\nzeroshot_size = 48\nretrieval_size = 40\n");
  }

  // Trains the run once; returns its final checkpoint and run file.
  std::pair<std::string, std::string> train() {
    const auto r = run_command(clipscale("train " + config_.string()));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::smatch m;
    std::string checkpoint, run_file;
    if (std::regex_search(r.output, m, std::regex("checkpoint=(\\S+)"))) checkpoint = m[1];
    if (std::regex_search(r.output, m, std::regex("run_file=(\\S+)"))) run_file = m[1];
    return {checkpoint, run_file};
  }

  ScratchDir scratch_;
  const fs::path dir_ = scratch_.path();
  const fs::path config_ = dir_ / "run.toml";
};

TEST_F(EvalCommand, ScoresACheckpointExactlyAsTrainingsFinalEvaluation) {
  const auto [checkpoint, run_file] = train();
  ASSERT_FALSE(checkpoint.empty());
  const io::RunFile run = io::read_run_file(run_file);
  const auto r = run_command(clipscale("eval " + checkpoint + " --out " + (dir_ / "eval").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* task : {"zeroshot_shape", "zeroshot_color", "retrieval"}) {
    for (const auto& [metric, value] : run.eval_final.at(task)) {
      char line[128];
      std::snprintf(line, sizeof(line), "%s/%s=%.4f\n", task, metric.c_str(), value);
      EXPECT_NE(r.output.find(line), std::string::npos) << "missing " << line << " in\n" << r.output;
    }
  }
  const nlohmann::json json = nlohmann::json::parse(std::ifstream(dir_ / "eval" / "eval.json"));
  EXPECT_EQ(json["run_id"], run.header.run_id);
  EXPECT_DOUBLE_EQ(json["metrics"]["retrieval"]["image_to_text_r1"].get<double>(),
                   run.eval_final.at("retrieval").at("image_to_text_r1"))
      << "the same evaluator on the same data gives the same numbers";
  const io::TableFileReader table((dir_ / "eval" / "eval.h5").string());
  const io::Table metrics = table.read_table("/metrics");
  EXPECT_EQ(metrics.rows(), 2u + 2u + 6u);
  EXPECT_EQ(std::get<std::string>(table.attributes("/").at("run_id")), run.header.run_id);
}

TEST_F(EvalCommand, TakesAnyTaskSetAndRejectsUnknownTasks) {
  const auto [checkpoint, run_file] = train();
  const auto one = run_command(clipscale("eval " + checkpoint + " --task zeroshot_color --zeroshot-size 16"));
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_NE(one.output.find("zeroshot_color/top1="), std::string::npos) << one.output;
  EXPECT_EQ(one.output.find("retrieval/"), std::string::npos) << one.output;
  const auto bad = run_command(clipscale("eval " + checkpoint + " --task zeroshot_colour"));
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("--task zeroshot_colour violates a known evaluation task"), std::string::npos)
      << bad.output;
  const auto missing = run_command(clipscale("eval " + (dir_ / "nowhere").string()));
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
}

}  // namespace
}  // namespace clipscale::testing
