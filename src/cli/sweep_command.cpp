// clipscale sweep plan|run|status|collect SWEEP.toml [--launcher local|slurm] [--json] [--output-dir DIR]
// Plans a sweep (sweeps/*.toml: a base run config, axes, filters, launch settings), runs it on
// this machine or as SLURM job arrays, follows it and collects it into results/<sweep>/sweep.h5.
// The work is in src/sweep (no LibTorch); this file binds the flags and resolves run configs.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "core/env.h"
#include "core/error.h"
#include "spec/run_config.h"
#include "sweep/collect.h"
#include "sweep/local_launcher.h"
#include "sweep/plan.h"
#include "sweep/plan_report.h"
#include "sweep/process.h"
#include "sweep/run_status.h"
#include "sweep/slurm_launcher.h"
#include "sweep/throughput.h"

namespace clipscale::cli {
namespace {

struct SweepCommandOptions {
  std::string sweep_file;
  std::string output_dir;  ///< "" = the base config's run.output_dir
  std::string launcher = "local";
  int64_t concurrency = 0;  ///< 0 = [launch] concurrency
  bool json = false;
  bool dry_run = false;
  bool no_slurm = false;
  std::string trainer;  ///< --trainer: the binary the runs train with
};

// The binary the runs train with: --trainer, else $CLIPSCALE_TRAINER, else this binary when it was
// built with LibTorch. A LibTorch-free clipscale (a login node's) plans, launches and collects but
// cannot train.
std::string trainer_binary(const std::string& flag) {
  std::string path = flag, origin = "--trainer";
  if (path.empty()) {
    if (const auto env = core::env_string("CLIPSCALE_TRAINER")) {
      path = *env;
      origin = "CLIPSCALE_TRAINER";
    }
  }
  if (path.empty()) {
    if (CLIPSCALE_WITH_TORCH) return sweep::self_executable();
    throw core::UserError(
        "this clipscale was built without LibTorch (-DCLIPSCALE_WITH_TORCH=OFF) and cannot train the runs. HINT: pass "
        "--trainer PATH or set CLIPSCALE_TRAINER to the clipscale binary of a full build.");
  }
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (!std::filesystem::is_regular_file(absolute, ec) || ::access(absolute.c_str(), X_OK) != 0)
    throw core::UserError(origin + " = " + path + " is not an executable file. HINT: give the clipscale binary of a " +
                          "full (LibTorch) build, e.g. build/src/cli/clipscale.");
  return absolute.string();
}

sweep::Plan make_sweep_plan(const SweepCommandOptions& o) {
  const sweep::SweepSpec sweep_spec = sweep::load_sweep_spec(o.sweep_file, spec::run_config_schema());
  return sweep::make_plan(sweep_spec, o.output_dir);
}

// Ends the process with `code` once the output is out (a sweep with failed runs is not an error
// of this command, but scripts need to see it).
[[noreturn]] void exit_with(int code) {
  std::cout.flush();
  std::fflush(stdout);
  std::exit(code);
}

void run_plan(const SweepCommandOptions& o) {
  const sweep::Plan plan = make_sweep_plan(o);
  const sweep::Throughput throughput = sweep::measure_throughput(plan);
  std::cout << (o.json ? sweep::format_plan_json(plan, throughput) : sweep::format_plan_table(plan, throughput));
}

void run_local(const sweep::Plan& plan, const SweepCommandOptions& o) {
  sweep::LocalOptions local;
  local.clipscale = trainer_binary(o.trainer);
  local.concurrency = o.concurrency > 0 ? o.concurrency : plan.spec.launch.concurrency;
  local.max_retries = plan.spec.launch.max_retries;
  local.progress = &std::cout;
  if (o.dry_run) {
    for (const sweep::PlannedRun& run : plan.runs)
      std::cout << sweep::format_command(sweep::local_train_argv(plan, run, local)) << "\n";
    return;
  }
  const sweep::LocalReport report = sweep::run_local(plan, local);
  std::cout << sweep::format_local_report(plan, report);
  if (report.interrupted) exit_with(core::kPreemptedExitCode);
  if (report.count(sweep::RunState::kFailed) > 0) {
    std::cout << "some runs failed; `clipscale sweep status " << plan.spec.path
              << "` shows their log lines, and running the sweep again retries them\n";
    exit_with(1);
  }
  std::cout << "next: clipscale sweep collect " << plan.spec.path << "\n";
}

void run_slurm(const sweep::Plan& plan, const SweepCommandOptions& o) {
  sweep::SlurmOptions slurm;
  slurm.clipscale = sweep::self_executable();
  slurm.trainer = trainer_binary(o.trainer);
  slurm.sweep_file = o.sweep_file;
  slurm.workdir = std::filesystem::current_path().string();
  if (o.dry_run) {
    std::cout << sweep::runs_list_text(plan) << "\n"
              << sweep::render_array_script(plan, slurm, sweep::builtin_array_template(), "slurm/array.sbatch.in");
    return;
  }
  const sweep::SlurmSubmission s = sweep::submit_to_slurm(plan, slurm);
  if (s.arrays.empty()) {
    std::cout << "sweep " << plan.spec.name << ": all " << plan.runs.size()
              << " runs are done; nothing submitted. next: clipscale sweep collect " << plan.spec.path << "\n";
    return;
  }
  for (const auto& array : s.arrays)
    std::cout << "submitted array job " << array.job_id << " (" << array.indices.size() << " runs)\n";
  std::cout << "submitted collect job " << s.collect_job_id << " (after the arrays end) -> " << plan.layout.sweep_file()
            << "\n";
  if (s.already_done > 0) std::cout << s.already_done << " runs were already done\n";
  std::cout << "script " << s.script_path << "; follow with: clipscale sweep status " << plan.spec.path << "\n";
}

void run_run(const SweepCommandOptions& o) {
  const sweep::Plan plan = make_sweep_plan(o);
  if (o.launcher == "slurm") {
    run_slurm(plan, o);
  } else {
    run_local(plan, o);
  }
}

void run_status(const SweepCommandOptions& o) {
  const sweep::Plan plan = make_sweep_plan(o);
  sweep::StatusOptions options;
  options.query_slurm = !o.no_slurm;
  const sweep::SweepStatus status = sweep::sweep_status(plan, options);
  std::cout << (o.json ? sweep::format_status_json(plan, status) : sweep::format_status(plan, status));
}

void run_collect(const SweepCommandOptions& o) {
  const sweep::Plan plan = make_sweep_plan(o);
  const sweep::CollectResult result = sweep::collect_sweep(plan);
  std::cout << "wrote " << result.path << " and " << io::sweep_csv_path(result.path) << ": " << result.rows << " runs ("
            << result.done << " done)";
  if (!result.missing.empty()) std::cout << "; " << result.missing.size() << " runs have no run file yet";
  std::cout << "\n";
  for (const std::string& problem : result.unreadable) std::cout << "skipped: " << problem << "\n";
}

}  // namespace

void setup_sweep(CLI::App& app) {
  CLI::App* sweep = app.add_subcommand("sweep", "plan, run, follow and collect a sweep (sweeps/*.toml)");
  sweep->require_subcommand(1);
  const auto add = [sweep](const char* name, const char* help, void (*work)(const SweepCommandOptions&)) {
    auto options = std::make_shared<SweepCommandOptions>();
    CLI::App* sub = sweep->add_subcommand(name, help);
    sub->add_option("sweep", options->sweep_file, "sweep file (TOML)")->required()->check(CLI::ExistingFile);
    sub->add_option("--output-dir", options->output_dir,
                    "results root (run.output_dir); default: the base config's; results go to DIR/<sweep name>/");
    sub->callback([options, work] { work(*options); });
    return std::make_pair(sub, options.get());
  };
  auto [plan, plan_options] =
      add("plan", "list the runs with ids, parameters, FLOPs, compute and estimated time", run_plan);
  plan->add_flag("--json", plan_options->json, "print the plan as JSON");

  auto [run, run_options] = add("run", "run the pending runs here (local) or submit them as SLURM job arrays", run_run);
  run->add_option("--launcher", run_options->launcher, "local or slurm")->check(CLI::IsMember({"local", "slurm"}));
  run->add_option("--concurrency", run_options->concurrency, "local: runs at once (default: [launch] concurrency)")
      ->check(CLI::PositiveNumber);
  run->add_option("--trainer", run_options->trainer,
                  "the clipscale binary the runs train with (default: $CLIPSCALE_TRAINER, else this one)");
  run->add_flag("--dry-run", run_options->dry_run,
                "print what would run (local: the commands; slurm: the runs list and the script) and exit");

  auto [status, status_options] =
      add("status", "each run's state from its run file and squeue; failures with their log", run_status);
  status->add_flag("--json", status_options->json, "print the status as JSON");
  status->add_flag("--no-slurm", status_options->no_slurm, "do not ask squeue");

  add("collect", "write results/<sweep>/sweep.h5 and sweep.csv, one row per run", run_collect);
}

}  // namespace clipscale::cli
