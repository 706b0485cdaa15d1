#include "analysis/learning_curve_calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>

#include "analysis/bootstrap.h"
#include "analysis/fit.h"
#include "analysis/parallel_for.h"
#include "core/error.h"
#include "core/hash.h"

namespace clipscale::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const io::Column& require_column(const io::Table& table, const std::string& origin, const std::string& name,
                                 const std::string& hint) {
  const io::Column* column = table.find(name);
  if (column == nullptr) {
    throw core::UserError(fmt::format("{}: column '{}' not found (expected it beside {} columns). HINT: {}", origin,
                                      name, table.columns().size(), hint));
  }
  return *column;
}

std::vector<double> numbers(const io::Table& table, const std::string& origin, const std::string& name,
                            const std::string& hint) {
  const io::Column& column = require_column(table, origin, name, hint);
  if (std::holds_alternative<std::vector<std::string>>(column.values)) {
    throw core::UserError(fmt::format("{}: column '{}' holds text, expected numbers. HINT: {}", origin, name, hint));
  }
  return table.numbers(name);
}

// The first phrase of a problem, without its numbers: "too few points (1 < 4) ..." → "too few points".
std::string reason_of(const std::string& problem) {
  const size_t end = problem.find_first_of("(:");
  std::string reason = problem.substr(0, end);
  while (!reason.empty() && reason.back() == ' ') reason.pop_back();
  return reason;
}

std::vector<CurvePoint> points_up_to(const RunCurve& run, double cut) {
  std::vector<CurvePoint> kept;
  const double limit = cut * run.schedule.target_samples * (1 + 1e-12);
  for (const CurvePoint& p : run.points) {
    if (p.samples <= limit) kept.push_back(p);
  }
  return kept;
}

// The baselines see the points the headline fit used: after the warm-up, up to the cut.
std::vector<CurvePoint> baseline_points(const RunCurve& run, double cut, bool skip_warmup) {
  std::vector<CurvePoint> kept;
  for (const CurvePoint& p : points_up_to(run, cut)) {
    if (!skip_warmup || p.samples >= run.schedule.warmup_samples) kept.push_back(p);
  }
  std::stable_sort(kept.begin(), kept.end(),
                   [](const CurvePoint& a, const CurvePoint& b) { return a.samples < b.samples; });
  return kept;
}

double power_baseline(const std::vector<CurvePoint>& points, int count, double target) {
  const size_t first = points.size() > static_cast<size_t>(count) ? points.size() - static_cast<size_t>(count) : 0;
  std::vector<FitPoint> fit_points;
  for (size_t i = first; i < points.size(); ++i) {
    FitPoint p;
    p.input.x = points[i].samples;
    p.error = points[i].error;
    fit_points.push_back(p);
  }
  FitOptions o;
  o.law = LawForm::kPower;
  if (fit_points.size() < min_points(o.law) || distinct_inputs(fit_points, o.law) < law_parameter_count(o.law)) {
    return kNaN;
  }
  return fit_law(fit_points, o).law.value({target, 0, 0});
}

CalibrationRow baseline_row(const CalibrationRow& headline, const std::string& method, double prediction) {
  CalibrationRow row = headline;
  row.method = method;
  row.prediction = prediction;
  row.ok = headline.ok && std::isfinite(prediction);
  row.problem = headline.ok && !row.ok ? "baseline undefined" : headline.problem;
  row.lo80 = row.hi80 = row.lo95 = row.hi95 = kNaN;
  if (!headline.ok) row.prediction = kNaN;
  return row;
}

// The prediction columns of calibration.csv.
const std::pair<const char*, double CalibrationRow::*> kIntervalColumns[] = {
    {"prediction", &CalibrationRow::prediction},
    {"lo80", &CalibrationRow::lo80},
    {"hi80", &CalibrationRow::hi80},
    {"lo95", &CalibrationRow::lo95},
    {"hi95", &CalibrationRow::hi95},
};

}  // namespace

