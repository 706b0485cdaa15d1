// A sweep plan: the grid resolved into runs with ids, compute and launch shape.
//
// src/sweep does not know the run-config schema's cross-key rules or how to read model JSON
// (that needs cli/ and model/); it asks a RunResolver, which cli/ implements with the same
// code `clipscale train` uses, so a planned run's id is the id training will record.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "config/schema.h"
#include "config/value.h"
#include "sweep/grid.h"
#include "sweep/layout.h"
#include "sweep/sweep_spec.h"

namespace clipscale::sweep {

/// A run config resolved the way `clipscale train BASE --set ...` resolves it.
struct ResolvedRun {
  std::string run_id;      ///< run_id() of the resolved config
  std::string model_name;  ///< the model JSON's stem
  /// Every key of the resolved config with its value.
  std::map<std::string, config::Value> values;
  int64_t params_image = 0;
  int64_t params_text = 0;
  int64_t params_total = 0;
  double flops_per_sample = 0;  ///< forward FLOPs per image-text pair, both towers
  int64_t samples_seen = 0;     ///< train.samples_seen rounded up to whole global batches
  int64_t data_size = 0;
};

/// Resolves run configs. Implemented in cli/ (run_resolver.h); tests use fakes.
class RunResolver {
 public:
  virtual ~RunResolver() = default;
  /// The run-config schema: axis values and filter names are checked against it.
  virtual const config::Schema& schema() const = 0;
  /// Resolves `base_config` with `overrides` ("key=value", as --set takes them), checking every
  /// rule `clipscale train` checks. Throws core::UserError listing the problems.
  virtual ResolvedRun resolve(const std::string& base_config, const std::vector<std::string>& overrides) const = 0;
};

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
  double compute() const;
};

/// A grid point the filter dropped.
struct SkippedRun {
  GridPoint axes;
  std::string reason;  ///< the rule that held
};

struct Plan {
  SweepSpec spec;
  std::string output_dir;  ///< the results root (run.output_dir of every run)
  SweepLayout layout;      ///< <output_dir>/<sweep name>
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

/// "model.config=clip-w64-l2.json train.samples_seen=32000": a short label of a grid point
/// (string values that are paths shortened to their file name).
std::string describe_axes(const GridPoint& axes);

}  // namespace clipscale::sweep
