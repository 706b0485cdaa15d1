#include "sweep/slurm_launcher.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/run_file.h"
#include "slurm_fakes.h"
#include "support/process.h"
#include "sweep/shell_quote.h"
#include "sweep_fixture.h"

namespace clipscale::sweep {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) { return testing::run_command("cat " + shell_quote(path)).output; }

class SlurmLauncherTest : public testing::SweepFixture {
 protected:
  // A sweep whose name and output folder would run `touch INJECTED` if a shell evaluated them.
  Plan plan(const std::string& axes =
                "[axes]\nrun.seed = [0, 1]\nlaunch.ranks_per_run = [1, 2]\n[zip]\nr = "
                "[\"run.seed\", \"launch.ranks_per_run\"]\n",
            const std::string& launch = "[launch]\nthreads_per_rank = 1\nmax_concurrent = 2\npartition = \"debug\"\n") {
    return plan_sweep(hostile_name_, axes + launch, out_dir_);
  }

  SlurmOptions options() const {
    SlurmOptions o;
    o.clipscale = fakes_.bin("clipscale");
    o.sweep_file = sweep_file_;
    o.workdir = scratch_.path().string();
    o.sbatch = fakes_.bin("sbatch");
    o.squeue = fakes_.bin("squeue");
    return o;
  }

  // Writes the runs list and the array script as submit_to_slurm does; returns the script.
  std::string write_array_script(const Plan& p) {
    const std::string script = scratch_.file("array.sbatch");
    fs::create_directories(p.layout.slurm_dir());
    testing::write_text(p.layout.slurm_runs_file(), runs_list_text(p));
    testing::write_text(script, render_array_script(p, options(), builtin_array_template(), "array.sbatch.in"));
    return script;
  }

  // Runs the array script as array task `task` of job 42 with the fakes.
  testing::CommandResult run_task(const Plan& p, int task, const std::string& mode) {
    const std::string script = write_array_script(p);
    return testing::run_command(in_scratch_ + fakes_.env(mode) + "SLURM_ARRAY_JOB_ID=42 SLURM_ARRAY_TASK_ID=" +
                                std::to_string(task) + " bash " + shell_quote(script));
  }

  // Starts array task 0 in the background, waits until training runs, then sends the batch
  // shell `signal` (as `--signal=B:USR1@N`, preemption or `scancel --signal=USR1 --batch` do for
  // USR1; scontrol requeue, preemption, scancel or the time limit for TERM). Returns the output
  // with "rc=<the task's exit code>".
  std::string signal_task(const Plan& p, const std::string& signal) {
    const std::string script = write_array_script(p);
    const std::string driver = "started=" + shell_quote(fakes_.file("started")) + "; (bash " + shell_quote(script) +
                               " & pid=$!; while [ ! -e \"$started\" ]; do sleep 0.05; done; sleep 0.2; kill -" +
                               signal + " $pid; wait $pid; echo \"rc=$?\")";
    return testing::run_command(in_scratch_ + "export " + fakes_.env("wait-usr1") +
                                "SLURM_ARRAY_JOB_ID=42 SLURM_ARRAY_TASK_ID=0; " + driver)
        .output;
  }

  std::vector<std::string> expected_train_args(const Plan& p, size_t index) const {
    std::vector<std::string> args = {"train", base_};
    for (const std::string& v : p.train_overrides(p.runs[index])) {
      args.push_back("--set");
      args.push_back(v);
    }
    return args;
  }

  testing::SlurmFakes fakes_{scratch_.path() / "fakes"};
  const std::string injected_ = scratch_.file("INJECTED");
  // (A sweep name can't hold '/': it is a folder. The commands below run in the scratch folder.)
  const std::string hostile_name_ = "q'uote \"dq\" $(touch INJECTED) `touch INJECTED`; touch INJECTED %d";
  const std::string in_scratch_ = "cd " + shell_quote(scratch_.path().string()) + " && ";
  const std::string out_dir_ = scratch_.file("out dir $(touch " + injected_ + ") 'x'");
};

TEST_F(SlurmLauncherTest, RunsListHasOneTabSeparatedLinePerRun) {
  const Plan p = plan();
  const std::string text = runs_list_text(p);
  std::string expected = "1\t" + p.runs[1].resolved.run_id + "\t2\t1";
  for (const std::string& v : p.train_overrides(p.runs[1])) expected += "\t" + v;
  EXPECT_NE(text.find("\n" + expected + "\n"), std::string::npos) << text;
  EXPECT_EQ(text.rfind("# index\trun_id", 0), 0u);
}

