#include "analysis/learning_curve.h"

#include <ceres/ceres.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/bootstrap.h"
#include "analysis/fit.h"
#include "analysis/parallel_for.h"
#include "core/error.h"
#include "core/hash.h"

namespace clipscale::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Bounds of the shape: the exponent a (0.1 to 1 on the OpenCLIP curves), the annealing gain c
// (at most 0.9, so 1 − c·q stays >= 0.1) and the lag. They keep the solver out of flat regions.
constexpr double kMinExponent = 1e-3;
constexpr double kMaxExponent = 5.0;
constexpr double kMaxAnnealingGain = 0.9;
constexpr double kMinLag = 1e-3;
constexpr double kMaxLag = 2.0;
// Floors: a noise scale or prior spread of 0 would give an infinite weight.
constexpr double kMinNoise = 1e-4;
constexpr double kMinShapeSd = 1e-3;
constexpr double kMaxAutocorrelation = 0.95;
// Without a prior: the exponent of the last-resort start, and the noise scale when no start
// gives finite residuals.
constexpr double kFallbackExponent = 0.5;
constexpr double kFallbackNoise = 0.02;
// A prior needs this many fitted runs.
constexpr int kMinPriorRuns = 3;
// Scale of a normal distribution from its median absolute deviation.
constexpr double kMadToSd = 1.4826;

