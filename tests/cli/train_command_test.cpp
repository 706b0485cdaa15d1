// End-to-end tests of the clipscale binary: config errors, --dry-run, and a tiny training run
// whose run file, export and embeddings are checked from Python.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>

#include "io/run_file.h"
#include "support/process.h"
#include "support/scratch_dir.h"
#include "support/tiny_model_json.h"

namespace clipscale::testing {
namespace {
namespace fs = std::filesystem;

class TrainCommand : public ::testing::Test {
 protected:
  void SetUp() override { write_text(dir_ / "tiny.json", kTinyModelJson); }

  /// A valid config; `extra` lines are appended inside [optim] (line 12 onwards).
  std::string write_config(const std::string& optim_extra = "", const std::string& tail = "") {
    const std::string text =
        "[run]\n"           // 1
        "name = \"cli\"\n"  // 2
        "output_dir = \"" +
        (dir_ / "results").string() +
        "\"\n"       // 3
        "[model]\n"  // 4
        "config = \"" +
        (dir_ / "tiny.json").string() +
        "\"\n"                      // 5
        "[data]\n"                  // 6
        "data_size = 2000\n"        // 7
        "vocab_corpus = 2000\n"     // 8
        "[train]\n"                 // 9
        "samples_seen = 320\n"      // 10
        "global_batch_size = 32\n"  // 11
        "[optim]\n"                 // 12
        + optim_extra + tail + "[eval]\nzeroshot_size = 48\nretrieval_size = 40\n";
    const fs::path path = dir_ / "run.toml";
    write_text(path, text);
    return path.string();
  }

