#include "analysis/learning_curve_stopping.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <tuple>

#include <fmt/format.h>

#include "core/hash.h"

namespace clipscale::analysis {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool usable(const FinishedRun& r) {
  return std::isfinite(r.compute) && std::isfinite(r.error) && r.compute > 0 && r.error > 0;
}

StopDecision keep(std::string reason) {
  StopDecision d;
  d.reason = std::move(reason);
  d.frontier_error = kInfinity;
  d.optimistic_error = kNaN;
  return d;
}

}  // namespace

std::vector<FinishedRun> compute_frontier(std::vector<FinishedRun> runs) {
  runs.erase(std::remove_if(runs.begin(), runs.end(), [](const FinishedRun& r) { return !usable(r); }), runs.end());
  std::stable_sort(runs.begin(), runs.end(), [](const FinishedRun& a, const FinishedRun& b) {
    return a.compute < b.compute || (a.compute == b.compute && a.error < b.error);
  });
  std::vector<FinishedRun> frontier;
  for (const FinishedRun& r : runs) {
    if (frontier.empty() || r.error < frontier.back().error) frontier.push_back(r);
  }
  return frontier;
}

double frontier_error_at(const std::vector<FinishedRun>& frontier, double compute) {
  if (frontier.empty() || !(compute >= frontier.front().compute)) return kInfinity;
  if (compute >= frontier.back().compute) return frontier.back().error;
  const auto right = std::upper_bound(frontier.begin(), frontier.end(), compute,
                                      [](double c, const FinishedRun& r) { return c < r.compute; });
  const FinishedRun& hi = *right;
  const FinishedRun& lo = *(right - 1);
  const double t = std::log(compute / lo.compute) / std::log(hi.compute / lo.compute);
  return std::exp(std::log(lo.error) + t * (std::log(hi.error) - std::log(lo.error)));
}

bool StopRuleOptions::is_valid(const std::string& prefix, std::string* error) const {
  if (!(confidence > 0.5 && confidence < 1)) {
    *error = fmt::format(
        "{}confidence = {} violates 0.5 < confidence < 1. HINT: 0.95 stops a run only when its "
        "optimistic 95% bound misses the frontier.",
        prefix, confidence);
    return false;
  }
  if (fit.resamples < 1) {
    *error = fmt::format(
        "{}fit.resamples = {} violates resamples >= 1: the rule reads a bound off the replicates. "
        "HINT: 400.",
        prefix, fit.resamples);
    return false;
  }
  return fit.is_valid(prefix + "fit.", error);
}

StopDecision should_stop(const std::vector<FinishedRun>& finished, const std::vector<CurvePoint>& partial,
                         const CurveSchedule& schedule, double compute_per_sample, const CurvePrior* prior,
                         const StopRuleOptions& options) {
  std::string why;
  if (!options.is_valid("stop_rule.", &why)) return keep("keep: " + why);
  if (!(compute_per_sample > 0 && std::isfinite(compute_per_sample))) {
    return keep(fmt::format("keep: compute_per_sample = {} violates compute_per_sample > 0", compute_per_sample));
  }
  const std::vector<FinishedRun> frontier = compute_frontier(finished);
  const double final_compute = compute_per_sample * schedule.target_samples;
  const double frontier_error = frontier_error_at(frontier, final_compute);
  if (!std::isfinite(frontier_error)) {
    StopDecision d = keep(frontier.empty() ? "keep: no finished run to compare with"
                                           : fmt::format("keep: final compute {:.3g} is below every finished run's "
                                                         "({:.3g}), so the run is on the frontier whatever its error",
                                                         final_compute, frontier.front().compute));
    d.final_compute = final_compute;
    return d;
  }
  StopDecision d;
  d.final_compute = final_compute;
  d.frontier_error = frontier_error;
  d.prediction = predict_final(partial, schedule, prior, options.fit);
  if (!d.prediction.ok) {
    d.optimistic_error = kNaN;
    d.reason = "keep: no prediction (" + d.prediction.problem + ")";
    return d;
  }
  d.optimistic_error = d.prediction.quantile(1 - options.confidence);
  if (!std::isfinite(d.optimistic_error)) {
    d.reason = "keep: every replicate failed, so there is no bound";
    return d;
  }
  d.stop = d.optimistic_error > frontier_error;
  d.reason = fmt::format(
      "{}: predicted final error {:.4f}, optimistic {:.0f}% bound {:.4f} {} the frontier's {:.4f} "
      "at the run's final compute {:.3g}",
      d.stop ? "stop" : "keep", d.prediction.final_error, 100 * options.confidence, d.optimistic_error,
      d.stop ? "is above" : "is not above", frontier_error, final_compute);
  return d;
}