double normal(core::Rng& rng) {
  const double u1 = 1.0 - rng.uniform();  // (0, 1]
  const double u2 = rng.uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

// Gamma(shape, 1) for shape >= 1 (Marsaglia & Tsang 2000).
double gamma_draw(core::Rng& rng, double shape) {
  const double d = shape - 1.0 / 3.0, c = 1 / std::sqrt(9 * d);
  while (true) {
    const double z = normal(rng);
    const double v = std::pow(1 + c * z, 3);
    if (v <= 0) continue;
    const double u = 1.0 - rng.uniform();  // (0, 1]
    if (std::log(u) < 0.5 * z * z + d - d * v + d * std::log(v)) return d * v;
  }
}

// Student-t with `dof` degrees of freedom (normal for dof < 2): z / √(χ²_dof / dof), χ²_dof = 2·Gamma(dof/2).
double student_t(core::Rng& rng, int dof) {
  const double z = normal(rng);
  if (dof < 2) return z;
  return z / std::sqrt(2 * gamma_draw(rng, 0.5 * dof) / dof);
}

double median(std::vector<double> values) { return quantile(std::move(values), 0.5); }

double robust_scale(const std::vector<double>& values) {
  const double m = median(values);
  std::vector<double> deviations;
  for (const double v : values) deviations.push_back(std::abs(v - m));
  return kMadToSd * median(deviations);
}

double lag1_autocorrelation(const std::vector<double>& r) {
  if (r.size() < 3) return 0;
  const double mean = std::accumulate(r.begin(), r.end(), 0.0) / static_cast<double>(r.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    den += (r[i] - mean) * (r[i] - mean);
    if (i + 1 < r.size()) num += (r[i] - mean) * (r[i + 1] - mean);
  }
  return den > 0 ? num / den : 0.0;
}

bool is_annealed(CurveModel model) { return model == CurveModel::kAnnealed; }

// ---- the points a fit sees ----
//
// u = ln t − ū with t = s (power) or τ(s) (the other forms), ū the mean of ln t; the internal
// parameters are θ = (ln E∞, ln A − a·ū, a) and (c, L), so that
//   ln Ê = LSE(θ0, θ1 − θ2·u) + ln(1 − c·ℓ(x, L)/ℓ(1, L)),  ℓ = lagged_cosine_annealing.

struct Datum {
  double u = 0;
  double x = 0;      // position in the decay phase (learning_curve_schedule.h)
  double cos_x = 1;  // cos πx, sin πx: constant per point, so not recomputed by every residual evaluation
  double sin_x = 0;
  bool decays = false;  // the annealing term applies: a cosine schedule, past the warm-up
  double log_error = 0;
  double time = 0;  // t, for the start fit
};

struct Prepared {
  std::string problem;  // "" when the points can be fitted
  std::vector<CurvePoint> used;
  std::vector<Datum> data;
  double centre = 0;        // ū
  bool anneals = false;     // c is identified: the model has it and the schedule decays
  int left_out_warmup = 0;  // points dropped inside the warm-up
};

double curve_time(CurveModel model, const CurveSchedule& schedule, double samples) {
  return model == CurveModel::kPowerOffset ? samples : schedule.effective_samples(samples);
}

// Theil–Sen slope of ln E on ln s: the median of the pairwise slopes, which one spike can't move.
double theil_sen_slope(const std::vector<CurvePoint>& points) {
  std::vector<double> slopes;
  for (size_t i = 0; i < points.size(); ++i) {
    for (size_t j = i + 1; j < points.size(); ++j) {
      const double dx = std::log(points[j].samples) - std::log(points[i].samples);
      if (dx > 0) slopes.push_back((std::log(points[j].error) - std::log(points[i].error)) / dx);
    }
  }
  return median(std::move(slopes));
}

Prepared prepare(const std::vector<CurvePoint>& points, const CurveSchedule& schedule, const CurveFitOptions& options) {
  Prepared out;
  std::string why;
  if (!options.is_valid("options.", &why) || !schedule.is_valid("schedule.", &why)) {
    out.problem = why;
    return out;
  }
  if (points.empty()) {
    out.problem = "empty series: no evaluation points";
    return out;
  }
  for (size_t i = 0; i < points.size(); ++i) {
    const CurvePoint& p = points[i];
    if (!std::isfinite(p.samples) || !std::isfinite(p.error)) {
      out.problem = fmt::format(
          "non-finite value at point {} (samples = {}, error = {}). HINT: drop evaluations "
          "that failed or were not logged.",
          i, p.samples, p.error);
      return out;
    }
    if (!(p.samples > 0) || !(p.error > 0)) {
      out.problem = fmt::format(
          "non-positive value at point {} (samples = {}, error = {}): the forms need s > 0 "
          "and an error > 0. HINT: errors are 1 - accuracy or a loss.",
          i, p.samples, p.error);
      return out;
    }
    if (p.samples > schedule.target_samples * (1 + 1e-9)) {
      out.problem = fmt::format(
          "point {} at {:.4g} samples lies beyond the target length {:.4g}. HINT: check "
          "the schedule's target_samples.",
          i, p.samples, schedule.target_samples);
      return out;
    }
  }
  std::vector<CurvePoint> sorted = points;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const CurvePoint& a, const CurvePoint& b) { return a.samples < b.samples; });
  for (const CurvePoint& p : sorted) {
    if (options.skip_warmup && p.samples < schedule.warmup_samples) {
      ++out.left_out_warmup;
    } else {
      out.used.push_back(p);
    }
  }
  const std::string warmup_note = out.left_out_warmup > 0
                                      ? fmt::format(" ({} of {} inside the warm-up, s < {:.3g}, left out)",
                                                    out.left_out_warmup, points.size(), schedule.warmup_samples)
                                      : "";
  if (static_cast<int>(out.used.size()) < options.min_points) {
    out.problem = fmt::format("too few points ({} < {}){}", out.used.size(), options.min_points, warmup_note);
    return out;
  }
  size_t distinct = 1;
  for (size_t i = 1; i < out.used.size(); ++i) distinct += out.used[i].samples > out.used[i - 1].samples;
  if (distinct < 3) {
    out.problem = fmt::format("too few distinct sample counts ({} < 3){}", distinct, warmup_note);
    return out;
  }
  const double slope = theil_sen_slope(out.used);
  if (slope > 0) {
    out.problem = fmt::format(
        "metric rises: the error grows with samples seen (Theil-Sen slope of ln E on ln s "
        "= {:+.3g} over {} points). HINT: pass an error (1 - accuracy), not an accuracy.",
        slope, out.used.size());
    return out;
  }
  out.anneals = is_annealed(options.model) && schedule.kind == ScheduleKind::kCosine;
  for (const CurvePoint& p : out.used) out.centre += std::log(curve_time(options.model, schedule, p.samples));
  out.centre /= static_cast<double>(out.used.size());
  for (const CurvePoint& p : out.used) {
    Datum d;
    d.time = curve_time(options.model, schedule, p.samples);
    d.u = std::log(d.time) - out.centre;
    d.x = std::max(schedule.decay_position(p.samples), 0.0);
    d.cos_x = std::cos(M_PI * d.x);
    d.sin_x = std::sin(M_PI * d.x);
    d.decays = out.anneals && p.samples >= schedule.warmup_samples;
    d.log_error = std::log(p.error);
    out.data.push_back(d);
  }
  return out;
}

// ---- the Ceres problem ----

// ln Ê at one point and its derivatives in θ = (θ0, θ1, θ2) and (c, L), in closed form: the
// replicates solve hundreds of small problems, and automatic differentiation of the lagged
// annealing term made the Jacobian most of their cost.
struct ModelValue {
  double log_value = 0;
  std::array<double, 3> d_base{};
  std::array<double, 2> d_anneal{};
};

// ℓ(x, L) and ∂ℓ/∂L, through a one-dimensional dual number.
std::pair<double, double> lagged_with_derivative(double x, double cos_x, double sin_x, double lag) {
  const ceres::Jet<double, 1> v = lagged_cosine_annealing(x, cos_x, sin_x, ceres::Jet<double, 1>(lag, 0));
  return {v.a, v.v[0]};
}

