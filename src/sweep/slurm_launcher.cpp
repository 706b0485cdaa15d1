#include "sweep/slurm_launcher.h"

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <utility>

#include "core/error.h"
#include "io/atomic_file.h"
#include "sweep/process.h"
#include "sweep/run_status.h"
#include "sweep/shell_quote.h"
#include "sweep/slurm_queue.h"

namespace clipscale::sweep {
namespace {

const char kArrayTemplate[] =
#include "sweep/array_sbatch.inc"
    ;
const char kCollectTemplate[] =
#include "sweep/collect_sbatch.inc"
    ;

// `path` relative to `workdir` when it is not absolute (the jobs run in workdir).
std::string absolute(const std::string& path, const std::string& workdir) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? path : (std::filesystem::path(workdir) / p).lexically_normal().string();
}

// sbatch treats '%' in --output as a pattern character; "%%" is a literal one.
std::string escape_percent(const std::string& path) {
  std::string out;
  for (const char c : path) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

// The options every job of the sweep gets: partition, time, account, extra sbatch arguments.
void add_site_options(const LaunchSettings& launch, const std::string& workdir, std::vector<std::string>& argv) {
  argv.push_back("--chdir=" + workdir);
  if (!launch.partition.empty()) argv.push_back("--partition=" + launch.partition);
  if (!launch.time.empty()) argv.push_back("--time=" + launch.time);
  if (!launch.account.empty()) argv.push_back("--account=" + launch.account);
  for (const std::string& arg : launch.sbatch_args) argv.push_back(arg);
}

// The job id sbatch --parsable printed ("1234" or "1234;cluster").
std::string submit(const std::vector<std::string>& argv) {
  const CommandOutput out = run_command(argv);
  std::string id = out.out.substr(0, out.out.find_first_of(";\n"));
  if (!out.status.ok() || id.empty()) {
    throw core::UserError("sbatch failed (" + out.status.describe() + "): " + out.err + out.out +
                          "\n  command: " + format_command(argv) +
                          "\nHINT: check the [launch] settings (partition, time, account, sbatch_args) and that "
                          "SLURM answers (sinfo).");
  }
  return id;
}

std::string make_script(const std::string& path, const std::string& text) {
  io::write_file_atomic(path, text);
  ::chmod(path.c_str(), 0755);
  return path;
}

// Refuses to submit while an earlier submission of the sweep still has jobs in the queue.
void check_not_queued(const Plan& plan, const SlurmOptions& options) {
  const std::optional<SlurmJobs> jobs = read_slurm_jobs(plan.layout);
  if (!jobs || jobs->array_job_ids.empty()) return;
  std::string ids;
  for (const std::string& id : jobs->array_job_ids) ids += (ids.empty() ? "" : ",") + id;
  // squeue rejects ids it no longer knows (every task ended) with a non-zero exit.
  const CommandOutput out = run_command({options.squeue, "-h", "-j", ids, "-o", kSqueueFormat});
  if (out.status.ok() && !parse_squeue(out.out, jobs->array_job_ids).empty()) {
    throw core::UserError("sweep " + plan.spec.name + " is still in the SLURM queue (array job " + ids + ", see " +
                          plan.layout.slurm_jobs_file() + "). HINT: follow it with `clipscale sweep status " +
                          plan.spec.path + "`; to start over, scancel " + ids + " first.");
  }
}

}  // namespace

const char* builtin_array_template() { return kArrayTemplate; }
const char* builtin_collect_template() { return kCollectTemplate; }

std::string runs_list_text(const Plan& plan) {
  std::string out = "# index\trun_id\tranks\tthreads\t--set values of `clipscale train " + plan.spec.base + "`\n";
  for (const PlannedRun& run : plan.runs) {
    std::string line = std::to_string(run.index) + "\t" + run.resolved.run_id + "\t" + std::to_string(run.ranks) +
                       "\t" + std::to_string(run.threads);
    for (const std::string& value : plan.train_overrides(run)) {
      // Values are canonical TOML (format_value), whose strings escape tabs and line breaks.
      CLIPSCALE_CHECK(value.find_first_of("\t\n\r") == std::string::npos) << "raw tab or line break in " << value;
      line += "\t" + value;
    }
    out += line + "\n";
  }
  return out;
}

std::string render_array_script(const Plan& plan, const SlurmOptions& options, const std::string& template_text,
                                const std::string& origin) {
  return render_script(template_text,
                       {{"SWEEP", plan.spec.name},
                        {"CLIPSCALE", options.trainer.empty() ? options.clipscale : options.trainer},
                        {"BASE_CONFIG", plan.spec.base},
                        {"RUNS_LIST", absolute(plan.layout.slurm_runs_file(), options.workdir)},
                        {"LOG_DIR", absolute(plan.layout.logs_dir(), options.workdir)},
                        {"MAX_RETRIES", std::to_string(plan.spec.launch.max_retries)}},
                       origin);
}

std::vector<std::string> sbatch_array_argv(const Plan& plan, const SlurmOptions& options,
                                           const std::vector<int64_t>& indices, const std::string& script_path) {
  const LaunchSettings& launch = plan.spec.launch;
  const PlannedRun& first = plan.runs.at(static_cast<size_t>(indices.front()));
  std::string array = format_index_list(indices);
  if (launch.max_concurrent > 0) array += "%" + std::to_string(launch.max_concurrent);
  std::vector<std::string> argv = {
      options.sbatch,
      "--parsable",
      "--job-name=" + plan.spec.name,
      "--array=" + array,
      "--ntasks=" + std::to_string(first.ranks),
      "--cpus-per-task=" + std::to_string(first.threads),
      "--output=" + escape_percent(absolute(plan.layout.slurm_dir(), options.workdir)) + "/%A_%a.out",
      "--open-mode=append",
      "--requeue"};
  if (launch.signal_seconds > 0) argv.push_back("--signal=B:USR1@" + std::to_string(launch.signal_seconds));
  add_site_options(launch, options.workdir, argv);
  argv.push_back(script_path);
  return argv;
}

SlurmSubmission submit_to_slurm(const Plan& plan, const SlurmOptions& options) {
  for (const PlannedRun& run : plan.runs) {
    if (run.threads < 1) {
      throw core::UserError(plan.spec.path + ": run " + std::to_string(run.index) +
                            " has train.threads = 0 (every core), but SLURM must know how many CPUs each rank "
                            "uses. HINT: set [launch] threads_per_rank = N (N CPUs per rank).");
    }
  }
  check_not_queued(plan, options);
  SlurmSubmission submission;
  // Runs to submit, grouped by launch shape (ranks, threads): an array job has one shape.
  std::map<std::pair<int64_t, int64_t>, std::vector<int64_t>> shapes;
  for (const PlannedRun& run : plan.runs) {
    if (read_run_progress(plan.layout.run_file(run.resolved.run_id)).state == RunState::kDone) {
      ++submission.already_done;
      continue;
    }
    shapes[{run.ranks, run.threads}].push_back(static_cast<int64_t>(run.index));
  }
  if (shapes.empty()) return submission;

  const std::string slurm_dir = absolute(plan.layout.slurm_dir(), options.workdir);
  std::filesystem::create_directories(absolute(plan.layout.logs_dir(), options.workdir));
  std::string template_text = kArrayTemplate;
  std::string origin = "slurm/array.sbatch.in (built in)";
  if (!plan.spec.launch.sbatch_template.empty()) {
    origin = plan.spec.launch.sbatch_template;
    template_text = io::read_file(origin);
  }
  io::write_file_atomic(absolute(plan.layout.slurm_runs_file(), options.workdir), runs_list_text(plan));
  submission.script_path =
      make_script(slurm_dir + "/array.sbatch", render_array_script(plan, options, template_text, origin));
  const std::string collect_script = make_script(
      slurm_dir + "/collect.sbatch",
      render_script(
          kCollectTemplate,
          {{"CLIPSCALE", options.clipscale}, {"SWEEP_FILE", options.sweep_file}, {"OUTPUT_DIR", plan.output_dir}},
          "slurm/collect.sbatch.in (built in)"));

  std::string jobs_text;
  std::string dependency = "afterany";
  for (const auto& [shape, indices] : shapes) {
    const std::string id = submit(sbatch_array_argv(plan, options, indices, submission.script_path));
    submission.arrays.push_back({id, indices});
    jobs_text += "array\t" + id + "\t" + format_index_list(indices) + "\n";
    dependency += ":" + id;
    // Recorded at once, so `sweep status` sees a partial submission too.
    io::write_file_atomic(plan.layout.slurm_jobs_file(), jobs_text);
  }
  std::vector<std::string> argv = {options.sbatch,
                                   "--parsable",
                                   "--job-name=" + plan.spec.name + "-collect",
                                   "--dependency=" + dependency,
                                   "--output=" + escape_percent(slurm_dir) + "/collect-%j.out",
                                   "--open-mode=append",
                                   "--ntasks=1"};
  add_site_options(plan.spec.launch, options.workdir, argv);
  argv.push_back(collect_script);
  submission.collect_job_id = submit(argv);
  jobs_text += "collect\t" + submission.collect_job_id + "\n";
  io::write_file_atomic(plan.layout.slurm_jobs_file(), jobs_text);
  return submission;
}

}  // namespace clipscale::sweep
