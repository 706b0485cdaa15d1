// The sweep on a real SLURM controller (label slurm): a 4-run sweep (one run on 2 ranks) is
// submitted as job arrays to a one-node cluster on this machine; one task is requeued mid-run
// with `scontrol requeue`, another gets USR1 like a time-limit or preemption notice; all four
// must end done, the collect job must write sweep.h5, and its metrics must equal those of the
// same sweep run by the local launcher. The sweep's name and results folders hold quotes, $(...)
// and spaces, which must reach no shell.
//
// The cluster: one that answers `sinfo` already (SLURM_CONF, as .ci/run exports it, or
// slurm/local's default folder) is used and left running; otherwise slurm/local/start.sh starts
// one for the suite and slurm/local/stop.sh stops it. Where that is impossible (not root, no
// slurm-wlm) the tests are skipped with the reason.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include "io/run_file.h"
#include "io/sweep_file.h"
#include "support/process.h"
#include "support/scratch_dir.h"
#include "support/tiny_model_json.h"

namespace clipscale::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDefaultConf = "/tmp/slurm-local/etc/slurm.conf";

// '...' quoting for the test's own command lines.
std::string q(const std::string& text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class SlurmSweep : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const char* conf = std::getenv("SLURM_CONF");
    if (conf != nullptr && run_command("sinfo -h -o %T").exit_code == 0) return;
    if (fs::exists(kDefaultConf) &&
        run_command(std::string("SLURM_CONF=") + kDefaultConf + " sinfo -h -o %T").exit_code == 0) {
      ::setenv("SLURM_CONF", kDefaultConf, 1);
      return;
    }
    const CommandResult r = run_command("bash " + q(std::string(CLIPSCALE_SOURCE_DIR) + "/slurm/local/start.sh"));
    std::smatch m;
    if (r.exit_code != 0 || !std::regex_search(r.output, m, std::regex("export SLURM_CONF=(\\S+)"))) {
      skip_reason_ =
          "no SLURM cluster: slurm/local/start.sh failed (exit " + std::to_string(r.exit_code) + "): " + r.output;
      return;
    }
    ::setenv("SLURM_CONF", m[1].str().c_str(), 1);
    started_ = true;
  }
  static void TearDownTestSuite() {
    if (started_) run_command("bash " + q(std::string(CLIPSCALE_SOURCE_DIR) + "/slurm/local/stop.sh"));
  }
  void SetUp() override {
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
  }

  static std::string skip_reason_;
  static bool started_;
};

std::string SlurmSweep::skip_reason_;
bool SlurmSweep::started_ = false;

// The run file's status and last logged samples, or "" when it can't be read (yet).
std::string run_status(const std::string& path, int64_t* samples = nullptr) {
  if (!fs::exists(path)) return "";
  try {
    const io::RunFile f = io::read_run_file(path);
    if (samples != nullptr) *samples = f.train.empty() ? 0 : f.train.back().samples_seen;
    return f.status;
  } catch (const std::exception&) {
    return "";
  }
}

std::string slurp(const std::string& path) { return run_command("cat " + q(path)).output; }

