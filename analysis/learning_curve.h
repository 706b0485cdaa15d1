// Learning curves: where a run in flight will end. A run's eval series E(s) (an error: 1 − top-1,
// 1 − R@k, or a loss; s = samples seen) is fitted with one of three forms, and the fit is
// extrapolated to the run's target length S under its known schedule (learning_curve_schedule.h):
//
//   power           E(s) = E∞ + A · s^(−a)                          params {e_inf, A, a}
//   effective-time  E(s) = E∞ + A · τ(s)^(−a)                       params {e_inf, A, a}
//   annealed        E(s) = (E∞ + A · τ(s)^(−a)) · (1 − c · q(s))     params {e_inf, A, a, c, lag}
//                   q(s) = annealing(s, lag) / annealing(S, lag),    0 <= c <= 0.9, lag in [0.001, 2]
//
// τ(s) = ∫ η is the integrated, peak-normalised learning rate ("effective time": the loss of
// SGD-like training depends mostly on the summed learning rate, Kaplan et al. 2020,
// arXiv:2001.08361, App. D.6). annealing(s, lag) = 1 − η̃(s) is how far the learning rate has been
// decayed, seen through a moving average with time constant `lag` × the decay phase.
//
// Why the annealed form is the default. A law in τ alone predicts that a cosine run ends *worse*
// than a constant one of the same length (τ(S) ≈ S/2), while annealing the learning rate is known
// to lower the loss (Hägele et al. 2024, arXiv:2405.18392; Luo et al. 2025, arXiv:2503.12811).
// Tissue et al. 2024 (arXiv:2408.11029) model it as L = L0 + A·S1^(−α) − C·S2, with S1 = τ and
// S2 the annealing area with momentum λ, which equals (1 − η̃)/(1 − λ) for η̃ the moving average
// of η (learning_curve_schedule.h). We keep their two terms with two changes: the gain is
// relative, a factor 1 − c·q(s), so that c — the share of the error the annealing has removed by
// the end of the run — is comparable between runs of different error levels and can be shared
// by a sweep; and the momentum window is a fitted shape parameter in units of the run's decay
// phase. On the OpenCLIP curves (results/anchors/learning-curves/) the whole-curve residuals of
// an undelayed gain (lag → 0) are S-shaped (±3–5% of E), those of the fitted lag (0.1–1 of the
// decay phase) within ±1%: the error responds to the learning-rate decay late.
//
// Fitting. Residuals are on ln E (r_i = ln Ê(s_i) − ln E_i), Huber on r_i / σ (σ the noise scale
// of ln E), solved by Ceres Levenberg–Marquardt in log parameters (ln E∞, ln A) with bounded
// shape parameters and a closed-form Jacobian, from several starts: the saturating-law fit of
// fit.h (its variable-projection grid and multi-start, on (τ, E / (1 − c0·q))), and shapes from
// a small grid or the prior with E∞ and A by non-negative least squares; the best objective wins.
// Points inside the warm-up are left out by default (the early part of a run follows none of
// these forms; Choshen et al. 2025, arXiv:2410.11840, drop it too).
//
// Shared prior (hierarchical, empirical Bayes). Runs of one sweep share the *shape* (a, and c,
// lag for the annealed form): each finished run's whole curve is fitted on its own (when it has
// at least 3 points per parameter), and the distribution of the shapes of a group of runs (e.g.
// one dataset) becomes a prior on each new run's shape: centre μ_k the median, spread
// sd_k = 1.4826·MAD·√(1 + 1/n) (the predictive spread for one more run). The fit adds
// ½ Σ_k ((θ_k − μ_k)/sd_k)², so a short curve borrows its shape from the sweep and only E∞ and A
// are its own. Points of one curve are not independent, so with a prior the data term is
// weighted by the AR(1) effective-sample-size factor w = (1 − ρ)/(1 + ρ), ρ the sweep's lag-1
// autocorrelation of residuals, and σ is the sweep's residual scale.
//
// Intervals: randomised MAP (a parametric bootstrap that samples the posterior of a
// linear-Gaussian model exactly; Oliver, He & Reynolds 1996). Replicate b perturbs every ln E_i
// by N(0, σ²/w), draws the prior's centre from μ + sd·t_(n−1) (Student-t: the spread itself is
// estimated from n runs, so the predictive for a new run is t; Gelman et al. 2013, BDA3 §3.2), refits
// from the MAP, and predicts Ê(S)·exp(σ·z) (the final eval has noise of its own). Without a prior
// the perturbation is the run's own residual scale. Percentile intervals of the replicates.
// Replicate b draws from core::Rng(hash_combine(seed, b)) and lands at index b, so the result is
// the same for every thread count.
//
// Nothing here throws on bad data: a prediction that can't be made has ok = false and a problem
// in words ("too few points (3 < 4) ...", "metric rises ...", "non-finite value ...").
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "analysis/learning_curve_schedule.h"