bool ReplayOptions::is_valid(const std::string& prefix, std::string* error) const {
  if (!(after_fraction > 0 && after_fraction < 1)) {
    *error = fmt::format("{}after_fraction = {} violates 0 < after_fraction < 1. HINT: 0.25.", prefix, after_fraction);
    return false;
  }
  if (min_finished < 1) {
    *error = fmt::format("{}min_finished = {} violates min_finished >= 1. HINT: 3.", prefix, min_finished);
    return false;
  }
  return rule.is_valid(prefix + "rule.", error);
}

ReplayResult replay_early_stopping(const std::vector<ReplayRun>& runs, const ReplayOptions& options) {
  ReplayResult result;
  std::string why;
  if (!options.is_valid("replay.", &why)) {
    result.problems.push_back(why);
    return result;
  }
  // Events: (compute, run, point) for every evaluation of every usable run.
  std::vector<std::vector<CurvePoint>> sorted(runs.size());
  std::vector<std::tuple<double, size_t, size_t>> events;
  std::vector<bool> usable_run(runs.size(), false);
  for (size_t r = 0; r < runs.size(); ++r) {
    const ReplayRun& run = runs[r];
    ReplayOutcome o;
    o.id = run.curve.id;
    o.compute_full = run.compute_per_sample * run.curve.schedule.target_samples;
    o.stopped_at_samples = run.curve.schedule.target_samples;
    o.compute_used = o.compute_full;
    result.runs.push_back(o);
    std::string schedule_problem;
    if (!run.curve.schedule.is_valid("", &schedule_problem) || run.curve.points.empty() ||
        !(run.compute_per_sample > 0 && std::isfinite(run.compute_per_sample))) {
      result.problems.push_back(run.curve.id + ": " +
                                (!schedule_problem.empty()  ? schedule_problem
                                 : run.curve.points.empty() ? std::string("no evaluations")
                                                            : std::string("compute_per_sample must be > 0")));
      continue;
    }
    sorted[r] = run.curve.points;
    std::stable_sort(sorted[r].begin(), sorted[r].end(),
                     [](const CurvePoint& a, const CurvePoint& b) { return a.samples < b.samples; });
    result.runs[r].final_error = sorted[r].back().error;
    usable_run[r] = true;
    for (size_t i = 0; i < sorted[r].size(); ++i) {
      events.emplace_back(run.compute_per_sample * sorted[r][i].samples, r, i);
    }
  }
  std::stable_sort(events.begin(), events.end());

  // The final frontier of every run's truth, for judging the stops afterwards.
  std::vector<FinishedRun> truths;
  for (size_t r = 0; r < runs.size(); ++r) {
    if (usable_run[r]) truths.push_back({runs[r].curve.id, result.runs[r].compute_full, result.runs[r].final_error});
  }
  const std::vector<FinishedRun> final_frontier = compute_frontier(truths);

  std::vector<FinishedRun> finished;
  std::vector<RunShape> shapes;
  std::vector<bool> stopped(runs.size(), false);
  std::vector<std::vector<CurvePoint>> seen(runs.size());
  for (const auto& [compute, r, i] : events) {
    if (stopped[r]) continue;
    const ReplayRun& run = runs[r];
    seen[r].push_back(sorted[r][i]);
    if (i + 1 == sorted[r].size()) {
      finished.push_back({run.curve.id, result.runs[r].compute_full, sorted[r][i].error});
      if (options.shared_prior) shapes.push_back(fit_run_shape(run.curve, options.rule.fit));
      continue;
    }
    const double samples = sorted[r][i].samples;
    if (static_cast<int>(finished.size()) < options.min_finished ||
        samples < options.after_fraction * run.curve.schedule.target_samples) {
      continue;
    }
    StopRuleOptions rule = options.rule;
    rule.fit.seed = core::hash_combine(core::hash_combine(options.rule.fit.seed, r), i);
    CurvePrior prior;
    if (options.shared_prior) prior = pool_shapes(shapes, rule.fit.model, "", run.curve.group);
    const StopDecision decision =
        should_stop(finished, seen[r], run.curve.schedule, run.compute_per_sample, prior.ok ? &prior : nullptr, rule);
    ReplayOutcome& o = result.runs[r];
    ++o.checks;
    o.decision = decision;
    if (decision.stop) {
      stopped[r] = true;
      o.stopped = true;
      o.stopped_at_samples = samples;
      o.compute_used = compute;
    }
  }
  for (size_t r = 0; r < runs.size(); ++r) {
    ReplayOutcome& o = result.runs[r];
    if (!usable_run[r]) {
      o.compute_used = o.compute_full = 0;
      continue;
    }
    o.on_final_frontier =
        std::any_of(final_frontier.begin(), final_frontier.end(), [&](const FinishedRun& f) { return f.id == o.id; });
    result.compute_full += o.compute_full;
    result.compute_used += o.compute_used;
    result.stopped += o.stopped;
    if (o.stopped && o.on_final_frontier) result.frontier_runs_stopped.push_back(o.id);
  }
  result.saved_fraction = result.compute_full > 0 ? 1 - result.compute_used / result.compute_full : 0.0;
  return result;
}

}  // namespace clipscale::analysis
