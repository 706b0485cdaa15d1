// A sweep plan: the grid resolved into runs with ids, compute and launch shape. Runs are resolved
// by spec::RunConfigResolver, the same code `clipscale train` uses, so a planned run's id is the
// id training will record (tests may pass another spec::RunResolver).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/schema.h"
#include "config/value.h"
#include "spec/layout.h"
#include "spec/run_resolver.h"
#include "sweep/grid.h"
#include "sweep/sweep_spec.h"

namespace clipscale::sweep {

using spec::ResolvedRun;
using spec::RunResolver;

struct PlannedRun {
  size_t index = 0;  ///< position in the plan; the SLURM array index
  GridPoint axes;
  /// --set arguments for `clipscale train <base>`: the axes, run.name and (when set) train.threads.
  /// run.output_dir is added by the launchers.
  std::vector<std::string> overrides;
  int64_t ranks = 1;    ///< processes
  int64_t threads = 0;  ///< train.threads per process (0: every core)
  ResolvedRun resolved;

  /// Training compute C = 3 × flops_per_sample × samples_seen.
  double compute() const { return resolved.compute(); }
};

/// A grid point the filter dropped.
struct SkippedRun {
  GridPoint axes;
  std::string reason;  ///< the rule that held
};

struct Plan {
  SweepSpec spec;
  std::string output_dir;      ///< the results root (run.output_dir of every run)
  spec::ResultsLayout layout;  ///< <output_dir>/<sweep name>
  std::vector<PlannedRun> runs;
  std::vector<SkippedRun> skipped;

  /// --set arguments of run `run` for clipscale train, run.output_dir included.
  std::vector<std::string> train_overrides(const PlannedRun& run) const;
};

/// Expands the grid, resolves every run (problems of all runs are reported together, each
/// naming the run's axis values), drops runs that a filter rule skips, and checks that no two
/// runs have the same id. `output_dir` ("" = the base config's run.output_dir) is where results
/// go. Throws core::UserError.
Plan make_plan(const SweepSpec& spec, const RunResolver& resolver, const std::string& output_dir = "");
/// make_plan with spec::RunConfigResolver.
Plan make_plan(const SweepSpec& spec, const std::string& output_dir = "");

/// "model.config=clip-w64-l2.json train.samples_seen=32000": a short label of a grid point
/// (string values that are paths shortened to their file name).
std::string describe_axes(const GridPoint& axes);

}  // namespace clipscale::sweep