ModelValue model_value(const double* base, const double* anneal, const std::pair<double, double>& final_annealing,
                       const Datum& d) {
  ModelValue m;
  // LSE(θ0, θ1 − θ2·u) and p = ∂/∂θ0 (the share of the offset).
  const double a = base[0], b = base[1] - base[2] * d.u;
  const double e = std::exp(-std::abs(a - b));
  m.log_value = std::max(a, b) + std::log1p(e);
  const double p = a > b ? 1 / (1 + e) : e / (1 + e);
  m.d_base = {p, 1 - p, -d.u * (1 - p)};
  if (!d.decays) return m;
  // ln(1 − c·q), q = ℓ(x, L) / ℓ(1, L).
  const auto [lx, dlx] = lagged_with_derivative(d.x, d.cos_x, d.sin_x, anneal[1]);
  const auto [l1, dl1] = final_annealing;
  const double q = lx / l1, dq = (dlx * l1 - lx * dl1) / (l1 * l1);
  const double keep = 1 - anneal[0] * q;
  m.log_value += std::log(keep);
  m.d_anneal = {-q / keep, -anneal[0] * dq / keep};
  return m;
}

std::pair<double, double> final_annealing_of(const double* anneal) {
  return lagged_with_derivative(1.0, -1.0, 0.0, anneal[1]);
}

struct PriorTerm {
  bool in_anneal = false;  // parameter block: anneal (c, L) or base (…, a)
  int index = 0;
  double inv_sd = 1;
};

struct Theta {
  std::array<double, 3> base{};    // ln E∞, ln A − a·ū, a
  std::array<double, 2> anneal{};  // c, L
};

// Residuals √w·huber_root((ln Ê_i − ln E_i)/σ) for every point, then (θ_k − centre_k)/sd_k for
// every prior term, with ½·huber_root(z)² = Huber_δ(z): one cost carries the robust loss of every
// point. ln E_i and the centres are read through pointers so that replicates can perturb them.
class CurveCost : public ceres::CostFunction {
 public:
  CurveCost(const std::vector<Datum>* data, const std::vector<double>* log_error, const std::vector<double>* centre,
            std::vector<PriorTerm> prior, double inv_sigma, double sqrt_weight, double delta)
      : data_(data),
        log_error_(log_error),
        centre_(centre),
        prior_(std::move(prior)),
        inv_sigma_(inv_sigma),
        sqrt_weight_(sqrt_weight),
        delta_(delta) {
    set_num_residuals(static_cast<int>(data_->size() + prior_.size()));
    mutable_parameter_block_sizes()->push_back(3);
    mutable_parameter_block_sizes()->push_back(2);
  }

  bool Evaluate(double const* const* parameters, double* residuals, double** jacobians) const override {
    const double* base = parameters[0];
    const double* anneal = parameters[1];
    const size_t n = data_->size();
    const size_t rows = n + prior_.size();
    double* j_base = jacobians != nullptr ? jacobians[0] : nullptr;
    double* j_anneal = jacobians != nullptr ? jacobians[1] : nullptr;
    if (j_base != nullptr) std::fill(j_base, j_base + 3 * rows, 0.0);
    if (j_anneal != nullptr) std::fill(j_anneal, j_anneal + 2 * rows, 0.0);
    const std::pair<double, double> final_annealing = final_annealing_of(anneal);
    for (size_t i = 0; i < n; ++i) {
      const ModelValue m = model_value(base, anneal, final_annealing, (*data_)[i]);
      const double z = (m.log_value - (*log_error_)[i]) * inv_sigma_;
      double root = z, slope = 1;
      if (std::abs(z) > delta_) {
        root = std::copysign(std::sqrt(2 * delta_ * std::abs(z) - delta_ * delta_), z);
        slope = delta_ / std::abs(root);
      }
      residuals[i] = sqrt_weight_ * root;
      const double scale = sqrt_weight_ * slope * inv_sigma_;
      for (int k = 0; k < 3 && j_base != nullptr; ++k) j_base[3 * i + k] = scale * m.d_base[k];
      for (int k = 0; k < 2 && j_anneal != nullptr; ++k) j_anneal[2 * i + k] = scale * m.d_anneal[k];
    }
    for (size_t k = 0; k < prior_.size(); ++k) {
      const PriorTerm& t = prior_[k];
      const double v = t.in_anneal ? anneal[t.index] : base[t.index];
      residuals[n + k] = (v - (*centre_)[k]) * t.inv_sd;
      double* j = t.in_anneal ? j_anneal : j_base;
      if (j != nullptr) j[(n + k) * (t.in_anneal ? 2 : 3) + t.index] = t.inv_sd;
    }
    return true;
  }

 private:
  const std::vector<Datum>* data_;
  const std::vector<double>* log_error_;
  const std::vector<double>* centre_;
  std::vector<PriorTerm> prior_;
  double inv_sigma_, sqrt_weight_, delta_;
};

bool is_finite(const Theta& t) {
  const auto finite = [](double v) { return std::isfinite(v); };
  return std::all_of(t.base.begin(), t.base.end(), finite) && std::all_of(t.anneal.begin(), t.anneal.end(), finite);
}

