// fits.h5: every fit of one `clipscale fit` or `clipscale compare`, with what the report and the
// plots are made from, so that `clipscale report` needs nothing else.
//
// Layout (schema_version 1), an HDF5 table file (io/table_file.h):
//   /                            attributes: schema_version (int64), kind = "clipscale fits",
//                                title, command (the command line), created_utc
//   /fits/<i>                    one group per fit, i = 0, 1, ...; attributes: name, variant,
//                                source, metric, one_minus (int64 0/1), x_column, x_unit,
//                                n_column, d_column, selection, law, formula, estimator,
//                                points_rule, n_runs, objective, rms_log_residual, starts,
//                                starts_at_best, converged (int64 0/1), resamples,
//                                failed_resamples, seed (int64), level, compute_per_nd
//   /fits/<i>/parameters         table: name, value, lo, hi, se (law parameters, then derived)
//   /fits/<i>/bootstrap          table: one float64 column per law parameter, one row per
//                                resample (NaN where the resample failed)
//   /fits/<i>/runs               table: id, x, n, d, error, on_frontier (int64), fitted
//   /fits/<i>/points             table: id, x, error, residual (the points fitted)
//   /fits/<i>/curve              table: x, error, lo, hi (fitted curve and bootstrap band)
//   /fits/<i>/predictions        table: x, error, error_lo, error_hi, error_se, n, n_lo, n_hi,
//                                d, d_lo, d_hi (n, d: joint law's compute-optimal allocation)
//   /fits/<i>/holdout            table: id, x, observed, predicted, predicted_full; attributes:
//                                held_out, fitted (0/1), note, rms_log_error,
//                                rms_log_error_full, and param_<name> of the reduced fit
//   /comparison                  only when variants were compared; attributes: reference,
//                                rank_correlation_mean, rank_correlation_min, rank_levels
//   /comparison/variants         table: variant
//   /comparison/differences      table: variant, parameter, value, lo, hi, se, share_positive
//   /comparison/prediction_differences  table: variant, x, value, lo, hi, se, share_positive
//   /comparison/crossings        table: a, b, crosses (int64), x, lo, hi, share_crossing,
//                                range_lo, range_hi
//   /comparison/equal_compute    table: x, then observed_<v>, predicted_<v>, rank_<v> for
//                                variant index v
// Python: h5py.File("fits.h5")["fits/0/parameters/value"][:].
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "analysis/compare.h"
#include "analysis/study.h"

namespace clipscale::analysis {

inline constexpr int64_t kFitsFileSchemaVersion = 1;
inline constexpr const char* kFitsFileKind = "clipscale fits";

struct FitsDocument {
  std::string title;
  std::string command;      ///< the command line that made it
  std::string created_utc;  ///< set by write_fits_file when empty
  std::vector<FitSummary> fits;
  std::optional<Comparison> comparison;
};

/// Writes `document` to `path` atomically (parent directories are created).
void write_fits_file(const std::string& path, const FitsDocument& document);

/// Reads a fits file. core::UserError (file, member, expected vs found, HINT) when it is
/// missing, not a fits file, of another schema version, or incomplete.
FitsDocument read_fits_file(const std::string& path);

}  // namespace clipscale::analysis