namespace clipscale::analysis {

/// One evaluation of a run.
struct CurvePoint {
  double samples = 0;  ///< samples seen at the evaluation, > 0
  double error = 0;    ///< the metric as an error (1 − accuracy, or a loss), > 0
};

/// A run: its evaluations and its schedule.
struct RunCurve {
  std::string id;
  std::vector<CurvePoint> points;
  CurveSchedule schedule;
  std::string group;  ///< runs of one group share a prior first (e.g. one dataset); "" = no group
};

enum class CurveModel { kPowerOffset, kEffectiveTime, kAnnealed };

/// "power", "effective-time", "annealed".
std::string curve_model_name(CurveModel model);
/// Inverse of curve_model_name; core::UserError naming `flag` otherwise.
CurveModel parse_curve_model(const std::string& text, const std::string& flag);
/// The formula as text, e.g. "E = (e_inf + A*tau^-a) * (1 - c*(1 - lr/peak))".
std::string curve_model_formula(CurveModel model);
/// Parameter names in the order CurveFit::params holds them: e_inf, A, a[, c].
const std::vector<std::string>& curve_parameter_names(CurveModel model);
/// The shape parameters a prior shares between runs: a[, c].
const std::vector<std::string>& curve_shape_names(CurveModel model);

/// A fitted curve in natural units.
struct CurveFit {
  CurveModel model = CurveModel::kAnnealed;
  std::vector<double> params;  ///< curve_parameter_names order
  double sigma = 0;            ///< noise scale of ln E the fit used (prior's, or robust from the residuals)
  double objective = 0;        ///< the MAP objective at params (data + prior terms)
  bool converged = false;      ///< the best start met a Ceres stopping rule

  /// Ê(s) under `schedule`.
  double value(double samples, const CurveSchedule& schedule) const;
  /// Parameter `name` (CLIPSCALE_CHECK when the model has no such parameter).
  double param(const std::string& name) const;
};

/// The sweep-level prior on the shape of a curve (see the file comment).
struct CurvePrior {
  CurveModel model = CurveModel::kAnnealed;
  std::vector<std::string> names;    ///< curve_shape_names(model)
  std::vector<double> mean;          ///< μ_k: median of the runs' fitted shapes
  std::vector<double> sd;            ///< sd_k: predictive spread for one more run (> 0); draws are sd_k·t_(runs−1)
  double noise = 0;                  ///< σ: median over runs of the robust scale of ln-residuals
  double autocorrelation = 0;        ///< ρ: median over runs of the lag-1 autocorrelation of residuals, in [0, 0.95]
  int runs = 0;                      ///< runs whose shape went into the prior
  std::string scope;                 ///< "group 2B", or "all runs" (no group asked, or too few in it)
  std::vector<std::string> skipped;  ///< "id: why" for each run left out
  bool ok = false;
  std::string problem;  ///< why ok is false ("2 runs could be fitted (< 3) ...")