struct Solution {
  Theta theta;
  double objective = kNaN;
  bool converged = false;
  bool ok = false;
};

// Levenberg–Marquardt with dense QR on one thread (replicates run in parallel instead). The
// stopping rules are relative, and looser than fit.h's: a replicate's Ê(S) no longer moves at 1e-8.
ceres::Solver::Options solver_options(int max_iterations) {
  ceres::Solver::Options o;
  o.max_num_iterations = max_iterations;
  o.logging_type = ceres::SILENT;
  o.function_tolerance = o.parameter_tolerance = 1e-8;
  o.gradient_tolerance = 1e-10;
  o.linear_solver_type = ceres::DENSE_QR;
  o.num_threads = 1;
  return o;
}

// One problem over a run's points (and the prior, when given), solved from as many starts, and
// with as many perturbed data and prior centres, as needed.
class CurveSolver {
 public:
  CurveSolver(const Prepared& prepared, const CurvePrior* prior, double sigma, double weight,
              const CurveFitOptions& options)
      : anneals_(prepared.anneals), data_(prepared.data) {
    for (const Datum& d : data_) log_error_.push_back(d.log_error);
    std::vector<PriorTerm> terms;
    if (prior != nullptr) {
      for (size_t k = 0; k < prior->names.size(); ++k) {
        const std::string& name = prior->names[k];
        PriorTerm t;
        t.in_anneal = name == "c" || name == "lag";
        if (t.in_anneal && !anneals_) continue;
        t.index = name == "a" ? 2 : name == "c" ? 0 : 1;
        t.inv_sd = 1.0 / prior->sd[k];
        terms.push_back(t);
        centre_.push_back(prior->mean[k]);
        centre_index_.push_back(k);
      }
    }
    auto* cost = new CurveCost(&data_, &log_error_, &centre_, std::move(terms), 1.0 / sigma, std::sqrt(weight),
                               options.huber_delta);
    problem_.AddResidualBlock(cost, nullptr, theta_.base.data(), theta_.anneal.data());
    double min_log = std::numeric_limits<double>::infinity(), max_log = -min_log;
    for (const Datum& d : data_) {
      min_log = std::min(min_log, d.log_error);
      max_log = std::max(max_log, d.log_error);
    }
    lower0_ = min_log - 25;
    upper0_ = max_log + std::log(2.0);
    problem_.SetParameterLowerBound(theta_.base.data(), 0, lower0_);
    problem_.SetParameterUpperBound(theta_.base.data(), 0, upper0_);
    problem_.SetParameterLowerBound(theta_.base.data(), 2, kMinExponent);
    problem_.SetParameterUpperBound(theta_.base.data(), 2, kMaxExponent);
    if (anneals_) {
      problem_.SetParameterLowerBound(theta_.anneal.data(), 0, 0.0);
      problem_.SetParameterUpperBound(theta_.anneal.data(), 0, kMaxAnnealingGain);
      problem_.SetParameterLowerBound(theta_.anneal.data(), 1, kMinLag);
      problem_.SetParameterUpperBound(theta_.anneal.data(), 1, kMaxLag);
    } else {
      problem_.SetParameterBlockConstant(theta_.anneal.data());
    }
    solver_ = solver_options(options.max_iterations);
  }

  /// ln E_i the fit sees; replicates overwrite it.
  std::vector<double>& log_error() { return log_error_; }
  /// Sets the prior's centre (prior->mean order; terms the solver dropped are ignored).
  void set_prior_centre(const std::vector<double>& centre) {
    for (size_t j = 0; j < centre_.size(); ++j) centre_[j] = centre[centre_index_[j]];
  }

  Solution solve(Theta start) {
    start.base[0] = std::clamp(start.base[0], lower0_, upper0_);
    start.base[2] = std::clamp(start.base[2], kMinExponent, kMaxExponent);
    start.anneal[0] = anneals_ ? std::clamp(start.anneal[0], 0.0, kMaxAnnealingGain) : 0.0;
    start.anneal[1] = std::clamp(start.anneal[1], kMinLag, kMaxLag);
    theta_ = start;
    ceres::Solver::Summary summary;
    ceres::Solve(solver_, &problem_, &summary);
    const bool finite = is_finite(theta_) && std::isfinite(summary.final_cost);
    Solution out{theta_, kNaN, summary.termination_type == ceres::CONVERGENCE, finite && summary.IsSolutionUsable()};
    if (out.ok) out.objective = summary.final_cost;
    return out;
  }

 private:
  bool anneals_;
  std::vector<Datum> data_;
  std::vector<double> log_error_;
  std::vector<double> centre_;
  std::vector<size_t> centre_index_;
  Theta theta_;
  double lower0_ = 0, upper0_ = 0;
  ceres::Problem problem_;
  ceres::Solver::Options solver_;
};

double log_value(const Theta& t, const Datum& d) {
  return model_value(t.base.data(), t.anneal.data(), final_annealing_of(t.anneal.data()), d).log_value;
}

