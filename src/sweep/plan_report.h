// What `clipscale sweep plan` prints: a table of the runs (id, axes, parameters, FLOPs per sample,
// compute C, estimated time) with totals, or the same as JSON for scripts.
#pragma once

#include <string>

#include "sweep/plan.h"
#include "sweep/throughput.h"

namespace clipscale::sweep {

/// The plan as a text table, one line per run, then the skipped runs and the totals. Times come
/// from `throughput` ("-" where nothing was measured yet); the total assumes launch.concurrency
/// runs at once.
std::string format_plan_table(const Plan& plan, const Throughput& throughput);

/// The plan as JSON:
///   {"sweep", "sweep_file", "base", "output_dir", "results",
///    "axes": [{"key", "values"}], "launch": {...},
///    "runs": [{"index", "run_id", "model", "axes": {key: value}, "overrides": [...], "ranks",
///              "threads", "params_total", "params_image", "params_text", "flops_per_sample",
///              "samples_seen", "data_size", "compute", "estimated_seconds" (null: unknown)}],
///    "skipped": [{"axes": {key: value}, "reason"}],
///    "totals": {"runs", "skipped", "compute", "estimated_seconds", "measured_runs"}}
std::string format_plan_json(const Plan& plan, const Throughput& throughput);

}  // namespace clipscale::sweep