  /// "a ~ N(0.659, 0.0812^2), c ~ N(0.305, 0.0352^2), lag ~ N(0.43, 0.345^2); sigma 0.00822, rho 0.16;
  /// group 2B: 8 runs (3 skipped)".
  std::string describe() const;
};

struct CurveFitOptions {
  CurveModel model = CurveModel::kAnnealed;
  int min_points = 4;                  ///< points a fit needs after the warm-up is left out, >= 4
  bool skip_warmup = true;             ///< leave out points with s < warmup_samples
  double huber_delta = 1.345;          ///< Huber threshold on r/σ (1.345: 95% efficiency under Gaussian noise), > 0
  bool autocorrelation_weight = true;  ///< with a prior: weight the data by (1 − ρ)/(1 + ρ)
  int resamples = 400;                 ///< randomised-MAP replicates for the intervals, >= 0 (0: no intervals)
  uint64_t seed = 0;
  int threads = 1;           ///< for the replicates; 0: every hardware thread
  int max_iterations = 200;  ///< per Ceres solve, >= 1

  /// False (and `error` says why, naming the fields under `prefix`) when a value is invalid.
  bool is_valid(const std::string& prefix, std::string* error) const;
  /// The estimator in words (loss, solver, warm-up rule, intervals), for reports; the model has
  /// curve_model_name and curve_model_formula.
  std::string describe() const;
};

/// A prediction of the error at the run's target length.
struct CurvePrediction {
  bool ok = false;
  std::string problem;             ///< why ok is false; "" when ok
  double final_error = 0;          ///< Ê(S) from the MAP fit (NaN when !ok)
  double lo80 = 0, hi80 = 0;       ///< 80% percentile interval of the replicates (NaN without replicates)
  double lo95 = 0, hi95 = 0;       ///< 95% percentile interval
  std::vector<double> replicates;  ///< the replicates' Ê(S)·exp(σz), index b = replicate b (NaN: failed)
  int replicates_failed = 0;
  int points_used = 0;      ///< points the fit used (after the warm-up was left out)
  double last_samples = 0;  ///< samples seen at the last point used
  bool used_prior = false;
  CurveFit fit;

  /// The q-quantile of the replicates (0 <= q <= 1): a one-sided bound at confidence 1 − q
  /// from below, or q from above. NaN without replicates.
  double quantile(double q) const;
  /// The central interval at `level` (0 < level < 1): {quantile((1−level)/2), quantile((1+level)/2)}.
  std::pair<double, double> interval(double level) const;
};

/// Predicts E(S) for a run in flight from its evaluations so far (any order). `prior` may be
/// null (an independent fit); when given it must be ok and of options.model. Never throws on
/// bad data: see CurvePrediction::problem.
CurvePrediction predict_final(const std::vector<CurvePoint>& points, const CurveSchedule& schedule,
                              const CurvePrior* prior, const CurveFitOptions& options);

/// One finished run's whole curve fitted on its own (no prior, no intervals): what goes into a
/// shared prior.
struct RunShape {
  std::string id;
  std::string group;
  bool ok = false;
  std::string problem;
  CurveFit fit;
  double noise = 0;            ///< 1.4826 · median |r_i − median r| of the ln-residuals
  double autocorrelation = 0;  ///< lag-1 autocorrelation of the ln-residuals in samples order
};

/// A run counts as finished for a prior when its last point is at >= this fraction of its target.
inline constexpr double kFinishedFraction = 0.95;
/// A run's shape goes into a prior only when its curve (after the warm-up) has at least this
/// many points per parameter of the model: a shape fitted on fewer is mostly noise.
inline constexpr size_t kShapePointsPerParameter = 3;

/// Fits `run` (which should be finished: last point at >= kFinishedFraction of its target; a
/// problem otherwise) under options.model, independently.
RunShape fit_run_shape(const RunCurve& run, const CurveFitOptions& options);

/// Pools fitted shapes into a prior (the runs with ok shapes; at least 3, else ok = false).
/// `exclude_id` leaves one run out (leave-one-run-out calibration); "" keeps all. A non-empty
/// `group` pools that group's shapes only, or every shape when the group has fewer than 3 (the
/// prior's scope says which).
CurvePrior pool_shapes(const std::vector<RunShape>& shapes, CurveModel model, const std::string& exclude_id = "",
                       const std::string& group = "");

/// fit_run_shape of every run, then pool_shapes (of `group`, or of all runs for ""): the shared
/// prior of a sweep's finished runs.
CurvePrior fit_shared_prior(const std::vector<RunCurve>& runs, const CurveFitOptions& options,
                            const std::string& group = "");

}  // namespace clipscale::analysis
