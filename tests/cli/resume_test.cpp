// Exact resume and fault tolerance of `clipscale train` (issue #5): a run killed with SIGKILL at a
// failpoint (inside a step, while a checkpoint is written, while a run-file row is flushed) or
// stopped by SIGUSR1/SIGTERM, then started again with the same command, ends with the same
// weights (byte for byte), the same run-file rows and the same final metrics as a run that was
// never interrupted; also on 2 MPI ranks. A damaged newest checkpoint falls back to the previous
// one; a full disk gives a clear error and loses nothing already written.
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "io/atomic_file.h"
#include "io/run_file.h"
#include "support/process.h"
#include "support/scratch_dir.h"
#include "support/tiny_model_json.h"

namespace clipscale::testing {
namespace {
namespace fs = std::filesystem;

class Resume : public ::testing::Test {
 protected:
  void SetUp() override {
    write_text(dir_ / "tiny.json", kTinyModelJson);
    write_text(dir_ / "run.toml", "[run]\nname = \"rt\"\n[model]\nconfig = \"" + (dir_ / "tiny.json").string() +
                                      "\"\n[data]\ndata_size = 2000\nvocab_corpus = 2000\n"
                                      "[train]\nsamples_seen = 640\nglobal_batch_size = 32\nprecision = \"fp32\"\n"
                                      "threads = 1\n[optim]\nlr = 0.002\nwarmup_samples = 64\n"
                                      "[eval]\nevery_samples = 192\nzeroshot_size = 48\nretrieval_size = 40\n"
                                      "[checkpoint]\nevery_samples = 128\n");
  }

  /// `clipscale train` into results directory `name`, with `env` in front (e.g. a failpoint).
  CommandResult train(const std::string& name, const std::string& env = "", const std::string& launcher = "") {
    return run_command(
        env + " " + launcher +
        clipscale("train " + (dir_ / "run.toml").string() + " --set run.output_dir=" + (dir_ / name).string()));
  }

  fs::path run_dir(const std::string& name) const { return dir_ / name / "rt"; }

  std::string run_file(const std::string& name) const {
    for (const auto& entry : fs::directory_iterator(run_dir(name) / "runs"))
      if (entry.path().extension() == ".h5") return entry.path().string();
    return "";
  }

  std::string final_weights(const std::string& name) const {
    for (const auto& entry : fs::directory_iterator(run_dir(name) / "checkpoints"))
      return io::read_file((entry.path() / "final" / "model.safetensors").string());
    return "";
  }

  /// Weights, run-file rows and final metrics of run `name` equal those of run `reference`.
  void expect_same_run(const std::string& reference, const std::string& name) {
    EXPECT_TRUE(final_weights(reference) == final_weights(name)) << "final weights differ";
    const io::RunFile a = io::read_run_file(run_file(reference)), b = io::read_run_file(run_file(name));
    EXPECT_EQ(b.status, io::kRunStatusDone);
    ASSERT_EQ(a.train.size(), b.train.size()) << "no row missing or duplicated";
    for (size_t i = 0; i < a.train.size(); ++i) {
      EXPECT_EQ(a.train[i].step, b.train[i].step) << "row " << i;
      EXPECT_EQ(a.train[i].samples_seen, b.train[i].samples_seen) << "row " << i;
      EXPECT_EQ(a.train[i].loss, b.train[i].loss) << "row " << i;
      EXPECT_EQ(a.train[i].lr, b.train[i].lr) << "row " << i;
      EXPECT_EQ(a.train[i].logit_scale, b.train[i].logit_scale) << "row " << i;
    }
    EXPECT_EQ(a.eval_series, b.eval_series);
    for (const auto& [task, metrics] : a.eval_final)
      for (const auto& [metric, value] : metrics)
        if (!std::isnan(value)) {
          EXPECT_EQ(value, b.eval_final.at(task).at(metric)) << task << "/" << metric;
        }
  }