TEST_F(SlurmLauncherTest, TabsAndLineBreaksInValuesAreEscaped) {
  const Plan p = plan("[axes]\ndata.variant = [\"a\\tb\\nc\"]\n");
  EXPECT_NE(runs_list_text(p).find("\tdata.variant=\"a\\tb\\nc\"\t"), std::string::npos) << runs_list_text(p);
}

TEST_F(SlurmLauncherTest, ArrayScriptIsValidBash) {
  const std::string script = scratch_.file("check.sbatch");
  testing::write_text(script, render_array_script(plan(), options(), builtin_array_template(), "array.sbatch.in"));
  const auto r = testing::run_command("bash -n " + shell_quote(script));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(SlurmLauncherTest, TaskRunsTrainWithItsValuesIntactAndNothingInjected) {
  const Plan p = plan();
  const auto r = run_task(p, 0, "ok");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::string> expected = expected_train_args(p, 0);
  EXPECT_EQ(fakes_.recorded_args("args.0"), expected);
  const std::string log = slurp(p.layout.log_file(p.runs[0].resolved.run_id));
  EXPECT_NE(log.find("array task 42_0 (restart 0) starts run " + p.runs[0].resolved.run_id + " on 1 rank(s)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("training ok"), std::string::npos) << log;
  EXPECT_NE(log.find("ended: exit 0"), std::string::npos) << log;
  EXPECT_EQ(fakes_.read("scontrol.log"), "") << "a finished run is not requeued";
  EXPECT_FALSE(fs::exists(injected_)) << "a value reached a shell unquoted";
}

TEST_F(SlurmLauncherTest, MultiRankRunsGoThroughSrunWithPmix) {
  const Plan p = plan();
  const auto r = run_task(p, 1, "ok");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const std::vector<std::string> srun = fakes_.recorded_args("srun.args");
  ASSERT_GE(srun.size(), 3u);
  EXPECT_EQ(srun[0], "--mpi=pmix");
  EXPECT_EQ(srun[1], "--ntasks=2");
  EXPECT_EQ(srun[2], fakes_.bin("clipscale"));
  EXPECT_EQ(fakes_.recorded_args("args.1"), expected_train_args(p, 1));
  EXPECT_FALSE(fs::exists(injected_));
}

TEST_F(SlurmLauncherTest, ExitCode75RequeuesTheTask) {
  const auto r = run_task(plan(), 1, "preempted");
  EXPECT_EQ(r.exit_code, 75) << r.output;
  EXPECT_EQ(fakes_.read("scontrol.log"), "requeue 42_1\n");
}

// Starts array task 0 in the background, waits until training runs, then sends the batch shell
// `signal` (as `--signal=B:USR1@N`, a preemption or `scancel --signal=USR1 --batch` do for USR1,
// and scontrol requeue, preemption, scancel or the time limit for TERM). Returns the output with
// "rc=<exit code of the task>".
TEST_F(SlurmLauncherTest, Usr1IsForwardedToTheRunWhichCheckpointsAndTheTaskRequeues) {
  const Plan p = plan();
  const std::string out = signal_task(p, "USR1");
  EXPECT_NE(out.find("rc=75"), std::string::npos) << out;
  EXPECT_EQ(fakes_.read("scontrol.log"), "requeue 42_0\n");
  const std::string log = slurp(p.layout.log_file(p.runs[0].resolved.run_id));
  EXPECT_NE(log.find("got SIGUSR1, forwarding it to the run"), std::string::npos) << log;
  EXPECT_NE(log.find("checkpointed"), std::string::npos) << log;
  EXPECT_NE(log.find("ended: exit 75 (preempted); requeueing 42_0"), std::string::npos) << log;
}

TEST_F(SlurmLauncherTest, TermIsForwardedButSlurmDecidesWhetherTheTaskComesBack) {
  const Plan p = plan();
  const std::string out = signal_task(p, "TERM");
  EXPECT_NE(out.find("rc=75"), std::string::npos) << out;
  EXPECT_EQ(fakes_.read("scontrol.log"), "") << "scancel must be able to stop a sweep";
  const std::string log = slurp(p.layout.log_file(p.runs[0].resolved.run_id));
  EXPECT_NE(log.find("got SIGTERM, forwarding it to the run"), std::string::npos) << log;
  EXPECT_NE(log.find("checkpointed"), std::string::npos) << log;
  EXPECT_NE(log.find("ended: exit 75 (stopped by SLURM)"), std::string::npos) << log;
}

TEST_F(SlurmLauncherTest, FailedRunsAreRetriedUpToMaxRetriesButUserErrorsAreNot) {
  const Plan p = plan();
  EXPECT_EQ(run_task(p, 0, "fail").exit_code, 1);
  EXPECT_EQ(fakes_.read("scontrol.log"), "requeue 42_0\n") << "first failure: retry 1 of 1";
  EXPECT_EQ(run_task(p, 0, "fail").exit_code, 1);
  EXPECT_EQ(fakes_.read("scontrol.log"), "requeue 42_0\n") << "second failure: no retries left";
  EXPECT_EQ(run_task(p, 1, "user").exit_code, 2);
  EXPECT_EQ(fakes_.read("scontrol.log"), "requeue 42_0\n") << "a user error is not retried";
}

TEST_F(SlurmLauncherTest, SubmitsOneArrayPerLaunchShapeAndACollectJobAfterThem) {
  const Plan p = plan(
      "[axes]\nrun.seed = [0, 1, 2]\nlaunch.ranks_per_run = [1, 2, 1]\n[zip]\nr = [\"run.seed\", "
      "\"launch.ranks_per_run\"]\n");
  // Run 2 is done already: it is not submitted.
  {
    io::RunHeader header;
    header.run_id = p.runs[2].resolved.run_id;
    io::RunWriter writer(p.layout.run_file(header.run_id), header, {});
    writer.finish(io::kRunStatusDone, {});
  }
  const SlurmSubmission s = submit_to_slurm(p, options());
  ASSERT_EQ(s.arrays.size(), 2u);
  EXPECT_EQ(s.already_done, 1u);
  EXPECT_EQ(s.arrays[0].job_id, "101");
  EXPECT_EQ(s.arrays[0].indices, std::vector<int64_t>{0});
  EXPECT_EQ(s.arrays[1].job_id, "102");
  EXPECT_EQ(s.arrays[1].indices, std::vector<int64_t>{1});
  EXPECT_EQ(s.collect_job_id, "103");

  const std::string slurm_dir = p.layout.slurm_dir();
  std::string escaped = slurm_dir;
  for (size_t at = 0; (at = escaped.find('%', at)) != std::string::npos; at += 2) escaped.insert(at, "%");
  EXPECT_EQ(fakes_.recorded_args("sbatch.102"),
            (std::vector<std::string>{"--parsable", "--job-name=" + hostile_name_, "--array=1%2", "--ntasks=2",
                                      "--cpus-per-task=1", "--output=" + escaped + "/%A_%a.out", "--open-mode=append",
                                      "--requeue", "--signal=B:USR1@120", "--chdir=" + scratch_.path().string(),
                                      "--partition=debug", slurm_dir + "/array.sbatch"}));
  const std::vector<std::string> collect = fakes_.recorded_args("sbatch.103");
  ASSERT_GE(collect.size(), 4u);
  EXPECT_EQ(collect[2], "--dependency=afterany:101:102");
  EXPECT_EQ(collect.back(), slurm_dir + "/collect.sbatch");
  EXPECT_EQ(slurp(p.layout.slurm_jobs_file()), "array\t101\t0\narray\t102\t1\ncollect\t103\n");

  // The collect script runs `clipscale sweep collect` with the sweep file and output folder.
  const auto r =
      testing::run_command(in_scratch_ + fakes_.env("ok") + "bash " + shell_quote(slurm_dir + "/collect.sbatch"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(fakes_.recorded_args("args.local"),
            (std::vector<std::string>{"sweep", "collect", scratch_.file("sweep.toml"), "--output-dir", out_dir_}));
  EXPECT_FALSE(fs::exists(injected_));
}

TEST_F(SlurmLauncherTest, RefusesWhileAnEarlierSubmissionIsQueued) {
  const Plan p = plan();
  submit_to_slurm(p, options());
  testing::write_text(fakes_.file("squeue.out"), "101_1|RUNNING|None\n");
  try {
    submit_to_slurm(p, options());
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("is still in the SLURM queue (array job 101,102"), std::string::npos)
        << e.what();
  }
}

TEST_F(SlurmLauncherTest, NeedsThreadsPerRank) {
  EXPECT_THROW(submit_to_slurm(plan("", "[launch]\nthreads_per_rank = 0\n"), options()), core::UserError);
}

}  // namespace
}  // namespace clipscale::sweep