// The annealing term's value at `d` for gain and lag: what a start divides out.
double annealing_factor(const Datum& d, double gain, double lag) {
  return 1 - (d.decays ? gain * lagged_cosine_annealing(d.x, d.cos_x, d.sin_x, lag) /
                             lagged_cosine_annealing(1.0, -1.0, 0.0, lag)
                       : 0.0);
}

std::vector<double> residuals_of(const Theta& t, const Prepared& prepared) {
  std::vector<double> r;
  for (const Datum& d : prepared.data) r.push_back(log_value(t, d) - d.log_error);
  return r;
}

CurveFit to_fit(const Theta& t, CurveModel model, double centre) {
  CurveFit fit;
  fit.model = model;
  fit.params = {std::exp(t.base[0]), std::exp(t.base[1] + t.base[2] * centre), t.base[2]};
  if (is_annealed(model)) {
    fit.params.push_back(t.anneal[0]);
    fit.params.push_back(t.anneal[1]);
  }
  return fit;
}

// Start 1: the saturating law of fit.h (variable-projection grid + multi-start, Huber ≈ L1 on
// log residuals) on (t, E / annealing factor), the annealing term held at (gain, lag).
Theta saturating_start(const Prepared& prepared, double gain, double lag) {
  std::vector<FitPoint> points;
  for (const Datum& d : prepared.data) {
    FitPoint p;
    p.input.x = d.time;
    p.error = std::exp(d.log_error) / annealing_factor(d, gain, lag);
    points.push_back(p);
  }
  FitOptions o;
  o.law = LawForm::kSaturating;
  o.loss = LossKind::kHuber;
  o.huber_delta = 1e-3;
  o.refine_starts = 4;
  o.threads = 1;
  const FitResult r = fit_law(points, o);
  Theta t;
  t.base = {std::log(r.law.params[0]), std::log(r.law.params[1]) - r.law.params[2] * prepared.centre, r.law.params[2]};
  t.anneal = {gain, lag};
  return t;
}

// Start 2: a given shape; E∞ >= 0 and A >= 0 by weighted least squares of
// E / annealing factor = E∞ + A·e^(−a·u) (weights 1/E², so the residual approximates the log one).
Theta shape_start(const Prepared& prepared, double a, double gain, double lag) {
  double sw = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const Datum& d : prepared.data) {
    const double y = std::exp(d.log_error) / annealing_factor(d, gain, lag);
    const double x = std::exp(-a * d.u);
    const double w = 1 / (y * y);
    sw += w, sx += w * x, sy += w * y, sxx += w * x * x, sxy += w * x * y;
  }
  const double det = sw * sxx - sx * sx;
  double e = det > 0 ? (sy * sxx - sx * sxy) / det : 0.0;
  double amp = det > 0 ? (sw * sxy - sx * sy) / det : sxy / sxx;
  if (e < 0) e = 0, amp = sxy / sxx;
  if (amp <= 0) amp = 1e-6 * sy / sw, e = sy / sw;
  Theta t;
  t.base = {std::log(std::max(e, 1e-300)), std::log(amp), a};
  t.anneal = {gain, lag};
  return t;
}

double prior_mean(const CurvePrior& prior, const std::string& name) {
  for (size_t k = 0; k < prior.names.size(); ++k) {
    if (prior.names[k] == name) return prior.mean[k];
  }
  return 0.0;
}

struct MapFit {
  Solution best;
  double sigma = 0;
  double weight = 1;
};

// The MAP fit: σ from the prior, or robustly from the start fit's residuals; the best of the starts.
MapFit map_fit(const Prepared& prepared, const CurvePrior* prior, const CurveFitOptions& options) {
  std::vector<Theta> starts;
  if (prior != nullptr) {
    const double gain = prepared.anneals ? prior_mean(*prior, "c") : 0.0;
    const double lag = prepared.anneals ? prior_mean(*prior, "lag") : kMinLag;
    starts.push_back(saturating_start(prepared, gain, lag));
    starts.push_back(shape_start(prepared, prior_mean(*prior, "a"), gain, lag));
  } else if (prepared.anneals) {
    // One saturating fit for the head; the annealing term from a small grid with E∞, A solved linearly.
    starts.push_back(saturating_start(prepared, 0.0, kMinLag));
    const double a = starts.back().base[2];
    for (const double gain : {0.2, 0.4}) {
      for (const double lag : {0.05, 0.3}) starts.push_back(shape_start(prepared, a, gain, lag));
    }
  } else {
    starts.push_back(saturating_start(prepared, 0.0, kMinLag));
  }
  if (prior == nullptr) starts.push_back(shape_start(prepared, kFallbackExponent, 0.0, kMinLag));
  MapFit out;
  if (prior != nullptr) {
    out.sigma = std::max(prior->noise, kMinNoise);
    const double rho = std::clamp(prior->autocorrelation, 0.0, kMaxAutocorrelation);
    out.weight = options.autocorrelation_weight ? (1 - rho) / (1 + rho) : 1.0;
  } else {
    double scale = kNaN;
    for (const Theta& start : starts) {
      if (!std::isfinite(scale)) scale = robust_scale(residuals_of(start, prepared));
    }
    out.sigma = std::isfinite(scale) ? std::max(scale, kMinNoise) : kFallbackNoise;
  }
  CurveSolver solver(prepared, prior, out.sigma, out.weight, options);
  for (const Theta& start : starts) {
    if (!is_finite(start)) continue;
    const Solution s = solver.solve(start);
    if (s.ok && (!out.best.ok || s.objective < out.best.objective)) out.best = s;
  }
  return out;
}