  ScratchDir scratch_;
  const fs::path dir_ = scratch_.path();
};

TEST_F(Resume, KilledAnywhereAndRestartedEndsBitIdentical) {
  ASSERT_EQ(train("whole").exit_code, 0);
  for (const std::string point : {"step:9", "step:17", "checkpoint_write:2", "run_file_flush:40"}) {
    SCOPED_TRACE(point);
    const std::string name = std::regex_replace(point, std::regex(":"), "_");
    const auto killed = train(name, "CLIPSCALE_FAILPOINT=" + point);
    EXPECT_NE(killed.exit_code, 0) << killed.output;
    const auto resumed = train(name);
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_NE(resumed.output.find("resuming from"), std::string::npos) << resumed.output;
    expect_same_run("whole", name);
  }
}

TEST_F(Resume, SignalsCheckpointMarkPreemptedAndExitWith75) {
  ASSERT_EQ(train("whole").exit_code, 0);
  for (const std::string signal : {"usr1", "term"}) {
    const auto stopped = train(signal, "CLIPSCALE_FAILPOINT=step:7:" + signal);
    EXPECT_EQ(stopped.exit_code, 75) << stopped.output;
    EXPECT_EQ(io::read_run_file(run_file(signal)).status, io::kRunStatusPreempted);
    EXPECT_TRUE(fs::exists(run_dir(signal) / "checkpoints" /
                           fs::directory_iterator(run_dir(signal) / "checkpoints")->path().filename() /
                           "step-000000007" / "DONE"))
        << "the step it stopped at is checkpointed";
    ASSERT_EQ(train(signal).exit_code, 0);
    expect_same_run("whole", signal);
  }
}

TEST_F(Resume, ATruncatedNewestCheckpointFallsBackToThePreviousOne) {
  ASSERT_EQ(train("whole").exit_code, 0);
  EXPECT_NE(train("cut", "CLIPSCALE_FAILPOINT=step:18").exit_code, 0);
  const fs::path checkpoints = fs::directory_iterator(run_dir("cut") / "checkpoints")->path();
  ASSERT_TRUE(fs::exists(checkpoints / "step-000000016" / "DONE"));
  ASSERT_TRUE(fs::exists(checkpoints / "step-000000012" / "DONE")) << "checkpoint.keep = 2";
  EXPECT_FALSE(fs::exists(checkpoints / "step-000000008")) << "older ones are pruned";
  fs::resize_file(checkpoints / "step-000000016" / "optimizer.safetensors", 1000);
  const auto resumed = train("cut");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("step-000000016 cannot be used"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("step-000000012: step 12"), std::string::npos) << resumed.output;
  expect_same_run("whole", "cut");
}

TEST_F(Resume, TwoMpiRanksKilledOrSignalledResumeBitIdentical) {
  if (run_command("command -v mpirun").exit_code != 0) GTEST_SKIP() << "mpirun not found";
  const std::string mpirun =
      "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -np 2 --oversubscribe ";
  ASSERT_EQ(train("whole2", "", mpirun).exit_code, 0);
  EXPECT_NE(train("kill2", "CLIPSCALE_FAILPOINT=step:11", mpirun).exit_code, 0);
  ASSERT_EQ(train("kill2", "", mpirun).exit_code, 0);
  expect_same_run("whole2", "kill2");
  const auto stopped = train("usr2", "CLIPSCALE_FAILPOINT=step:6:usr1", mpirun);
  EXPECT_EQ(stopped.exit_code, 75) << stopped.output;
  ASSERT_EQ(train("usr2", "", mpirun).exit_code, 0);
  expect_same_run("whole2", "usr2");
}

TEST_F(Resume, AFullDiskGivesAClearErrorAndLosesNothingWritten) {
  const fs::path small = dir_ / "small";
  fs::create_directories(small);
  // Room for the run file and one checkpoint (about 0.5 MB each), not for a second.
  if (::mount("tmpfs", small.c_str(), "tmpfs", 0, "size=1200k") != 0) GTEST_SKIP() << "cannot mount a tmpfs here";
  const auto r = train("small");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  std::smatch m;
  EXPECT_TRUE(std::regex_search(r.output, m, std::regex("cannot write checkpoint (\\S+step-(\\d+)): .*No space left")))
      << r.output;
  if (!m.empty()) {
    const int64_t failed_step = std::stoll(m[2].str());
    const fs::path checkpoints = fs::path(m[1].str()).parent_path();
    const io::RunFile run = io::read_run_file(run_file("small"));
    EXPECT_EQ(run.status, io::kRunStatusFailed);
    EXPECT_EQ(static_cast<int64_t>(run.train.size()), failed_step) << "every row up to the failure is kept";
    EXPECT_TRUE(fs::exists(
        checkpoints /
        ("step-" + std::string(9 - std::to_string(failed_step - 4).size(), '0') + std::to_string(failed_step - 4)) /
        "DONE"))
        << "the previous checkpoint is intact";
    for (const auto& entry : fs::directory_iterator(checkpoints))
      EXPECT_NE(entry.path().filename().string().front(), '.') << "no half-written checkpoint is left";
  }
  ::umount2(small.c_str(), MNT_DETACH);
}

}  // namespace
}  // namespace clipscale::testing
