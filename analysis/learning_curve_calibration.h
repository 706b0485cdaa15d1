// Calibration of learning-curve predictions on finished runs: cut every run at fractions of its
// length, predict its final error from the points up to the cut, and score the predictions
// against the truth (the run's last evaluation) beside two naive baselines:
//
//   last value        Ê(S) = the last error seen before the cut
//   power, no offset  ln Ê = ln β + α·ln s, least squares on the last `baseline_points` points
//                     before the cut (fit.h's closed form), extrapolated to S
//
// A method with a shared prior gets a leave-one-run-out prior: the shapes of every *other* run's
// whole curve (learning_curve.h, pool_shapes with the run excluded), so the run being predicted
// never informs its own prior. A run with too few points before a cut is excluded at that cut
// (for every method alike: the headline method decides), with its reason.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "analysis/learning_curve.h"
#include "io/table_file.h"

namespace clipscale::analysis {

/// The OpenCLIP learning curves of Cherti et al. 2023 (arXiv:2212.07143) as runs:
///   `curves` (imagenet_zeroshot_learning_curves.csv): imagenet-zeroshot-val-top1, name, epoch
///   `runs`   (trained_models_info.csv): name, data, epochs, samples_per_epoch, warmup (steps), gpus, local_bs
/// Error E = 1 − top-1; s = epoch × samples_per_epoch; S = epochs × samples_per_epoch; warm-up
/// W = warmup × gpus × local_bs samples (steps × global batch), then cosine to 0 at S (OpenCLIP's
/// schedule). A run's group is its dataset (`data`: 80M, 400M, 2B). Runs are in the order of `runs`. Throws
/// core::UserError naming the file and the column or run, with a HINT, for a missing column or a curve of an unknown
/// run.
std::vector<RunCurve> openclip_run_curves(const io::Table& curves, const std::string& curves_origin,
                                          const io::Table& runs, const std::string& runs_origin);

/// Which finished runs a method's (leave-one-run-out) prior pools.
enum class PriorScope {
  kNone,   ///< an independent fit, no prior
  kAll,    ///< every other finished run
  kGroup,  ///< the other finished runs of the run's group (all of them when the group has < 3)
};

/// A way of predicting: curve options and the prior it uses.
struct CalibrationMethod {
  std::string name;
  CurveFitOptions fit;
  PriorScope prior = PriorScope::kGroup;
};

/// The methods the calibration report compares; the first (annealed + group prior) is the
/// headline. Every method uses `resamples` replicates and `seed`.
std::vector<CalibrationMethod> default_calibration_methods(int resamples, uint64_t seed);

inline const std::string kLastValueBaseline = "baseline: last value";
inline const std::string kPowerBaseline = "baseline: power law, last points, no offset";

struct CalibrationOptions {
  std::vector<double> cuts = {0.10, 0.25, 0.50};  ///< fractions of the target length, in (0, 1)
  std::vector<CalibrationMethod> methods;         ///< the first decides exclusion; non-empty
  int baseline_points = 5;                        ///< points of the power-law baseline, >= 2
  int threads = 1;                                ///< runs predicted in parallel; 0: every hardware thread

  /// False (and `error` says why) when a value is invalid.
  bool is_valid(const std::string& prefix, std::string* error) const;
};

/// One run at one cut by one method (or baseline).
struct CalibrationRow {
  std::string run;
  double cut = 0;
  std::string method;
  int points_before_cut = 0;  ///< evaluations at s <= cut·S (warm-up included)
  double truth = 0;           ///< the final error
  bool ok = false;            ///< false: excluded (headline) or failed (others)
  std::string problem;
  double prediction = 0;                          ///< NaN when !ok
  double lo80 = 0, hi80 = 0, lo95 = 0, hi95 = 0;  ///< NaN for the baselines
};

/// One method at one cut, over the runs the headline method could predict.
struct CutSummary {
  double cut = 0;
  std::string method;
  int runs = 0;                           ///< finished runs considered
  int included = 0;                       ///< runs the headline method predicted
  int failed = 0;                         ///< included runs this method could not predict
  double mae = 0;                         ///< mean |prediction − truth| over the included runs it predicted
  double coverage80 = 0, coverage95 = 0;  ///< share of truths inside the intervals (NaN: baselines)
  double median_width80 = 0;              ///< median hi80 − lo80 (NaN: baselines)
  std::map<std::string, int> excluded;    ///< reason (the problem, numbers dropped) → runs
};

struct CalibrationResult {
  std::vector<CalibrationRow> rows;       ///< run-major, then cut, then method (methods, then baselines)
  std::vector<CutSummary> summaries;      ///< cut-major, then method, then baselines
  std::vector<std::string> skipped_runs;  ///< "id: why" for runs not finished (no truth)
  std::vector<std::string> priors;        ///< per method with a prior: the all-runs prior, described
};

/// Cuts every finished run of `runs` at each of options.cuts and predicts its final error with
/// every method and baseline. Deterministic: finished run r at cut k uses the seed
/// hash_combine(hash_combine(seed, r), round(10^6 · k)), whichever other cuts are asked.
CalibrationResult calibrate_learning_curves(const std::vector<RunCurve>& runs, const CalibrationOptions& options);

/// The summary rows of `rows` (e.g. read back from calibration.csv) for `cut` and `method`.
CutSummary summarize_cut(const std::vector<CalibrationRow>& rows, double cut, const std::string& method,
                         const std::string& headline);

/// The rows as a table (the columns of calibration.csv), and back.
io::Table calibration_table(const std::vector<CalibrationRow>& rows);
std::vector<CalibrationRow> calibration_rows(const io::Table& table, const std::string& origin);

}  // namespace clipscale::analysis
