#include "sweep/local_launcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "io/run_file.h"
#include "slurm_fakes.h"
#include "support/process.h"
#include "sweep/shell_quote.h"
#include "sweep_fixture.h"

namespace clipscale::sweep {
namespace {

namespace fs = std::filesystem;

class LocalLauncherTest : public testing::SweepFixture {
 protected:
  void TearDown() override { ::unsetenv("FAKE_MODE"); }

  Plan plan(int runs, const std::string& launch = "[launch]\nconcurrency = 2\n") {
    std::string seeds;
    for (int i = 0; i < runs; ++i) seeds += (i ? ", " : "") + std::to_string(i);
    return plan_sweep("local", "[axes]\nrun.seed = [" + seeds + "]\n" + launch);
  }

  LocalReport launch(const Plan& p, const std::string& mode) {
    ::setenv("FAKE_MODE", mode.c_str(), 1);
    LocalOptions o;
    o.clipscale = fakes_.bin("clipscale");
    o.concurrency = p.spec.launch.concurrency;
    o.max_retries = p.spec.launch.max_retries;
    o.progress = &progress_;
    return run_local(p, o);
  }

  std::vector<std::string> attempts(const RunOutcome& r) {
    std::vector<std::string> out;
    for (const ExitStatus& e : r.attempts) out.push_back(e.describe());
    return out;
  }

