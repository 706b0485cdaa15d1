// One fit study: a series of runs → points → fit → bootstrap intervals for every parameter and
// prediction → leave-largest-out check → a FitSummary that holds everything a report, a plot or
// fits.h5 needs (and nothing that needs the input files again).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/bootstrap.h"
#include "analysis/fit.h"
#include "analysis/law.h"
#include "analysis/points.h"

namespace clipscale::analysis {

/// What a series measures and where it came from (labels for reports and plots).
struct SeriesInfo {
  std::string name;       ///< display name, e.g. "imagenet1k [LAION]"
  std::string variant;    ///< variant (dataset) label; "" when the input has one
  std::string source;     ///< input file or folder
  std::string metric;     ///< the metric column
  bool one_minus = true;  ///< error = 1 − metric; otherwise error = metric (a loss)
  std::string x_column;   ///< the x axis (the compute column for the joint law)
  std::string x_unit;     ///< e.g. "FLOPs", "GMACs"; "" when unknown
  std::string n_column;   ///< joint law: model size column
  std::string d_column;   ///< joint law: data size column (or "x / (k·n)")
  std::string selection;  ///< rows kept, in words ("downstream_dataset = imagenet1k; status = done")

  /// "1 - acc1" or "loss".
  std::string error_definition() const { return one_minus ? "1 - " + metric : metric; }
};

/// The runs of one series.
struct Series {
  SeriesInfo info;
  std::vector<Observation> observations;
};

struct StudyOptions {
  FitOptions fit;
  FrontierOptions frontier;
  BootstrapOptions bootstrap;
  /// x values to predict the error at (for the joint law: computes, with the compute-optimal
  /// allocation). Empty: the largest x of the series × {1, 10, 100}.
  std::vector<double> predict_at;
  /// Runs with the largest x left out of the leave-largest-out check; -1: 10% of the runs
  /// (at least 1); 0: no check.
  int holdout = -1;
  /// Joint law: k of C = k·N·D; 0: estimated from the runs (compute_per_nd).
  double compute_per_nd = 0;
  int curve_points = 100;  ///< points of the fitted curve stored for plots

  /// False (and `error` says why, naming flags under `prefix`) when a value is invalid or the
  /// options do not fit together (a frontier rule with the joint law, say).
  bool is_valid(const std::string& prefix, std::string* error) const;
};

struct ParameterRow {
  std::string name;
  Estimate estimate;
};

/// One run as the study saw it.
struct ObservationRow {
  std::string id;
  double x = 0, n = 0, d = 0;
  double error = 0;
  bool on_frontier = false;  ///< the run is (the winner of) a point the fit used
  double fitted = 0;         ///< the law at the run's input
};

/// One point the law was fitted to (a bin centre for the binned frontier).
struct PointRow {
  std::string id;  ///< the run it came from
  double x = 0;    ///< fitted x (bin centre), or the run's compute for the joint law
  double error = 0;
  double residual = 0;  ///< ln Ê − ln E
};

/// The error predicted at x, with its bootstrap interval.
struct PredictionRow {
  double x = 0;
  Estimate error;
  /// Joint law only: the compute-optimal model and data size at compute x.
  Estimate n;
  Estimate d;
};

struct CurveRow {
  double x = 0;
  double error = 0;
  double lo = 0;  ///< bootstrap band (NaN without replicates)
  double hi = 0;
};

/// The leave-largest-out check: refit without the `held_out` runs of largest x and predict them.
struct HoldoutRow {
  std::string id;
  double x = 0;
  double observed = 0;        ///< the run's error
  double predicted = 0;       ///< by the fit without the held-out runs
  double predicted_full = 0;  ///< by the fit on every run (the in-sample baseline)
};

struct HoldoutCheck {
  int held_out = 0;
  bool fitted = false;  ///< false when the remaining runs were too few (see note)
  std::string note;
  std::vector<double> params;  ///< the law fitted without them
  std::vector<HoldoutRow> rows;
  double rms_log_error = 0;       ///< RMS of ln(predicted / observed) over the held-out runs
  double rms_log_error_full = 0;  ///< the same for predicted_full
};

struct FitSummary {
  SeriesInfo info;
  LawForm law = LawForm::kPower;
  std::string estimator;    ///< FitOptions::describe()
  std::string points_rule;  ///< FrontierOptions::describe()
  int n_runs = 0;
  double objective = 0;
  double rms_log_residual = 0;  ///< over the points fitted
  int starts = 0;
  int starts_at_best = 0;
  bool converged = false;
  std::vector<ParameterRow> parameters;  ///< the law's parameters (and the joint law's allocation exponent)
  int resamples = 0;
  int failed_resamples = 0;
  uint64_t seed = 0;
  double level = 0.95;
  std::vector<std::vector<double>> replicates;  ///< [resample][law parameter]; NaN where failed
  double compute_per_nd = 0;                    ///< joint law: k used for predictions
  std::vector<ObservationRow> runs;
  std::vector<PointRow> points;
  std::vector<CurveRow> curve;
  std::vector<PredictionRow> predictions;
  HoldoutCheck holdout;

  /// The fitted law (parameters[0..count) of the law).
  Law fitted_law() const;
  /// Parameter `name` ("alpha", ...); CLIPSCALE_CHECK when absent.
  const Estimate& parameter(const std::string& name) const;
  /// A replicate as a law.
  Law replicate(size_t index) const;
};

/// Runs one study. Throws core::UserError (naming the series, its source and the rule) when the
/// points rule leaves fewer points than the law needs.
FitSummary run_study(const Series& series, const StudyOptions& options);

}  // namespace clipscale::analysis
