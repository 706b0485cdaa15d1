// `clipscale sweep run --launcher local`: runs a plan's pending runs on this machine, a chosen
// number at once, each as a child process `clipscale train BASE --set ...` (under `mpirun -np R`
// for R ranks), started with posix_spawn, never through a shell.
//
//  * Runs whose run file says done are skipped; each run's output is appended to
//    logs/<run_id>.log, with a launcher line before and after every attempt.
//  * A run that exits 75 (preempted: it checkpointed after a signal) is requeued at the front
//    and resumes from its checkpoint; one that fails otherwise is retried up to max_retries
//    times, except a user error (exit 2), which would only fail again.
//  * SIGINT, SIGTERM, SIGUSR1 or SIGHUP to the launcher: no new runs start, the running ones
//    get SIGUSR1 (they checkpoint and exit 75), and the launcher returns once they have
//    stopped. A second signal kills them.
//  * Progress: a line per start and end, and a progress bar with an ETA from the throughput
//    measured in finished run files.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "sweep/plan.h"
#include "sweep/process.h"
#include "sweep/run_status.h"

namespace clipscale::sweep {

struct LocalOptions {
  std::string clipscale;             ///< the clipscale binary the runs use
  std::string mpirun = "mpirun";     ///< for runs with more than one rank
  int64_t concurrency = 1;           ///< runs at once
  int64_t max_retries = 1;           ///< restarts of a failed run
  int64_t max_requeues = 20;         ///< restarts of a preempted run (guards against a loop)
  std::ostream* progress = nullptr;  ///< progress lines; nullptr: quiet
  double progress_every_s = 30;      ///< a progress bar at least this often while runs go on
};

/// How one run of the launch went.
struct RunOutcome {
  const PlannedRun* run = nullptr;
  bool was_done = false;                ///< its run file said done before the launch: not started
  std::vector<ExitStatus> attempts;     ///< every attempt's exit, in order
  RunState state = RunState::kPending;  ///< done, failed, preempted (stopped by a signal) or pending
};

struct LocalReport {
  std::vector<RunOutcome> runs;  ///< in plan order
  bool interrupted = false;      ///< the launcher was stopped by a signal
  double seconds = 0;
  size_t count(RunState state) const;
};

/// The argument vector of one attempt of `run`.
std::vector<std::string> local_train_argv(const Plan& plan, const PlannedRun& run, const LocalOptions& options);

/// Runs the plan's pending runs; returns when every run is done or has failed for good, or
/// after a signal has stopped the launch. Throws core::UserError before starting anything when
/// the clipscale binary (or mpirun, for multi-rank runs) is missing.
LocalReport run_local(const Plan& plan, const LocalOptions& options);

/// One line per run: id, final state, every attempt's exit; then the counts.
std::string format_local_report(const Plan& plan, const LocalReport& report);

}  // namespace clipscale::sweep