std::vector<RunCurve> openclip_run_curves(const io::Table& curves, const std::string& curves_origin,
                                          const io::Table& runs, const std::string& runs_origin) {
  const std::string curves_hint = "use imagenet_zeroshot_learning_curves.csv of the OpenCLIP anchor.";
  const std::string runs_hint = "use trained_models_info.csv of the OpenCLIP anchor.";
  const std::vector<std::string> names = runs.strings(require_column(runs, runs_origin, "name", runs_hint).name);
  const std::vector<std::string> data = runs.strings(require_column(runs, runs_origin, "data", runs_hint).name);
  const std::vector<double> epochs = numbers(runs, runs_origin, "epochs", runs_hint);
  const std::vector<double> per_epoch = numbers(runs, runs_origin, "samples_per_epoch", runs_hint);
  const std::vector<double> warmup = numbers(runs, runs_origin, "warmup", runs_hint);
  const std::vector<double> gpus = numbers(runs, runs_origin, "gpus", runs_hint);
  const std::vector<double> local_bs = numbers(runs, runs_origin, "local_bs", runs_hint);
  std::vector<RunCurve> out;
  std::unordered_map<std::string, size_t> index;
  for (size_t r = 0; r < runs.rows(); ++r) {
    RunCurve run;
    run.id = names[r];
    run.group = data[r];
    run.schedule.target_samples = epochs[r] * per_epoch[r];
    run.schedule.warmup_samples = warmup[r] * gpus[r] * local_bs[r];
    run.schedule.kind = ScheduleKind::kCosine;
    std::string why;
    if (!run.schedule.is_valid(fmt::format("{}: run {} ", runs_origin, run.id), &why)) throw core::UserError(why);
    index[run.id] = out.size();
    out.push_back(run);
  }
  const std::vector<std::string> curve_names =
      curves.strings(require_column(curves, curves_origin, "name", curves_hint).name);
  const std::vector<double> top1 = numbers(curves, curves_origin, "imagenet-zeroshot-val-top1", curves_hint);
  const std::vector<double> epoch = numbers(curves, curves_origin, "epoch", curves_hint);
  for (size_t i = 0; i < curves.rows(); ++i) {
    const auto it = index.find(curve_names[i]);
    if (it == index.end()) {
      throw core::UserError(
          fmt::format("{}: row {} names run '{}', which {} does not list. HINT: use the two files "
                      "of one anchor folder.",
                      curves_origin, i + 2, curve_names[i], runs_origin));
    }
    RunCurve& run = out[it->second];
    const double samples_per_epoch = run.schedule.target_samples / epochs[it->second];
    run.points.push_back({epoch[i] * samples_per_epoch, 1.0 - top1[i]});
  }
  for (RunCurve& run : out) {
    std::stable_sort(run.points.begin(), run.points.end(),
                     [](const CurvePoint& a, const CurvePoint& b) { return a.samples < b.samples; });
  }
  return out;
}

std::vector<CalibrationMethod> default_calibration_methods(int resamples, uint64_t seed) {
  std::vector<CalibrationMethod> methods;
  const auto add = [&](const std::string& name, CurveModel model, PriorScope prior) {
    CalibrationMethod m;
    m.name = name;
    m.fit.model = model;
    m.fit.resamples = resamples;
    m.fit.seed = seed;
    m.prior = prior;
    methods.push_back(m);
  };
  add("annealed + dataset prior", CurveModel::kAnnealed, PriorScope::kGroup);
  add("annealed + all-runs prior", CurveModel::kAnnealed, PriorScope::kAll);
  add("annealed, independent", CurveModel::kAnnealed, PriorScope::kNone);
  add("effective-time + dataset prior", CurveModel::kEffectiveTime, PriorScope::kGroup);
  add("power + dataset prior", CurveModel::kPowerOffset, PriorScope::kGroup);
  add("power, independent", CurveModel::kPowerOffset, PriorScope::kNone);
  return methods;
}

bool CalibrationOptions::is_valid(const std::string& prefix, std::string* error) const {
  if (methods.empty()) {
    *error = prefix + "methods is empty. HINT: use default_calibration_methods().";
    return false;
  }
  for (const double cut : cuts) {
    if (!(cut > 0 && cut < 1)) {
      *error = fmt::format("{}cuts holds {}, which violates 0 < cut < 1. HINT: 0.1, 0.25, 0.5.", prefix, cut);
      return false;
    }
  }
  if (baseline_points < 2) {
    *error = fmt::format("{}baseline_points = {} violates baseline_points >= 2. HINT: the default is 5.", prefix,
                         baseline_points);
    return false;
  }
  for (const CalibrationMethod& m : methods) {
    if (!m.fit.is_valid(prefix + "methods[" + m.name + "].", error)) return false;
  }
  return true;
}

