#include "analysis/study.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>

#include <fmt/format.h>

#include "analysis/predict.h"
#include "core/error.h"

namespace clipscale::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr const char* kAllocationExponent = "n_opt_exponent";

bool all_finite(const std::vector<double>& values) {
  return std::all_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

LawInput input_of(const Observation& o) { return {o.x, o.n, o.d}; }

double rms(const std::vector<double>& values) {
  if (values.empty()) return kNaN;
  double sum = 0;
  for (const double v : values) sum += v * v;
  return std::sqrt(sum / static_cast<double>(values.size()));
}

// Points of `observations` under the study's rule, or a message saying why they are too few.
std::optional<std::vector<FitPoint>> usable_points(const std::vector<Observation>& observations, const StudyOptions& o,
                                                   std::string* why) {
  const LawForm form = o.fit.law;
  std::vector<FitPoint> points = select_points(observations, form, o.frontier);
  const size_t distinct = distinct_inputs(points, form);
  if (points.size() < min_points(form) || distinct < law_parameter_count(form)) {
    *why = fmt::format(
        "{} runs give {} points ({} distinct) under the rule '{}'; a {} law needs at least {} points "
        "and {} distinct",
        observations.size(), points.size(), distinct, frontier_name(o.frontier.rule), law_name(form), min_points(form),
        law_parameter_count(form));
    return std::nullopt;
  }
  return points;
}

std::vector<double> geometric_grid(double lo, double hi, int count) {
  std::vector<double> grid;
  for (int i = 0; i < count; ++i) grid.push_back(lo * std::pow(hi / lo, i / double(std::max(count - 1, 1))));
  return grid;
}

// Replicate values of f(law) over the bootstrap, NaN where a replicate failed.
template <typename F>
std::vector<double> over_replicates(const std::vector<Law>& replicates, const F& f) {
  std::vector<double> values;
  values.reserve(replicates.size());
  for (const Law& law : replicates) values.push_back(all_finite(law.params) ? f(law) : kNaN);
  return values;
}

HoldoutCheck leave_largest_out(const std::vector<Observation>& observations, const Law& full, const StudyOptions& o) {
  HoldoutCheck check;
  const int n = static_cast<int>(observations.size());
  check.held_out = o.holdout >= 0 ? o.holdout : std::max(1, static_cast<int>(std::lround(0.1 * n)));
  check.rms_log_error = check.rms_log_error_full = kNaN;
  if (check.held_out == 0) {
    check.note = "disabled (--holdout 0)";
    return check;
  }
  if (check.held_out >= n) {
    check.note = fmt::format("{} runs can't leave out {}", n, check.held_out);
    return check;
  }
  std::vector<size_t> order(observations.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return observations[a].x > observations[b].x; });
  std::vector<Observation> kept;
  for (size_t i = static_cast<size_t>(check.held_out); i < order.size(); ++i) kept.push_back(observations[order[i]]);
  std::string why;
  const auto points = usable_points(kept, o, &why);
  if (!points) {
    check.note = fmt::format("without the {} runs of largest x, {}", check.held_out, why);
    return check;
  }
  const FitResult reduced = fit_law(*points, o.fit);
  if (!all_finite(reduced.law.params)) {
    check.note = "the fit without the largest runs failed";
    return check;
  }
  check.fitted = true;
  check.params = reduced.law.params;
  std::vector<double> log_errors, log_errors_full;
  for (int i = 0; i < check.held_out; ++i) {
    const Observation& run = observations[order[static_cast<size_t>(i)]];
    HoldoutRow row;
    row.id = run.id;
    row.x = run.x;
    row.observed = run.error;
    row.predicted = reduced.law.value(input_of(run));
    row.predicted_full = full.value(input_of(run));
    log_errors.push_back(std::log(row.predicted / row.observed));
    log_errors_full.push_back(std::log(row.predicted_full / row.observed));
    check.rows.push_back(row);
  }
  check.rms_log_error = rms(log_errors);
  check.rms_log_error_full = rms(log_errors_full);
  return check;
}

}  // namespace

bool StudyOptions::is_valid(const std::string& prefix, std::string* error) const {
  if (!fit.is_valid(prefix, error) || !frontier.is_valid(prefix, error) || !bootstrap.is_valid(prefix, error)) {
    return false;
  }
  if (fit.law == LawForm::kJoint && frontier.rule != FrontierRule::kAll) {
    *error = fmt::format(
        "{}frontier = {} needs a one-variable law; the joint law is fitted to every run. HINT: use "
        "--frontier all with --law joint.",
        prefix, frontier_name(frontier.rule));
    return false;
  }
  for (const double x : predict_at) {
    if (!(x > 0) || !std::isfinite(x)) {
      *error = fmt::format("{}at = {} violates x > 0. HINT: e.g. --at 1e21,1e22.", prefix, x);
      return false;
    }
  }
  if (holdout < -1) {
    *error = fmt::format("{}holdout = {} violates holdout >= 0. HINT: 0 disables the check.", prefix, holdout);
    return false;
  }
  if (!(compute_per_nd >= 0) || !std::isfinite(compute_per_nd)) {
    *error = fmt::format("{}compute-per-nd = {} violates k >= 0 (0: estimate). HINT: 6 for C = 6ND.", prefix,
                         compute_per_nd);
    return false;
  }
  if (curve_points < 2) {
    *error = fmt::format("{}curve-points = {} violates curve_points >= 2.", prefix, curve_points);
    return false;
  }
  return true;
}

Law FitSummary::fitted_law() const {
  Law out;
  out.form = law;
  for (size_t i = 0; i < law_parameter_count(law); ++i) out.params.push_back(parameters.at(i).estimate.value);
  return out;
}

