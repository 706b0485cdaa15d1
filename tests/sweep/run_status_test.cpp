#include "sweep/run_status.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "slurm_fakes.h"
#include "support/process.h"
#include "sweep_fixture.h"
#include "sweep_runs.h"

namespace clipscale::sweep {
namespace {

class RunStatusTest : public testing::SweepFixture {
 protected:
  StatusOptions options() const {
    StatusOptions o;
    o.squeue = fakes_.bin("squeue");
    return o;
  }
  const std::string& id(size_t i) const { return plan_.runs[i].resolved.run_id; }

  testing::SlurmFakes fakes_{scratch_.path() / "fakes"};
  const Plan plan_ = plan_sweep("st", "[axes]\nrun.seed = [0, 1, 2, 3, 4]\n");
};

TEST_F(RunStatusTest, StatesComeFromTheRunFiles) {
  testing::write_run_file(plan_, plan_.runs[0], io::kRunStatusDone);
  testing::write_run_file(plan_, plan_.runs[1], io::kRunStatusFailed);
  testing::write_run_file(plan_, plan_.runs[2], io::kRunStatusPreempted);
  const auto live = testing::write_run_file(plan_, plan_.runs[3], io::kRunStatusRunning, 4, 100, 0.5, 2);
  testing::write_text(plan_.layout.log_file(id(1)), "step 1/4 | loss 2.0\n\nerror: the loss diverged at step 3\n");
  const SweepStatus s = sweep_status(plan_, options());
  ASSERT_EQ(s.runs.size(), 5u);
  EXPECT_EQ(s.runs[0].state, RunState::kDone);
  EXPECT_EQ(s.runs[1].state, RunState::kFailed);
  EXPECT_EQ(s.runs[1].message, "step 1/4 | loss 2.0\nerror: the loss diverged at step 3");
  EXPECT_EQ(s.runs[2].state, RunState::kPreempted);
  EXPECT_EQ(s.runs[3].state, RunState::kRunning);
  EXPECT_EQ(s.runs[3].progress.samples_seen, 32);
  EXPECT_EQ(s.runs[3].progress.samples_target, 64);
  EXPECT_EQ(s.runs[4].state, RunState::kPending);
  EXPECT_FALSE(s.slurm.has_value());
  const std::string text = format_status(plan_, s);
  EXPECT_NE(text.find("5 runs: 1 done, 1 running, 1 preempted, 1 failed, 1 pending"), std::string::npos) << text;
  EXPECT_NE(text.find("failed: " + id(1)), std::string::npos) << text;
  EXPECT_NE(text.find("    error: the loss diverged at step 3"), std::string::npos) << text;
  EXPECT_NE(text.find("32/64"), std::string::npos) << text;
}

TEST_F(RunStatusTest, SqueueRefinesTheStatesOfSubmittedRuns) {
  testing::write_run_file(plan_, plan_.runs[0], io::kRunStatusDone);
  const auto live = testing::write_run_file(plan_, plan_.runs[1], io::kRunStatusRunning);
  testing::write_run_file(plan_, plan_.runs[2], io::kRunStatusPreempted);
  testing::write_text(plan_.layout.slurm_jobs_file(), "array\t7\t0-4\ncollect\t8\n");
  std::string runs = "# index\trun_id\n";
  for (size_t i = 0; i < 5; ++i)
    runs += std::to_string(i) + "\t" + id(i) + "\t1\t1\trun.seed=" + std::to_string(i) + "\n";
  testing::write_text(plan_.layout.slurm_runs_file(), runs);
  // Run 1 was requeued (its file still says running), run 2 waits to resume, run 3 runs (no
  // file yet), run 4 waits for a free slot.
  testing::write_text(fakes_.file("squeue.out"),
                      "7_1|PENDING|BeginTime\n7_2|PENDING|Priority\n7_3|RUNNING|None\n7_[4]|PENDING|JobArrayTaskLimit\n"
                      "8|PENDING|Dependency\n");
  const SweepStatus s = sweep_status(plan_, options());
  EXPECT_EQ(s.runs[0].state, RunState::kDone);
  EXPECT_EQ(s.runs[1].state, RunState::kPreempted);
  EXPECT_EQ(s.runs[1].slurm->reason, "BeginTime");
  EXPECT_EQ(s.runs[2].state, RunState::kPreempted);
  EXPECT_EQ(s.runs[3].state, RunState::kRunning);
  EXPECT_EQ(s.runs[4].state, RunState::kPending);
  EXPECT_EQ(s.runs[4].slurm->reason, "JobArrayTaskLimit");
  ASSERT_TRUE(s.slurm.has_value());
  EXPECT_EQ(s.slurm->collect_job_id, "8");
  const std::string text = format_status(plan_, s);
  EXPECT_NE(text.find("SLURM array job 7, collect job 8"), std::string::npos) << text;
  EXPECT_NE(text.find("PENDING (JobArrayTaskLimit)"), std::string::npos) << text;

  const auto json = nlohmann::json::parse(format_status_json(plan_, s));
  EXPECT_EQ(json["counts"]["preempted"], 2);
  EXPECT_EQ(json["runs"][3]["slurm_state"], "RUNNING");
  EXPECT_EQ(json["runs"][3]["axes"]["run.seed"], 3);
  EXPECT_EQ(json["slurm_jobs"], nlohmann::json::array({"7"}));

  // Without asking squeue, the files alone decide.
  StatusOptions quiet = options();
  quiet.query_slurm = false;
  EXPECT_EQ(sweep_status(plan_, quiet).runs[3].state, RunState::kPending);
}

TEST_F(RunStatusTest, AnUnreadableRunFileIsAFailureWithTheReason) {
  testing::write_text(plan_.layout.run_file(id(0)), "not hdf5");
  const SweepStatus s = sweep_status(plan_, options());
  EXPECT_EQ(s.runs[0].state, RunState::kFailed);
  EXPECT_NE(s.runs[0].message.find(id(0)), std::string::npos) << s.runs[0].message;
}

}  // namespace
}  // namespace clipscale::sweep
