// Where a run's and a sweep's files live, under <run.output_dir>/<run.name>/ (a sweep's runs all
// have run.name = the sweep's name):
//   runs/<run_id>.h5            run files (written by clipscale train; io/run_file.h)
//   checkpoints/<run_id>/       checkpoints: step-<9 digits>/ and final/ (train/checkpoint.h)
//   logs/<run_id>.log           each run's stdout and stderr when a sweep launches it, every
//                               attempt appended, with a line from the launcher before and after
//   slurm/                      array.sbatch, collect.sbatch, runs.tsv, jobs.tsv and SLURM's own
//                               output per array task (<array job>_<task>.out)
//   sweep.h5, sweep.csv         the collected table (io/sweep_file.h)
//   fits.h5, report.md, *.png   fits (analysis/)
#pragma once

#include <string>

namespace clipscale::spec {

/// The folder of run files inside a results root.
inline constexpr const char* kRunsFolder = "runs";
/// The collected table of a sweep inside its results root.
inline constexpr const char* kSweepFileName = "sweep.h5";

struct ResultsLayout {
  std::string root;  ///< <run.output_dir>/<run.name>

  /// The layout of <output_dir>/<name>.
  static ResultsLayout of(const std::string& output_dir, const std::string& name) {
    return ResultsLayout{output_dir + "/" + name};
  }

  std::string runs_dir() const { return root + "/" + kRunsFolder; }
  std::string run_file(const std::string& run_id) const { return runs_dir() + "/" + run_id + ".h5"; }
  /// Every checkpoint of one run.
  std::string checkpoint_root(const std::string& run_id) const { return root + "/checkpoints/" + run_id; }
  /// The checkpoint written at the end of training.
  std::string final_checkpoint(const std::string& run_id) const { return checkpoint_root(run_id) + "/final"; }
  std::string logs_dir() const { return root + "/logs"; }
  std::string log_file(const std::string& run_id) const { return logs_dir() + "/" + run_id + ".log"; }
  std::string slurm_dir() const { return root + "/slurm"; }
  /// SLURM job ids of the last submission ("array|collect <tab> job id <tab> indices").
  std::string slurm_jobs_file() const { return slurm_dir() + "/jobs.tsv"; }
  /// Array index → run: "index <tab> run id <tab> ranks <tab> threads <tab> --set values...".
  std::string slurm_runs_file() const { return slurm_dir() + "/runs.tsv"; }
  std::string sweep_file() const { return root + "/" + kSweepFileName; }
};

}  // namespace clipscale::spec
