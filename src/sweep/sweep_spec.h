// A sweep file, sweeps/<name>.toml: a base run config, axes over any run-config key, zipped
// axes, skip rules and launch settings.
//
//   [sweep]
//   name = "quickstart"                        # results/<name>/ and every run's run.name;
//                                              # default: the file's stem
//   base = "experiments/runs/quickstart.toml"  # the run config every run starts from
//
//   [axes]                                     # any run-config key -> its values; the runs are
//   model.config = ["experiments/models/clip-w64-l2.json",    # the cartesian product, first
//                   "experiments/models/clip-w96-l3.json"]    # axis slowest
//   train.samples_seen = [32000, 64000]
//   data.data_size = [32000, 64000]
//   launch.ranks_per_run = [1]                 # per-run launch settings may be axes too
//
//   [zip]                                      # groups of axes that vary together, value by value
//   length = ["train.samples_seen", "data.data_size"]          # (equal lengths)
//
//   [filter]
//   skip_if_samples_below_data_size = true     # skip runs with train.samples_seen < data.data_size
//   skip_if = ["compute > 2e15"]               # rules, see filter.h
//
//   [launch]                                   # see LaunchSettings
//   ranks_per_run = 1
//   threads_per_rank = 1
//   concurrency = 2
//
// Axis values are checked against the run-config schema (type and rule) at their line; run.name
// and run.output_dir are set by the sweep and train.threads by launch.threads_per_rank, so they
// can't be axes. Every problem is reported at once, each as one line in the house shape
// ("sweeps/x.toml:7: ...  HINT: ...").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/document.h"
#include "config/schema.h"
#include "config/value.h"
#include "sweep/filter.h"

namespace clipscale::sweep {

/// Axis keys that set launch settings instead of run-config keys.
inline constexpr const char* kRanksAxis = "launch.ranks_per_run";
inline constexpr const char* kThreadsAxis = "launch.threads_per_rank";

/// One axis: a key and its values, in file order.
struct Axis {
  std::string key;
  std::vector<config::Value> values;
  int line = 0;  ///< line of the key in the sweep file
};

/// How runs are started. The local launcher uses ranks_per_run, threads_per_rank, concurrency
/// and max_retries; SLURM uses all but concurrency.
struct LaunchSettings {
  int64_t ranks_per_run = 1;             ///< processes per run (mpirun -np / srun -n)
  int64_t threads_per_rank = 0;          ///< train.threads of every run; 0 keeps the base config's value
  int64_t concurrency = 1;               ///< runs at once (local launcher)
  int64_t max_retries = 1;               ///< restarts of a failed run (a preempted run is always requeued)
  std::string partition;                 ///< SLURM partition ("" = the cluster's default)
  std::string time;                      ///< SLURM time limit per run, e.g. "02:00:00" ("" = the default)
  std::string account;                   ///< SLURM account ("" = none)
  int64_t max_concurrent = 0;            ///< SLURM array tasks running at once (%N); 0 = no limit
  int64_t signal_seconds = 120;          ///< USR1 this long before the time limit (checkpoint + requeue); 0 = none
  std::vector<std::string> sbatch_args;  ///< more sbatch options, e.g. ["--qos=short", "--mem=8G"]
  std::string sbatch_template;           ///< array script template; "" = the built-in slurm/array.sbatch.in
};

struct FilterSettings {
  bool skip_if_samples_below_data_size = false;
  std::vector<FilterRule> skip_if;
};

struct SweepSpec {
  std::string path;  ///< the sweep file as given
  std::string name;  ///< [sweep] name, or the file's stem
  std::string base;  ///< the base run config
  std::vector<Axis> axes;
  /// Groups of axis keys that vary together ([zip]); every other axis is a group of its own.
  std::vector<std::vector<std::string>> zip_groups;
  FilterSettings filter;
  LaunchSettings launch;
  /// [sweep], [filter] and [launch] with provenance (for messages about their values); empty
  /// in a spec built by hand.
  std::optional<config::Document> settings;

  /// The axis with `key`, or nullptr.
  const Axis* find_axis(std::string_view key) const;
};

/// The schema of the [sweep], [filter] and [launch] sections.
const config::Schema& sweep_file_schema();

/// Reads and checks a sweep file. `run_schema` is the run-config schema that axes and filter
/// names are checked against. Throws core::UserError listing every problem.
SweepSpec load_sweep_spec(const std::string& path, const config::Schema& run_schema);

}  // namespace clipscale::sweep