CalibrationResult calibrate_learning_curves(const std::vector<RunCurve>& runs, const CalibrationOptions& options) {
  std::string why;
  CLIPSCALE_CHECK(options.is_valid("calibration.", &why)) << why;
  CalibrationResult result;
  std::vector<const RunCurve*> finished;
  for (const RunCurve& run : runs) {
    const bool done =
        !run.points.empty() && std::max_element(run.points.begin(), run.points.end(), [](const auto& a, const auto& b) {
                                 return a.samples < b.samples;
                               })->samples >= kFinishedFraction * run.schedule.target_samples;
    if (done) {
      finished.push_back(&run);
    } else {
      result.skipped_runs.push_back(run.id + ": not finished (no final error to score against)");
    }
  }
  // Every finished run's whole-curve shape, once per method with a prior.
  std::vector<std::vector<RunShape>> shapes(options.methods.size());
  for (size_t m = 0; m < options.methods.size(); ++m) {
    if (options.methods[m].prior == PriorScope::kNone) continue;
    shapes[m].resize(finished.size());
    parallel_for(finished.size(), options.threads, [&](size_t begin, size_t end, int /*worker*/) {
      for (size_t r = begin; r < end; ++r) shapes[m][r] = fit_run_shape(*finished[r], options.methods[m].fit);
    });
    const CurveModel model = options.methods[m].fit.model;
    std::set<std::string> groups;
    if (options.methods[m].prior == PriorScope::kGroup) {
      for (const RunCurve* run : finished) groups.insert(run->group);
    } else {
      groups.insert("");
    }
    for (const std::string& group : groups) {
      result.priors.push_back(options.methods[m].name + ": " + pool_shapes(shapes[m], model, "", group).describe());
    }
  }
  const size_t per_run = options.cuts.size() * (options.methods.size() + 2);
  result.rows.resize(finished.size() * per_run);
  parallel_for(finished.size(), options.threads, [&](size_t begin, size_t end, int /*worker*/) {
    for (size_t r = begin; r < end; ++r) {
      const RunCurve& run = *finished[r];
      const double truth = std::max_element(run.points.begin(), run.points.end(), [](const auto& a, const auto& b) {
                             return a.samples < b.samples;
                           })->error;
      size_t slot = r * per_run;
      for (size_t k = 0; k < options.cuts.size(); ++k) {
        const double cut = options.cuts[k];
        const std::vector<CurvePoint> seen = points_up_to(run, cut);
        CalibrationRow headline;
        for (size_t m = 0; m < options.methods.size(); ++m) {
          const CalibrationMethod& method = options.methods[m];
          CurveFitOptions fit = method.fit;
          // Seeded by the cut's value, not its index, so that a run of one cut repeats the report's numbers.
          fit.seed = core::hash_combine(core::hash_combine(method.fit.seed, r), static_cast<uint64_t>(cut * 1e6));
          fit.threads = 1;
          CurvePrior prior;
          const bool with_prior = method.prior != PriorScope::kNone;
          if (with_prior) {
            prior = pool_shapes(shapes[m], fit.model, run.id, method.prior == PriorScope::kGroup ? run.group : "");
          }
          const CurvePrediction p = predict_final(seen, run.schedule, with_prior ? &prior : nullptr, fit);
          CalibrationRow row;
          row.run = run.id;
          row.cut = cut;
          row.method = method.name;
          row.points_before_cut = static_cast<int>(seen.size());
          row.truth = truth;
          row.ok = p.ok && (m == 0 || headline.ok);
          row.problem = m > 0 && !headline.ok ? headline.problem : p.problem;
          row.prediction = row.ok ? p.final_error : kNaN;
          row.lo80 = row.ok ? p.lo80 : kNaN;
          row.hi80 = row.ok ? p.hi80 : kNaN;
          row.lo95 = row.ok ? p.lo95 : kNaN;
          row.hi95 = row.ok ? p.hi95 : kNaN;
          if (m == 0) headline = row;
          result.rows[slot++] = row;
        }
        const std::vector<CurvePoint> used = baseline_points(run, cut, options.methods[0].fit.skip_warmup);
        const double last = used.empty() ? kNaN : used.back().error;
        result.rows[slot++] = baseline_row(headline, kLastValueBaseline, last);
        result.rows[slot++] = baseline_row(headline, kPowerBaseline,
                                           power_baseline(used, options.baseline_points, run.schedule.target_samples));
      }
    }
  });
  std::vector<std::string> names;
  for (const CalibrationMethod& m : options.methods) names.push_back(m.name);
  names.push_back(kLastValueBaseline);
  names.push_back(kPowerBaseline);
  for (const double cut : options.cuts) {
    for (const std::string& name : names) {
      result.summaries.push_back(summarize_cut(result.rows, cut, name, options.methods[0].name));
    }
  }
  return result;
}