  ScratchDir scratch_;
  const fs::path dir_ = scratch_.path();
};

TEST_F(TrainCommand, DryRunPrintsEveryValueWithItsSource) {
  const std::string config = write_config("lr = 0.002\n");
  const auto r = run_command(clipscale("train " + config + " --set optim.weight_decay=0.05 --dry-run"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("lr = 0.002  # " + config + ":13"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("weight_decay = 0.05  # --set optim.weight_decay=0.05"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("beta2 = 0.98  # default"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("# run id: tiny-"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "results")) << "a dry run writes nothing";
}

TEST_F(TrainCommand, SameConfigHasTheSameRunIdAndOverridesChangeIt) {
  const std::string config = write_config();
  const std::regex id_line("# run id: (\\S+)");
  auto run_id = [&](const std::string& extra) {
    std::smatch m;
    const auto r = run_command(clipscale("train " + config + " --dry-run " + extra));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return std::regex_search(r.output, m, id_line) ? m[1].str() : std::string("no run id in: " + r.output);
  };
  EXPECT_EQ(run_id("").rfind("tiny-", 0), 0u);
  EXPECT_EQ(run_id(""), run_id(""));
  EXPECT_EQ(run_id(""), run_id("--set train.log_every_steps=3 --set train.prefetch_batches=0"))
      << "logging and prefetching cannot change a run";
  EXPECT_NE(run_id(""), run_id("--set optim.lr=1e-4"));
}

TEST_F(TrainCommand, OutOfRangeValueNamesFileLineKeyRuleAndHint) {
  const std::string config = write_config("lr = -0.1\n");
  const auto r = run_command(clipscale("train " + config));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(config + ":13: optim.lr = -0.1 violates optim.lr > 0. HINT:"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("terminate"), std::string::npos) << "no stack trace";
}

TEST_F(TrainCommand, UnknownKeySuggestsTheClosestOne) {
  const std::string config = write_config("weight_decy = 0.1\n");
  const auto r = run_command(clipscale("train " + config));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(config + ":13: unknown key 'optim.weight_decy'. HINT: did you mean 'optim.weight_decay'?"),
            std::string::npos)
      << r.output;
}

TEST_F(TrainCommand, WrongTypeIsReported) {
  const std::string config = write_config("", "[loss]\ntype = 3\n");
  const auto r = run_command(clipscale("train " + config));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find(config + ":14: loss.type = 3 has type int, expected string"), std::string::npos) << r.output;
}

TEST_F(TrainCommand, BadOverrideIsReportedAgainstTheFlag) {
  const std::string config = write_config();
  const auto r = run_command(clipscale("train " + config + " --set train.global_batch_size=big"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--set train.global_batch_size=big: "), std::string::npos) << r.output;
}

TEST_F(TrainCommand, CrossKeyRuleAndMissingModelAreReportedTogether) {
  const std::string config = write_config();
  const auto r = run_command(clipscale("train " + config + " --set data.pool_size=100 --set model.config=nope.json"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("data.data_size = 2000 violates data_size <= data.pool_size (100)"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("model.config = \"nope.json\" violates"), std::string::npos) << r.output;
}

TEST_F(TrainCommand, MissingConfigFileExitsWithTwo) {
  const auto r = run_command(clipscale("train " + (dir_ / "absent.toml").string()));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("absent.toml"), std::string::npos) << r.output;
}

TEST_F(TrainCommand, TrainsExportsAndEmbedsConsistentlyWithAnIndependentForward) {
  const std::string config = write_config("lr = 0.002\nwarmup_samples = 64\n");
  const auto r = run_command(clipscale("train " + config + " --set train.precision=fp32"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.output, m, std::regex("run_file=(\\S+)"))) << r.output;
  const std::string run_file = m[1].str();
  ASSERT_TRUE(std::regex_search(r.output, m, std::regex("checkpoint=(\\S+)"))) << r.output;
  const std::string checkpoint = m[1].str();
  EXPECT_NE(r.output.find("step 10/10 | loss "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("zeroshot_shape/top1="), std::string::npos) << r.output;

  const std::string weights = (dir_ / "model.safetensors").string();
  const std::string model_json = (dir_ / "open_clip_config.json").string();
  const auto e =
      run_command(clipscale("export " + checkpoint + " --safetensors " + weights + " --config-json " + model_json));
  ASSERT_EQ(e.exit_code, 0) << e.output;
  const std::string emb = (dir_ / "emb.h5").string();
  const auto b = run_command(clipscale("embed " + checkpoint + " --count 24 --out " + emb + " --save-inputs"));
  ASSERT_EQ(b.exit_code, 0) << b.output;

  if (!system_python_has("torch, h5py, numpy")) GTEST_SKIP() << "/usr/bin/python3 with torch and h5py is missing";
  const std::string here = std::string(CLIPSCALE_SOURCE_DIR) + "/tests/cli/";
  const auto py = run_command("/usr/bin/python3 " + here + "read_run_file.py " + run_file + " 10");
  EXPECT_EQ(py.exit_code, 0) << py.output;
  const auto ref = run_command("/usr/bin/python3 " + here + "openclip_reference_forward.py " + weights + " " +
                               model_json + " " + emb);
  EXPECT_EQ(ref.exit_code, 0) << ref.output;
}

/// "mpirun -np N" as root may run it (OpenMPI's allow-root variables), more ranks than cores.
std::string mpirun(int ranks) {
  return "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np " + std::to_string(ranks) +
         " --oversubscribe ";
}

bool have_mpirun() { return run_command("command -v mpirun").exit_code == 0; }

TEST_F(TrainCommand, TwoRanksUnderMpirunTrainTheSameRunAsOneProcessWould) {
  if (!have_mpirun()) GTEST_SKIP() << "mpirun not found";
  const std::string config = write_config("lr = 0.002\n");
  const auto dry = run_command(clipscale("train " + config + " --dry-run"));
  std::smatch m;
  ASSERT_TRUE(std::regex_search(dry.output, m, std::regex("# run file: (\\S+)"))) << dry.output;
  const std::string expected_run_file = m[1].str();
  // Caching and the communicator do not change the run id.
  const auto r = run_command(mpirun(2) + clipscale("train " + config + " --set train.grad_cache_chunk=8"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("2 ranks over mpi"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("run_file=" + expected_run_file), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("run_file="), r.output.rfind("run_file=")) << "only rank 0 reports: " << r.output;
  const io::RunFile run = io::read_run_file(expected_run_file);
  EXPECT_EQ(run.status, io::kRunStatusDone);
  EXPECT_EQ(run.header.world_size, 2);
  EXPECT_EQ(run.train.size(), 10u);
  EXPECT_EQ(run.header.extra_string_attrs.at("dist_backend"), "mpi");
}

TEST_F(TrainCommand, ABatchThatRanksCannotShareStopsEveryRankWithExitCodeTwo) {
  if (!have_mpirun()) GTEST_SKIP() << "mpirun not found";
  const std::string config = write_config();
  const auto r =
      run_command("timeout 120 " + mpirun(2) +
                  clipscale("train " + config + " --set train.global_batch_size=33 --set train.samples_seen=330"));
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(
      std::regex_search(r.output, std::regex("error on rank [01]/2 on \\S+: train.global_batch_size = 33 violates "
                                             "global_batch_size % ranks == 0")))
      << r.output;
}

TEST_F(TrainCommand, TokenizePrintsStartAndEndIds) {
  const auto r = run_command(clipscale("tokenize --vocab-size 600 \"two red circles\""));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.rfind("598 ", 0), 0u) << "sot = vocab_size - 2: " << r.output;
  EXPECT_NE(r.output.find(" 599\n"), std::string::npos) << "eot last: " << r.output;
}

}  // namespace
}  // namespace clipscale::testing
