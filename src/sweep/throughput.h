// Time estimates from measured throughput: the samples/s logged in earlier run files, turned into
// forward FLOPs per second so that one measurement also prices other model sizes.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/run_file.h"
#include "sweep/plan.h"

namespace clipscale::sweep {

class Throughput {
 public:
  /// Adds a run's measurement: the median over its logged steps of samples_per_s ×
  /// flops_per_sample (forward FLOPs/s of the whole run, all ranks). Runs without logged steps
  /// add nothing.
  void add(const io::RunFile& run);

  /// Seconds `run` should take: its work (flops_per_sample × samples seen) over the rate
  /// measured for the same model (else the median of all models); nullopt when nothing was
  /// measured.
  std::optional<double> estimate_seconds(const PlannedRun& run) const;

  /// Runs measured.
  int runs() const { return runs_; }

 private:
  std::map<std::string, std::vector<double>> rates_;  // model -> FLOP/s of each run
  int runs_ = 0;
};

/// Measures the run files already in the plan's runs folder: up to `per_model` of each model
/// (finished ones first). Unreadable files are skipped.
Throughput measure_throughput(const Plan& plan, int per_model = 3);

/// Wall time of jobs taking `seconds` each on `slots` parallel slots, longest first, each to the
/// slot that frees first; `busy` are the seconds left of jobs already running (one slot each).
double wall_seconds(std::vector<double> seconds, int64_t slots, const std::vector<double>& busy = {});

/// "42s", "3m20s", "2h05m", "3d04h".
std::string format_duration(double seconds);

}  // namespace clipscale::sweep
