// Where a sweep's files live, under <run.output_dir>/<sweep name>/:
//   runs/<run_id>.h5          run files (written by clipscale train; io/run_file.h)
//   checkpoints/<run_id>/     checkpoints (clipscale train)
//   logs/<run_id>.log         each run's stdout and stderr, every attempt appended, with a line
//                             from the launcher before and after each attempt
//   slurm/                    array.sbatch, collect.sbatch, runs.tsv, jobs.tsv and SLURM's own
//                             output per array task (<array job>_<task>.out)
//   sweep.h5, sweep.csv       the collected table (io/sweep_file.h)
#pragma once

#include <string>

namespace clipscale::sweep {

struct SweepLayout {
  std::string root;  ///< <run.output_dir>/<sweep name>

  std::string runs_dir() const { return root + "/runs"; }
  std::string run_file(const std::string& run_id) const { return runs_dir() + "/" + run_id + ".h5"; }
  std::string logs_dir() const { return root + "/logs"; }
  std::string log_file(const std::string& run_id) const { return logs_dir() + "/" + run_id + ".log"; }
  std::string slurm_dir() const { return root + "/slurm"; }
  /// SLURM job ids of the last submission ("array|collect <tab> job id <tab> indices").
  std::string slurm_jobs_file() const { return slurm_dir() + "/jobs.tsv"; }
  /// Array index → run: "index <tab> run id <tab> ranks <tab> threads <tab> --set values...".
  std::string slurm_runs_file() const { return slurm_dir() + "/runs.tsv"; }
  std::string sweep_file() const { return root + "/sweep.h5"; }
};

/// The last `max_lines` non-empty lines of a text file ("" when it can't be read), for failure
/// messages; reads at most the last 64 KiB.
std::string tail_lines(const std::string& path, size_t max_lines);

}  // namespace clipscale::sweep