CutSummary summarize_cut(const std::vector<CalibrationRow>& rows, double cut, const std::string& method,
                         const std::string& headline) {
  CutSummary s;
  s.cut = cut;
  s.method = method;
  std::set<std::string> included;
  for (const CalibrationRow& row : rows) {
    if (row.cut != cut || row.method != headline) continue;
    ++s.runs;
    if (row.ok) {
      included.insert(row.run);
    } else {
      ++s.excluded[reason_of(row.problem)];
    }
  }
  s.included = static_cast<int>(included.size());
  double abs_sum = 0;
  int predicted = 0, in80 = 0, in95 = 0;
  std::vector<double> widths;
  for (const CalibrationRow& row : rows) {
    if (row.cut != cut || row.method != method || included.count(row.run) == 0) continue;
    if (!row.ok) {
      ++s.failed;
      continue;
    }
    ++predicted;
    abs_sum += std::abs(row.prediction - row.truth);
    in80 += row.lo80 <= row.truth && row.truth <= row.hi80;
    in95 += row.lo95 <= row.truth && row.truth <= row.hi95;
    if (std::isfinite(row.hi80 - row.lo80)) widths.push_back(row.hi80 - row.lo80);
  }
  s.mae = predicted > 0 ? abs_sum / predicted : kNaN;
  const bool intervals = !widths.empty();
  s.coverage80 = intervals ? static_cast<double>(in80) / predicted : kNaN;
  s.coverage95 = intervals ? static_cast<double>(in95) / predicted : kNaN;
  s.median_width80 = intervals ? quantile(widths, 0.5) : kNaN;
  return s;
}

io::Table calibration_table(const std::vector<CalibrationRow>& rows) {
  io::Table t;
  const auto text = [&](const char* name, std::string CalibrationRow::*field) {
    std::vector<std::string> column;
    for (const CalibrationRow& r : rows) column.push_back(r.*field);
    t.add_string(name, column);
  };
  const auto number = [&](const char* name, double CalibrationRow::*field) {
    std::vector<double> column;
    for (const CalibrationRow& r : rows) column.push_back(r.*field);
    t.add_float64(name, column);
  };
  std::vector<int64_t> points, ok;
  for (const CalibrationRow& r : rows) {
    points.push_back(r.points_before_cut);
    ok.push_back(r.ok ? 1 : 0);
  }
  text("run", &CalibrationRow::run);
  number("cut", &CalibrationRow::cut);
  text("method", &CalibrationRow::method);
  t.add_int64("points_before_cut", points);
  number("truth", &CalibrationRow::truth);
  t.add_int64("ok", ok);
  for (const auto& [name, field] : kIntervalColumns) number(name, field);
  text("problem", &CalibrationRow::problem);
  return t;
}

std::vector<CalibrationRow> calibration_rows(const io::Table& table, const std::string& origin) {
  const std::string hint = "use a calibration.csv written by clipscale_learning_curve_calibration.";
  std::vector<CalibrationRow> rows(table.rows());
  const auto text = [&](const char* name, std::string CalibrationRow::*field) {
    const std::vector<std::string> column = table.strings(require_column(table, origin, name, hint).name);
    for (size_t i = 0; i < rows.size(); ++i) rows[i].*field = column[i];
  };
  const auto number = [&](const char* name, double CalibrationRow::*field) {
    const std::vector<double> column = numbers(table, origin, name, hint);
    for (size_t i = 0; i < rows.size(); ++i) rows[i].*field = column[i];
  };
  text("run", &CalibrationRow::run);
  number("cut", &CalibrationRow::cut);
  text("method", &CalibrationRow::method);
  number("truth", &CalibrationRow::truth);
  for (const auto& [name, field] : kIntervalColumns) number(name, field);
  text("problem", &CalibrationRow::problem);
  const std::vector<double> points = numbers(table, origin, "points_before_cut", hint);
  const std::vector<double> ok = numbers(table, origin, "ok", hint);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].points_before_cut = static_cast<int>(points[i]);
    rows[i].ok = ok[i] != 0;
  }
  return rows;
}

}  // namespace clipscale::analysis