TEST_F(SlurmSweep, RequeuedAndSignalledTasksResumeAndMatchTheLocalLauncher) {
  const auto t0 = std::chrono::steady_clock::now();
  ScratchDir scratch;
  const fs::path dir = scratch.path();
  write_text(dir / "tiny.json", kTinyModelJson);
  write_text(dir / "base.toml", "[model]\nconfig = \"" + (dir / "tiny.json").string() +
                                    "\"\n[data]\ndata_size = 2000\nvocab_corpus = 2000\n"
                                    "[train]\nsamples_seen = 9600\nglobal_batch_size = 32\nlog_every_steps = 1\n"
                                    "[eval]\nzeroshot_size = 48\nretrieval_size = 40\n");
  // A name that runs `touch INJECTED` in the job's folder if any shell evaluates it.
  write_text(dir / "sweep.toml", "[sweep]\nname = \"it's $(touch INJECTED) `touch INJECTED`; x\"\nbase = \"" +
                                     (dir / "base.toml").string() +
                                     "\"\n[axes]\nrun.seed = [0, 1, 2, 3]\nlaunch.ranks_per_run = [1, 1, 1, 2]\n"
                                     "[zip]\nruns = [\"run.seed\", \"launch.ranks_per_run\"]\n"
                                     "[launch]\nthreads_per_rank = 1\nconcurrency = 2\nmax_concurrent = 2\n");
  const std::string sweep = (dir / "sweep.toml").string();
  const std::string local_dir = (dir / "local results").string();
  const std::string slurm_dir = (dir / "slurm results $(touch INJECTED) 'q'").string();
  const std::string in_dir = "cd " + q(dir.string()) + " && ";

  // 1. The reference: the same sweep with the local launcher.
  const CommandResult local =
      run_command(in_dir + clipscale("sweep run " + q(sweep) + " --output-dir " + q(local_dir)));
  ASSERT_EQ(local.exit_code, 0) << local.output;
  const double local_seconds = seconds_since(t0);

  // 2. Submit to SLURM: one array for the 1-rank runs, one for the 2-rank run, a collect job.
  const CommandResult submit =
      run_command(in_dir + clipscale("sweep run " + q(sweep) + " --launcher slurm --output-dir " + q(slurm_dir)));
  ASSERT_EQ(submit.exit_code, 0) << submit.output;
  std::vector<std::string> arrays;
  const std::regex array_line("submitted array job (\\d+) \\((\\d+) runs\\)");
  for (std::sregex_iterator it(submit.output.begin(), submit.output.end(), array_line), end; it != end; ++it)
    arrays.push_back((*it)[1].str());
  ASSERT_EQ(arrays.size(), 2u) << submit.output;

  const CommandResult plan = run_command(clipscale("sweep plan " + q(sweep) + " --json --output-dir " + q(slurm_dir)));
  ASSERT_EQ(plan.exit_code, 0) << plan.output;
  std::vector<std::string> ids;
  const std::regex id_line("\"run_id\": \"([^\"]+)\"");
  for (std::sregex_iterator it(plan.output.begin(), plan.output.end(), id_line), end; it != end; ++it)
    ids.push_back((*it)[1].str());
  ASSERT_EQ(ids.size(), 4u);
  const std::string root = slurm_dir + "/it's $(touch INJECTED) `touch INJECTED`; x";
  const auto run_file = [&](size_t i) { return root + "/runs/" + ids[i] + ".h5"; };

  // 3. Mid-run: requeue run 0 (array task <A>_0) and send USR1 to run 3's batch shell (<B>_3, 2 ranks).
  bool requeued = false, signalled = false;
  std::string status_mid;
  while (seconds_since(t0) < 240) {
    int64_t samples = 0;
    if (!requeued && run_status(run_file(0), &samples) == io::kRunStatusRunning && samples > 0) {
      const CommandResult r = run_command("scontrol requeue " + arrays[0] + "_0");
      ASSERT_EQ(r.exit_code, 0) << r.output;
      requeued = true;
    }
    if (!signalled && run_status(run_file(3), &samples) == io::kRunStatusRunning && samples > 0) {
      const CommandResult r = run_command("scancel --batch --signal=USR1 " + arrays[1] + "_3");
      ASSERT_EQ(r.exit_code, 0) << r.output;
      signalled = true;
      status_mid = run_command(clipscale("sweep status " + q(sweep) + " --output-dir " + q(slurm_dir))).output;
    }
    size_t done = 0;
    for (size_t i = 0; i < 4; ++i) done += run_status(run_file(i)) == io::kRunStatusDone ? 1 : 0;
    if (done == 4) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(requeued && signalled) << "runs 0 and 3 were never seen mid-run";
  for (size_t i = 0; i < 4; ++i)
    ASSERT_EQ(run_status(run_file(i)), io::kRunStatusDone) << "run " << i << " log:\n"
                                                           << slurp(root + "/logs/" + ids[i] + ".log");
  EXPECT_NE(status_mid.find("SLURM array jobs " + arrays[0] + ", " + arrays[1]), std::string::npos) << status_mid;

  // Each interrupted run was started again by SLURM (restart 1) after its interruption.
  // (scontrol requeue sends TERM: the run checkpoints and SLURM itself requeues the task.)
  const std::string log0 = slurp(root + "/logs/" + ids[0] + ".log");
  EXPECT_NE(log0.find("got SIGTERM, forwarding it to the run"), std::string::npos) << log0;
  EXPECT_NE(log0.find("array task " + arrays[0] + "_0 (restart 1) starts run"), std::string::npos) << log0;
  const std::string log3 = slurp(root + "/logs/" + ids[3] + ".log");
  EXPECT_NE(log3.find("got SIGUSR1, forwarding it to the run"), std::string::npos) << log3;
  EXPECT_NE(log3.find("(preempted); requeueing " + arrays[1] + "_3"), std::string::npos) << log3;
  EXPECT_NE(log3.find("array task " + arrays[1] + "_3 (restart 1) starts run " + ids[3] + " on 2 rank(s)"),
            std::string::npos)
      << log3;

  // 4. The collect job runs once both arrays have ended.
  const std::string sweep_h5 = root + "/sweep.h5";
  while (!fs::exists(sweep_h5) && seconds_since(t0) < 300) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(fs::exists(sweep_h5)) << slurp(root + "/slurm/collect-" + std::to_string(std::stoi(arrays[1]) + 1) +
                                             ".out");
  const CommandResult status = run_command(clipscale("sweep status " + q(sweep) + " --output-dir " + q(slurm_dir)));
  EXPECT_NE(status.output.find("4 runs: 4 done"), std::string::npos) << status.output;

  // 5. Same rows, same metrics as the local launcher's.
  ASSERT_EQ(run_command(clipscale("sweep collect " + q(sweep) + " --output-dir " + q(local_dir))).exit_code, 0);
  const io::SweepFile a = io::read_sweep_file(local_dir + "/it's $(touch INJECTED) `touch INJECTED`; x/sweep.h5");
  const io::SweepFile b = io::read_sweep_file(sweep_h5);
  ASSERT_EQ(b.runs.rows(), 4u);
  EXPECT_EQ(b.runs.strings("run_id"), a.runs.strings("run_id"));
  EXPECT_EQ(b.runs.strings("status"), (std::vector<std::string>(4, "done")));
  EXPECT_EQ(b.runs.numbers("world_size"), (std::vector<double>{1, 1, 1, 2}));
  size_t metrics = 0;
  for (const io::Column& column : a.runs.columns()) {
    if (column.name.find('/') == std::string::npos && column.name != "samples_seen") continue;
    ASSERT_TRUE(b.runs.has(column.name)) << column.name;
    EXPECT_EQ(b.runs.numbers(column.name), a.runs.numbers(column.name)) << column.name;
    ++metrics;
  }
  EXPECT_GE(metrics, 10u);
  EXPECT_FALSE(fs::exists(dir / "INJECTED")) << "a name reached a shell unquoted";
  EXPECT_FALSE(fs::exists("INJECTED"));
  std::printf("[ timing ] local launcher %.1f s; whole test %.1f s\n", local_seconds, seconds_since(t0));
}

}  // namespace
}  // namespace clipscale::testing