// Ê(S) of internal parameters.
double final_value(const Theta& t, const Prepared& prepared, CurveModel model, const CurveSchedule& schedule) {
  Datum d;
  d.u = std::log(curve_time(model, schedule, schedule.target_samples)) - prepared.centre;
  d.x = 1.0;
  d.cos_x = -1.0;
  d.sin_x = 0.0;
  d.decays = prepared.anneals;
  return std::exp(log_value(t, d));
}

struct ModelInfo {
  CurveModel model;
  const char* name;
  const char* formula;
};

constexpr ModelInfo kModels[] = {
    {CurveModel::kPowerOffset, "power", "E = e_inf + A*s^-a"},
    {CurveModel::kEffectiveTime, "effective-time", "E = e_inf + A*tau^-a"},
    {CurveModel::kAnnealed, "annealed", "E = (e_inf + A*tau^-a) * (1 - c*ann(s, lag)/ann(S, lag))"},
};

const ModelInfo& model_info(CurveModel model) {
  for (const ModelInfo& m : kModels) {
    if (m.model == model) return m;
  }
  return kModels[0];
}

CurvePrediction failed(std::string problem) {
  CurvePrediction p;
  p.ok = false;
  p.problem = std::move(problem);
  p.final_error = p.lo80 = p.hi80 = p.lo95 = p.hi95 = kNaN;
  return p;
}

}  // namespace

std::string curve_model_name(CurveModel model) { return model_info(model).name; }

CurveModel parse_curve_model(const std::string& text, const std::string& flag) {
  for (const ModelInfo& m : kModels) {
    if (text == m.name) return m.model;
  }
  throw core::UserError(flag + " = '" + text + "' is not a learning-curve model. HINT: use power (E = e_inf + " +
                        "A*s^-a), effective-time (E = e_inf + A*tau^-a) or annealed (the default).");
}

std::string curve_model_formula(CurveModel model) { return model_info(model).formula; }

const std::vector<std::string>& curve_parameter_names(CurveModel model) {
  static const std::vector<std::string> three = {"e_inf", "A", "a"};
  static const std::vector<std::string> five = {"e_inf", "A", "a", "c", "lag"};
  return is_annealed(model) ? five : three;
}

const std::vector<std::string>& curve_shape_names(CurveModel model) {
  static const std::vector<std::string> one = {"a"};
  static const std::vector<std::string> three = {"a", "c", "lag"};
  return is_annealed(model) ? three : one;
}

double CurveFit::value(double samples, const CurveSchedule& schedule) const {
  CLIPSCALE_CHECK_EQ(params.size(), curve_parameter_names(model).size()) << "parameters of a curve fit";
  const double t = curve_time(model, schedule, samples);
  const double base = params[0] + params[1] * std::pow(t, -params[2]);
  if (!is_annealed(model) || schedule.kind != ScheduleKind::kCosine) return base;
  return base * (1 - params[3] * schedule.annealing(samples, params[4]) /
                         schedule.annealing(schedule.target_samples, params[4]));
}

double CurveFit::param(const std::string& name) const {
  const auto& names = curve_parameter_names(model);
  const auto it = std::find(names.begin(), names.end(), name);
  CLIPSCALE_CHECK(it != names.end()) << "a " << curve_model_name(model) << " curve has no parameter " << name;
  return params.at(static_cast<size_t>(it - names.begin()));
}

std::string CurvePrior::describe() const {
  if (!ok) return "no prior (" + problem + ")";
  std::string text;
  for (size_t k = 0; k < names.size(); ++k) {
    text += fmt::format("{}{} ~ N({:.3g}, {:.3g}^2)", k ? ", " : "", names[k], mean[k], sd[k]);
  }
  return text + fmt::format("; sigma {:.3g}, rho {:.2f}; {}: {} runs ({} skipped)", noise, autocorrelation, scope, runs,
                            skipped.size());
}