  testing::SlurmFakes fakes_{scratch_.path() / "fakes"};
  std::ostringstream progress_;
};

TEST_F(LocalLauncherTest, RunsEveryRunAsTrainWithItsOverrides) {
  const Plan p = plan(3);
  const LocalReport report = launch(p, "ok");
  EXPECT_FALSE(report.interrupted);
  EXPECT_EQ(report.count(RunState::kDone), 3u);
  for (const RunOutcome& r : report.runs) EXPECT_EQ(attempts(r), std::vector<std::string>{"exit 0"});
  // The last run started was run 2: the fake recorded its arguments.
  std::vector<std::string> expected = {"train", base_};
  for (const std::string& v : p.train_overrides(p.runs[2])) {
    expected.push_back("--set");
    expected.push_back(v);
  }
  EXPECT_EQ(fakes_.recorded_args("args.local"), expected);
  const std::string log =
      testing::run_command("cat " + shell_quote(p.layout.log_file(p.runs[2].resolved.run_id))).output;
  EXPECT_NE(log.find("clipscale sweep: attempt 1 of run " + p.runs[2].resolved.run_id + " starts: "), std::string::npos)
      << log;
  EXPECT_NE(log.find("training ok"), std::string::npos) << log;
  EXPECT_NE(log.find("ended: exit 0"), std::string::npos) << log;
  EXPECT_NE(progress_.str().find("done  " + p.runs[0].resolved.run_id), std::string::npos) << progress_.str();
  EXPECT_NE(progress_.str().find("3 to run, 2 at once"), std::string::npos) << progress_.str();
  EXPECT_NE(format_local_report(p, report).find("local: 3 done, 0 failed"), std::string::npos);
}

TEST_F(LocalLauncherTest, RetriesFailuresRequeuesPreemptionsAndReportsEveryExitCode) {
  const Plan p = plan(4);
  testing::write_text(fakes_.file("modes.0"), "fail\nok\n");
  testing::write_text(fakes_.file("modes.1"), "fail\nfail\nok\n");
  testing::write_text(fakes_.file("modes.2"), "user\nok\n");
  testing::write_text(fakes_.file("modes.3"), "preempted\nok\n");
  const LocalReport report = launch(p, "sequence");
  EXPECT_EQ(attempts(report.runs[0]), (std::vector<std::string>{"exit 1", "exit 0"}));
  EXPECT_EQ(report.runs[0].state, RunState::kDone);
  EXPECT_EQ(attempts(report.runs[1]), (std::vector<std::string>{"exit 1", "exit 1"})) << "max_retries = 1";
  EXPECT_EQ(report.runs[1].state, RunState::kFailed);
  EXPECT_EQ(attempts(report.runs[2]), std::vector<std::string>{"exit 2 (user error)"}) << "a user error is final";
  EXPECT_EQ(report.runs[2].state, RunState::kFailed);
  EXPECT_EQ(attempts(report.runs[3]), (std::vector<std::string>{"exit 75 (preempted)", "exit 0"}));
  EXPECT_EQ(report.runs[3].state, RunState::kDone);
  EXPECT_NE(progress_.str().find("FAILED " + p.runs[1].resolved.run_id + " (exit 1)"), std::string::npos)
      << progress_.str();
  EXPECT_NE(progress_.str().find("error: the loss diverged"), std::string::npos) << "the log's last lines";
  const std::string summary = format_local_report(p, report);
  EXPECT_NE(summary.find(p.runs[1].resolved.run_id + "  failed     exit 1, exit 1"), std::string::npos) << summary;
  EXPECT_NE(summary.find("local: 2 done, 2 failed"), std::string::npos) << summary;
}

TEST_F(LocalLauncherTest, SkipsRunsThatAreDone) {
  const Plan p = plan(2);
  io::RunHeader header;
  header.run_id = p.runs[0].resolved.run_id;
  io::RunWriter(p.layout.run_file(header.run_id), header, {}).finish(io::kRunStatusDone, {});
  const LocalReport report = launch(p, "ok");
  EXPECT_TRUE(report.runs[0].was_done);
  EXPECT_TRUE(report.runs[0].attempts.empty());
  EXPECT_EQ(attempts(report.runs[1]), std::vector<std::string>{"exit 0"});
  EXPECT_NE(format_local_report(p, report).find("already done"), std::string::npos);
}

TEST_F(LocalLauncherTest, ASignalStopsTheLaunchAndTheRunsCheckpoint) {
  const Plan p = plan(3, "[launch]\nconcurrency = 2\n");
  // Once training runs, the launcher gets SIGTERM (as from `kill` or a scheduler).
  std::thread signaller([this] {
    for (int i = 0; i < 200 && !fs::exists(fakes_.file("started")); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(::getpid(), SIGTERM);
  });
  const LocalReport report = launch(p, "wait-usr1");
  signaller.join();
  EXPECT_TRUE(report.interrupted);
  EXPECT_EQ(report.count(RunState::kPreempted), 2u) << "the two running runs got USR1 and exited 75";
  EXPECT_EQ(report.runs[2].state, RunState::kPending) << "the third never started";
  EXPECT_EQ(attempts(report.runs[0]), std::vector<std::string>{"exit 75 (preempted)"});
  EXPECT_LT(report.seconds, 8.0) << "the runs stopped early instead of sleeping to the end";
  const std::string log =
      testing::run_command("cat " + shell_quote(p.layout.log_file(p.runs[0].resolved.run_id))).output;
  EXPECT_NE(log.find("checkpointed"), std::string::npos) << log;
}

TEST_F(LocalLauncherTest, MultiRankRunsGoThroughMpirun) {
  const Plan p = plan(1, "[launch]\nranks_per_run = 2\nthreads_per_rank = 1\n");
  LocalOptions o;
  o.clipscale = "/opt/clipscale";
  o.mpirun = "mpirun";
  const std::vector<std::string> argv = local_train_argv(p, p.runs[0], o);
  std::vector<std::string> head(argv.begin(), argv.begin() + 6);
  EXPECT_EQ(head, (std::vector<std::string>{"mpirun", "-np", "2", "--oversubscribe", "--bind-to", "none"}));
  EXPECT_EQ(std::count(argv.begin(), argv.end(), "/opt/clipscale"), 1);
  EXPECT_EQ(argv.back(), "run.output_dir=\"" + scratch_.file("results") + "\"");
}

TEST_F(LocalLauncherTest, AMissingBinaryStopsBeforeAnythingStarts) {
  const Plan p = plan(1);
  LocalOptions o;
  o.clipscale = scratch_.file("no-such-clipscale");
  EXPECT_THROW(run_local(p, o), core::UserError);
  o.clipscale = fakes_.bin("clipscale");
  o.mpirun = "no-such-mpirun";
  EXPECT_THROW(run_local(plan(1, "[launch]\nranks_per_run = 2\n"), o), core::UserError);
}

}  // namespace
}  // namespace clipscale::sweep
