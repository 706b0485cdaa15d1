// `clipscale sweep run --launcher slurm`: renders the array job script (slurm/array.sbatch.in)
// and the runs list into results/<sweep>/slurm/, submits one array job per launch shape (ranks ×
// threads; one for a uniform sweep) with sbatch, then a collect job that runs after them
// (--dependency=afterany). Nothing goes through a shell: sbatch gets an argument vector, and the
// values in the scripts are shell-quoted (shell_quote.h).
#pragma once

#include <string>
#include <vector>

#include "sweep/plan.h"

namespace clipscale::sweep {

struct SlurmOptions {
  std::string clipscale;   ///< the clipscale binary of the collect job (absolute path)
  std::string trainer;     ///< the binary the array tasks train with ("" = clipscale); @CLIPSCALE@ of the array script
  std::string sweep_file;  ///< the sweep file, as the collect job should read it
  std::string workdir;     ///< the jobs' working directory (relative paths start here)
  std::string sbatch = "sbatch";
  std::string squeue = "squeue";
};

/// The built-in templates (slurm/array.sbatch.in, slurm/collect.sbatch.in, compiled in).
const char* builtin_array_template();
const char* builtin_collect_template();

/// The runs list: a comment line, then per run "index <tab> run id <tab> ranks <tab> threads
/// <tab> key=value ..." with the run's --set values (run.output_dir included); values are
/// canonical TOML, so tabs and line breaks in them are escaped and every line reads back.
std::string runs_list_text(const Plan& plan);

/// The array job script rendered from `template_text` (origin names it in errors).
std::string render_array_script(const Plan& plan, const SlurmOptions& options, const std::string& template_text,
                                const std::string& origin);

/// sbatch's arguments for the array job over `indices` (sorted plan indices of one launch shape).
std::vector<std::string> sbatch_array_argv(const Plan& plan, const SlurmOptions& options,
                                           const std::vector<int64_t>& indices, const std::string& script_path);

/// What submit_to_slurm did.
struct SlurmSubmission {
  struct Array {
    std::string job_id;
    std::vector<int64_t> indices;
  };
  std::vector<Array> arrays;
  std::string collect_job_id;  ///< empty when nothing was submitted
  size_t already_done = 0;     ///< runs left out because their run file says done
  std::string script_path;
};

/// Submits the runs whose run file does not say done. Refuses (core::UserError) when an array
/// job of an earlier submission of this sweep is still queued or running, when a multi-rank
/// sweep has launch.threads_per_rank = 0 (SLURM must know the CPUs to give each rank), and when
/// sbatch fails (with its message). Records the job ids in slurm/jobs.tsv.
SlurmSubmission submit_to_slurm(const Plan& plan, const SlurmOptions& options);

}  // namespace clipscale::sweep