bool CurveFitOptions::is_valid(const std::string& prefix, std::string* error) const {
  if (min_points < 4) {
    *error = fmt::format(
        "{}min_points = {} violates min_points >= 4 (the start fit has 3 parameters). HINT: the "
        "default is 4.",
        prefix, min_points);
    return false;
  }
  if (!(huber_delta > 0 && std::isfinite(huber_delta))) {
    *error = fmt::format("{}huber_delta = {} violates huber_delta > 0. HINT: 1.345 (in units of the noise scale).",
                         prefix, huber_delta);
    return false;
  }
  if (resamples < 0) {
    *error =
        fmt::format("{}resamples = {} violates resamples >= 0. HINT: 400 for 80%/95% intervals.", prefix, resamples);
    return false;
  }
  if (max_iterations < 1) {
    *error = fmt::format("{}max_iterations = {} violates max_iterations >= 1. HINT: the default is 200.", prefix,
                         max_iterations);
    return false;
  }
  return true;
}

std::string CurveFitOptions::describe() const {
  return fmt::format(
      "Huber (delta = {:g} sigma) on ln-residuals; Ceres Levenberg-Marquardt from the saturating-law multi-start; "
      "points inside the warm-up {}; intervals from {} randomised-MAP replicates (seed {}: data perturbed by the "
      "noise scale, prior centres drawn from Student-t){}",
      huber_delta, skip_warmup ? "left out" : "kept", resamples, seed,
      autocorrelation_weight ? "; under a prior the data are weighted by (1 - rho)/(1 + rho)" : "");
}

double CurvePrediction::quantile(double q) const { return analysis::quantile(replicates, q); }

std::pair<double, double> CurvePrediction::interval(double level) const {
  return {quantile((1 - level) / 2), quantile((1 + level) / 2)};
}

CurvePrediction predict_final(const std::vector<CurvePoint>& points, const CurveSchedule& schedule,
                              const CurvePrior* prior, const CurveFitOptions& options) {
  if (prior != nullptr && !prior->ok) return failed("the shared prior is unusable: " + prior->problem);
  if (prior != nullptr && prior->model != options.model) {
    return failed(
        fmt::format("the shared prior was fitted for the {} model, not {}. HINT: fit the prior with the "
                    "same options.model.",
                    curve_model_name(prior->model), curve_model_name(options.model)));
  }
  const Prepared prepared = prepare(points, schedule, options);
  if (!prepared.problem.empty()) return failed(prepared.problem);
  const MapFit map = map_fit(prepared, prior, options);
  if (!map.best.ok) return failed("the fit failed from every start (Ceres found no usable solution)");

  CurvePrediction out;
  out.ok = true;
  out.used_prior = prior != nullptr;
  out.points_used = static_cast<int>(prepared.used.size());
  out.last_samples = prepared.used.back().samples;
  out.fit = to_fit(map.best.theta, options.model, prepared.centre);
  out.fit.sigma = map.sigma;
  out.fit.objective = map.best.objective;
  out.fit.converged = map.best.converged;
  out.final_error = final_value(map.best.theta, prepared, options.model, schedule);

  // Replicates. Without a prior the perturbation is the residual scale corrected for the
  // parameters fitted (√(n / (n − p))); with one it is the prior's σ over √w.
  const std::vector<double> residuals = residuals_of(map.best.theta, prepared);
  const double n = static_cast<double>(residuals.size());
  const double p = static_cast<double>(curve_parameter_names(options.model).size());
  const double spread = prior != nullptr
                            ? map.sigma / std::sqrt(map.weight)
                            : std::max(robust_scale(residuals), kMinNoise) * std::sqrt(n / std::max(n - p, 1.0));
  const double final_noise = prior != nullptr ? map.sigma : spread;
  out.replicates.assign(static_cast<size_t>(options.resamples), kNaN);
  parallel_for(out.replicates.size(), options.threads, [&](size_t begin, size_t end, int /*worker*/) {
    CurveSolver solver(prepared, prior, map.sigma, map.weight, options);
    std::vector<double> centre(prior != nullptr ? prior->mean.size() : 0);
    for (size_t b = begin; b < end; ++b) {
      core::Rng rng(core::hash_combine(options.seed, b));
      for (size_t i = 0; i < prepared.data.size(); ++i) {
        solver.log_error()[i] = prepared.data[i].log_error + spread * normal(rng);
      }
      if (prior != nullptr) {
        for (size_t k = 0; k < prior->mean.size(); ++k) {
          centre[k] = prior->mean[k] + prior->sd[k] * student_t(rng, prior->runs - 1);
        }
        solver.set_prior_centre(centre);
      }
      const Solution s = solver.solve(map.best.theta);
      const double z = normal(rng);
      if (s.ok) out.replicates[b] = final_value(s.theta, prepared, options.model, schedule) * std::exp(final_noise * z);
    }
  });
  for (const double v : out.replicates) out.replicates_failed += !std::isfinite(v);
  std::tie(out.lo80, out.hi80) = out.interval(0.80);
  std::tie(out.lo95, out.hi95) = out.interval(0.95);
  return out;
}

