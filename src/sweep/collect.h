// `clipscale sweep collect`: results/<sweep>/sweep.h5 (+ sweep.csv) with one row per run that has
// a run file: its axis values, then the columns of io::sweep_table_from_runs (status, model,
// parameters, FLOPs per sample, compute, final metrics, ...).
#pragma once

#include <string>
#include <vector>

#include "io/sweep_file.h"
#include "sweep/plan.h"

namespace clipscale::sweep {

struct CollectResult {
  std::string path;                     ///< the sweep file written
  size_t rows = 0;                      ///< runs with a run file
  std::vector<std::string> missing;     ///< run ids without a run file yet (not in the table)
  std::vector<std::string> unreadable;  ///< "path: reason" of run files that could not be read
  size_t done = 0;                      ///< rows with status done
};

/// The table: for every run with a run file, in plan order, the columns "index" (plan index)
/// and one per axis named by its key ("model.config", "train.samples_seen", ... typed: int64,
/// float64, or string; a bool as 0/1, a string list as its TOML text), then the columns of
/// io::sweep_table_from_runs. Axis columns whose name the run table also has are left out.
io::Table collect_table(const Plan& plan, const std::vector<const PlannedRun*>& runs,
                        const std::vector<io::RunFile>& files);

/// Reads the run files and writes plan.layout.sweep_file() and its CSV twin atomically, with
/// the root attributes sweep_file, base_config, axes (the axis keys, comma-separated) and runs
/// planned / missing. Unreadable run files are left out and listed.
CollectResult collect_sweep(const Plan& plan);

}  // namespace clipscale::sweep
