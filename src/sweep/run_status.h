// `clipscale sweep status`: each run's state from its run file and, for a sweep submitted to
// SLURM, squeue; counts; failures with the last lines of their logs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sweep/plan.h"
#include "sweep/slurm_queue.h"

namespace clipscale::sweep {

enum class RunState { kPending, kRunning, kDone, kFailed, kPreempted };

/// "pending", "running", "done", "failed", "preempted".
std::string_view state_name(RunState state);

/// What a run file says.
struct RunProgress {
  RunState state = RunState::kPending;  ///< kPending when there is no file
  int64_t samples_seen = 0;             ///< the last logged value
  int64_t samples_target = 0;
  std::string problem;  ///< why an existing file could not be read (state kFailed)
};

/// Reads the run file at `path` (also while it is written, or after its writer was killed).
RunProgress read_run_progress(const std::string& path);

struct RunStatus {
  const PlannedRun* run = nullptr;
  RunState state = RunState::kPending;
  RunProgress progress;
  std::optional<SlurmTask> slurm;  ///< the run's array task, when squeue lists it
  std::string message;             ///< failed runs: the last lines of their log
};

/// The SLURM jobs of a sweep's last submission (slurm/jobs.tsv).
struct SlurmJobs {
  std::vector<std::string> array_job_ids;
  std::string collect_job_id;
  /// Array index → run id (slurm/runs.tsv), to match squeue's tasks to runs.
  std::map<int64_t, std::string> run_ids;
};

/// Reads slurm/jobs.tsv and slurm/runs.tsv; nullopt when the sweep was never submitted.
std::optional<SlurmJobs> read_slurm_jobs(const spec::ResultsLayout& layout);

struct StatusOptions {
  bool query_slurm = true;        ///< ask squeue when the sweep has SLURM jobs
  std::string squeue = "squeue";  ///< the squeue program
  size_t log_lines = 4;           ///< lines of a failed run's log to show
};

struct SweepStatus {
  std::vector<RunStatus> runs;  ///< in plan order
  std::map<RunState, size_t> counts;
  std::optional<SlurmJobs> slurm;
  std::string slurm_note;  ///< why squeue could not be asked, or ""
  size_t count(RunState state) const;
};

/// The state of every planned run: from the run file, refined by squeue when the sweep has
/// SLURM jobs (a task squeue shows RUNNING is running; one it shows PENDING after a start is
/// preempted, waiting to resume).
SweepStatus sweep_status(const Plan& plan, const StatusOptions& options = {});

/// A table (run, state, progress, SLURM state, axes), the failures with their log lines, and
/// the counts.
std::string format_status(const Plan& plan, const SweepStatus& status);

/// The same as JSON: {"sweep", "results", "counts": {state: n}, "slurm_jobs": [...],
/// "runs": [{"index", "run_id", "state", "samples_seen", "samples_target", "slurm_state",
/// "slurm_reason", "message", "axes"}]}.
std::string format_status_json(const Plan& plan, const SweepStatus& status);

}  // namespace clipscale::sweep