RunShape fit_run_shape(const RunCurve& run, const CurveFitOptions& options) {
  RunShape shape;
  shape.id = run.id;
  shape.group = run.group;
  const Prepared prepared = prepare(run.points, run.schedule, options);
  if (!prepared.problem.empty()) {
    shape.problem = prepared.problem;
    return shape;
  }
  const size_t needed = kShapePointsPerParameter * curve_parameter_names(options.model).size();
  if (prepared.used.size() < needed) {
    shape.problem = fmt::format(
        "too few points for a shape ({} < {}, {} per parameter){}", prepared.used.size(), needed,
        kShapePointsPerParameter,
        prepared.left_out_warmup > 0 ? fmt::format(" after {} inside the warm-up", prepared.left_out_warmup) : "");
    return shape;
  }
  if (prepared.used.back().samples < kFinishedFraction * run.schedule.target_samples) {
    shape.problem = fmt::format("not finished: last point at {:.3g} of {:.3g} samples (< {:g} of the target)",
                                prepared.used.back().samples, run.schedule.target_samples, kFinishedFraction);
    return shape;
  }
  const MapFit map = map_fit(prepared, nullptr, options);
  if (!map.best.ok) {
    shape.problem = "the fit failed from every start";
    return shape;
  }
  shape.ok = true;
  shape.fit = to_fit(map.best.theta, options.model, prepared.centre);
  shape.fit.sigma = map.sigma;
  shape.fit.objective = map.best.objective;
  shape.fit.converged = map.best.converged;
  const std::vector<double> residuals = residuals_of(map.best.theta, prepared);
  shape.noise = robust_scale(residuals);
  shape.autocorrelation = lag1_autocorrelation(residuals);
  // The gain and lag are not identified on a schedule that does not decay; mark them so pooling skips them.
  if (is_annealed(options.model) && !prepared.anneals) shape.fit.params[3] = shape.fit.params[4] = kNaN;
  return shape;
}

CurvePrior pool_shapes(const std::vector<RunShape>& shapes, CurveModel model, const std::string& exclude_id,
                       const std::string& group) {
  CurvePrior prior;
  prior.model = model;
  prior.names = curve_shape_names(model);
  const auto excluded = [&](const RunShape& s) { return !exclude_id.empty() && s.id == exclude_id; };
  const auto usable = [&](const RunShape& s) { return s.ok && s.fit.model == model && !excluded(s); };
  int in_group = 0;
  for (const RunShape& s : shapes) in_group += !group.empty() && s.group == group && usable(s);
  const bool by_group = in_group >= kMinPriorRuns;
  prior.scope = by_group        ? "group " + group
                : group.empty() ? "all runs"
                                : fmt::format("all runs (group {} has {} < {})", group, in_group, kMinPriorRuns);
  std::vector<const RunShape*> used;
  for (const RunShape& s : shapes) {
    if (excluded(s) || (by_group && s.group != group)) continue;
    if (!s.ok) {
      prior.skipped.push_back(s.id + ": " + s.problem);
    } else if (s.fit.model != model) {
      prior.skipped.push_back(s.id + ": fitted with the " + curve_model_name(s.fit.model) + " model");
    } else {
      used.push_back(&s);
    }
  }
  prior.runs = static_cast<int>(used.size());
  if (prior.runs < kMinPriorRuns) {
    prior.problem = fmt::format("{} runs could be fitted (< {}); skipped: {}", prior.runs, kMinPriorRuns,
                                prior.skipped.empty() ? "none" : fmt::format("{}", fmt::join(prior.skipped, "; ")));
    return prior;
  }
  std::vector<double> noises, rhos;
  for (const RunShape* s : used) {
    noises.push_back(s->noise);
    rhos.push_back(s->autocorrelation);
  }
  prior.noise = std::max(median(noises), kMinNoise);
  prior.autocorrelation = std::clamp(median(rhos), 0.0, kMaxAutocorrelation);
  for (const std::string& name : prior.names) {
    std::vector<double> values;
    for (const RunShape* s : used) {
      const double v = s->fit.param(name);
      if (std::isfinite(v)) values.push_back(v);
    }
    if (static_cast<int>(values.size()) < kMinPriorRuns) {
      // Only the annealing gain and lag can lack values (no run decays its learning rate): leave them free.
      prior.mean.push_back(name == "c" ? 0.0 : kMaxLag / 2);
      prior.sd.push_back(name == "c" ? kMaxAnnealingGain : kMaxLag);
      continue;
    }
    const double inflation = std::sqrt(1 + 1 / static_cast<double>(values.size()));
    prior.mean.push_back(median(values));
    prior.sd.push_back(std::max(robust_scale(values) * inflation, kMinShapeSd));
  }
  prior.ok = true;
  return prior;
}

CurvePrior fit_shared_prior(const std::vector<RunCurve>& runs, const CurveFitOptions& options,
                            const std::string& group) {
  std::vector<RunShape> shapes;
  for (const RunCurve& run : runs) shapes.push_back(fit_run_shape(run, options));
  return pool_shapes(shapes, options.model, "", group);
}

}  // namespace clipscale::analysis
