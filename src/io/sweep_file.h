// The sweep file, results/<sweep>/sweep.h5: one row per run (config axes + final metrics +
// compute), column-oriented, plus a CSV twin (results/<sweep>/sweep.csv) for spreadsheets and
// pandas. Written by `clipscale sweep collect`, read by `clipscale fit | compare | report`.
//
// Layout (schema_version 1), an HDF5 table file (table_file.h):
//   /                     attributes: schema_version (int64), kind = "clipscale sweep",
//                         sweep (string, the sweep name), created_utc (ISO 8601), plus the
//                         writer's extra attributes (string, float64 or int64)
//   /runs                 attribute n_rows (int64); one 1-D dataset per column, n_rows long:
//     run_id, status, model, variant, git_sha       string (status: running|done|failed|preempted)
//     seed, samples_seen, samples_seen_target,      int64  (samples_seen: the last logged value,
//     data_size, world_size,                               else the target)
//     params_image, params_text, params_total
//     flops_per_sample                              float64 forward FLOPs per image-text pair
//     compute                                       float64 = 3 × flops_per_sample × samples_seen
//     <other header attributes>                     string or float64 (e.g. precision,
//                                                   global_batch_size), in name order
//     <task>/<metric>                               float64 final eval values, NaN where a run
//                                                   has none; nests as /runs/<task>/<metric>
// h5py: f = h5py.File("sweep.h5"); f["runs/compute"][:], f["runs/zeroshot_shape/top1"][:].
// pandas: pd.read_csv("sweep.csv") (same columns, same order; NaN as an empty cell).
#pragma once

#include <string>
#include <vector>

#include "io/run_file.h"
#include "io/table_file.h"

namespace clipscale::io {

/// Bumped whenever the layout above changes; read_sweep_file refuses other versions.
inline constexpr int64_t kSweepFileSchemaVersion = 1;
/// Value of the root attribute "kind".
inline constexpr const char* kSweepFileKind = "clipscale sweep";

/// Columns every sweep file has (the reader checks them).
inline constexpr const char* kSweepRunIdColumn = "run_id";
inline constexpr const char* kSweepStatusColumn = "status";
inline constexpr const char* kSweepComputeColumn = "compute";

struct SweepFile {
  std::string sweep;        ///< the sweep's name
  std::string created_utc;  ///< set by the writer when empty
  Attributes attributes;    ///< more root attributes (names other than the ones above)
  Table runs;               ///< one row per run; see the layout above
};

/// One row per run, in the order given, with the columns of the layout above: the header
/// fields, compute, the other header attributes (a column per name used by any run; NaN or ""
/// where a run lacks it) and every final eval metric any run reports (NaN where a run has none).
Table sweep_table_from_runs(const std::vector<RunFile>& runs);

/// "<dir>/<stem>.csv" for "<dir>/<stem>.h5".
std::string sweep_csv_path(const std::string& h5_path);

/// Writes `sweep` to `path` and its CSV twin to sweep_csv_path(path), each atomically. The
/// table must hold the run_id and status columns (CLIPSCALE_CHECK).
void write_sweep_file(const std::string& path, const SweepFile& sweep);

/// Reads a sweep file. Throws core::UserError naming the file and member, expected vs found,
/// with a HINT, when it is missing, is not a sweep file, has another schema_version, or lacks
/// the run_id, status or compute column.
SweepFile read_sweep_file(const std::string& path);

}  // namespace clipscale::io