const Estimate& FitSummary::parameter(const std::string& name) const {
  for (const ParameterRow& p : parameters) {
    if (p.name == name) return p.estimate;
  }
  CLIPSCALE_CHECK(false) << "fit '" << info.name << "' has no parameter " << name;
  return parameters.front().estimate;
}

Law FitSummary::replicate(size_t index) const { return Law{law, replicates.at(index)}; }

FitSummary run_study(const Series& series, const StudyOptions& o) {
  std::string invalid;
  CLIPSCALE_CHECK(o.is_valid("--", &invalid)) << invalid;
  const std::vector<Observation>& runs = series.observations;
  const LawForm form = o.fit.law;
  const std::string where = fmt::format("{} ({})", series.info.name, series.info.source);
  if (runs.empty()) {
    throw core::UserError(where + ": no runs are left to fit. HINT: check --where, --variant and the status column.");
  }
  std::string why;
  const auto points = usable_points(runs, o, &why);
  if (!points) {
    throw core::UserError(fmt::format("{}: {}. HINT: add runs, use --frontier all, or fewer --bins.", where, why));
  }
  const FitResult fit = fit_law(*points, o.fit);
  if (!all_finite(fit.law.params)) {
    throw core::UserError(
        fmt::format("{}: the {} law could not be fitted (no start converged). HINT: try --law power, "
                    "--loss squared, or more --refine-starts.",
                    where, law_name(form)));
  }

  FitSummary s;
  s.info = series.info;
  s.law = form;
  s.estimator = o.fit.describe();
  s.points_rule = form == LawForm::kJoint ? FrontierOptions{}.describe() : o.frontier.describe();
  s.n_runs = static_cast<int>(runs.size());
  s.objective = fit.objective;
  s.rms_log_residual = rms(fit.residuals);
  s.starts = fit.starts;
  s.starts_at_best = fit.starts_at_best;
  s.converged = fit.converged;
  s.level = o.bootstrap.level;
  s.seed = o.bootstrap.seed;
  s.resamples = o.bootstrap.resamples;
  const double k = form != LawForm::kJoint ? kNaN : (o.compute_per_nd > 0 ? o.compute_per_nd : compute_per_nd(runs));
  s.compute_per_nd = k;

  const Refit refit = [&](const std::vector<Observation>& resample) -> std::optional<Law> {
    const std::vector<FitPoint> p = select_points(resample, form, o.frontier);
    FitResult r = refine_law(p, o.fit, fit.law);
    if (!all_finite(r.law.params)) return std::nullopt;
    return r.law;
  };
  const BootstrapResult boot = bootstrap(runs, form, refit, o.bootstrap);
  s.failed_resamples = boot.failed;
  for (const Law& law : boot.replicates) s.replicates.push_back(law.params);

  const std::vector<std::string>& names = law_parameter_names(form);
  for (size_t j = 0; j < names.size(); ++j) {
    s.parameters.push_back(
        {names[j], summarize(fit.law.params[j],
                             over_replicates(boot.replicates, [j](const Law& l) { return l.params[j]; }), s.level)});
  }
  if (form == LawForm::kJoint) {
    s.parameters.push_back(
        {kAllocationExponent,
         summarize(allocation_exponent(fit.law), over_replicates(boot.replicates, allocation_exponent), s.level)});
  }

  for (size_t i = 0; i < runs.size(); ++i) {
    ObservationRow row;
    row.id = runs[i].id;
    row.x = runs[i].x;
    row.n = runs[i].n;
    row.d = runs[i].d;
    row.error = runs[i].error;
    row.fitted = fit.law.value(input_of(runs[i]));
    s.runs.push_back(row);
  }
  for (size_t i = 0; i < points->size(); ++i) {
    const FitPoint& p = (*points)[i];
    s.runs[p.source].on_frontier = true;
    s.points.push_back(
        {runs[p.source].id, form == LawForm::kJoint ? runs[p.source].x : p.input.x, p.error, fit.residuals[i]});
  }

  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const Observation& r : runs) {
    lo = std::min(lo, r.x);
    hi = std::max(hi, r.x);
  }
  std::vector<double> at = o.predict_at;
  if (at.empty()) at = {hi, 10 * hi, 100 * hi};
  for (const double x : at) {
    PredictionRow row;
    row.x = x;
    row.error =
        summarize(predict_error(fit.law, x, k),
                  over_replicates(boot.replicates, [&](const Law& l) { return predict_error(l, x, k); }), s.level);
    if (form == LawForm::kJoint) {
      row.n = summarize(compute_optimal(fit.law, x, k).n,
                        over_replicates(boot.replicates, [&](const Law& l) { return compute_optimal(l, x, k).n; }),
                        s.level);
      row.d = summarize(compute_optimal(fit.law, x, k).d,
                        over_replicates(boot.replicates, [&](const Law& l) { return compute_optimal(l, x, k).d; }),
                        s.level);
    } else {
      row.n = row.d = Estimate{kNaN, kNaN, kNaN, kNaN};
    }
    s.predictions.push_back(row);
    hi = std::max(hi, x);
  }
  if (lo > 0 && std::isfinite(lo)) {
    for (const double x : geometric_grid(lo / 1.5, hi * 1.5, o.curve_points)) {
      const Estimate e =
          summarize(predict_error(fit.law, x, k),
                    over_replicates(boot.replicates, [&](const Law& l) { return predict_error(l, x, k); }), s.level);
      s.curve.push_back({x, e.value, e.lo, e.hi});
    }
  }
  s.holdout = leave_largest_out(runs, fit.law, o);
  return s;
}

}  // namespace clipscale::analysis
