// Inputs of a fit: a table of runs from a CSV file, a sweep file, or a folder of run files, and
// the column mapping that turns its rows into series of observations.
#pragma once

#include <string>
#include <vector>

#include "analysis/law.h"
#include "analysis/study.h"
#include "io/table_file.h"

namespace clipscale::analysis {

/// A table of runs and where it came from.
struct InputTable {
  std::string source;  ///< the path given
  std::string kind;    ///< "csv", "sweep" (sweep.h5) or "runs" (a folder of run files)
  io::Table table;
};

/// Loads `path`: a .csv file (any table, e.g. a published study's results), a sweep .h5 file, a folder
/// holding sweep.h5 (results/<sweep>), or a folder of run files (<dir>/runs/*.h5 or <dir>/*.h5).
/// core::UserError naming the path, with a HINT, when it is none of these.
InputTable load_input(const std::string& path);

/// How the columns of an input become observations. Axis names may be aliases of sweep columns
/// (compute → compute, samples → samples_seen, params → params_total, data → data_size) or
/// any column name of the table.
struct ColumnMapping {
  std::string metric;          ///< the metric column, e.g. "zeroshot_shape/top1", "acc1", "loss"
  std::string error = "auto";  ///< "one-minus" (E = 1 − metric), "identity" (E = metric), or "auto":
                               ///< identity when the metric name contains "loss", else one-minus
  std::string x = "compute";   ///< x axis; for the joint law the compute column
  std::string x_unit;          ///< shown on plots; "" = FLOPs for a sweep's compute, else none
  std::string n = "params";    ///< joint law: model size column
  std::string d = "samples";   ///< joint law: data column (ignored when d_from_compute > 0)
  double d_from_compute = 0;   ///< > 0: d = x / (d_from_compute · n), e.g. 6 for Chinchilla's D = C/6N
  std::string id;              ///< row label column; "" = run_id, else name, else the row number
  /// Row filters, all of which must hold: "col=value", "col!=value", "col<value", "col<=value",
  /// "col>value", "col>=value" (numbers compare as numbers).
  std::vector<std::string> where;
  std::string group;  ///< one series per distinct value of this column ("" = none)
  /// Named series, each "NAME:FILTER[&FILTER...]" (filters as in `where`), e.g.
  /// "OpenAI:upstream_dataset=CLIP-WIT". Overrides `group`.
  std::vector<std::string> variants;
  bool include_unfinished = false;  ///< keep rows whose status column is not "done"
};

/// The series of `input` under `mapping` for a law of `form`: one per group value or variant,
/// else a single one labelled `label` (its variant). Throws core::UserError naming the file,
/// the column and the value, with a HINT, for a missing column, a malformed filter, or a kept
/// row whose x, n, d or metric is NaN, not positive, or gives an error outside (0, ∞).
std::vector<Series> make_series(const InputTable& input, const ColumnMapping& mapping, LawForm form,
                                const std::string& label);

}  // namespace clipscale::analysis
