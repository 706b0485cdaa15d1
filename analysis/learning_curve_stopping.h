// Early stopping against the compute frontier, offline: can a run in flight still reach the
// frontier of the finished runs? A pure rule for one run, and a replay of a set of complete runs
// that says what the rule would have saved and whether it would have stopped a run that ended
// on the frontier. A trainer would call should_stop with the run's evals so far (train/ may link
// analysis/ for this rule).
//
//   frontier     the finished runs that beat every finished run of less or equal compute
//                (running minimum of the final error, in increasing compute)
//   E_F(C)       the frontier's error at compute C: log-log interpolation between neighbouring
//                frontier points; +∞ below the smallest compute (a run there is on the frontier
//                whatever its error); the last point's error above the largest (it has to beat
//                the best run so far). Between points this is stricter than Pareto dominance: a
//                run has to beat the line, not only its cheaper neighbour.
//   stop when    q_(1−confidence)(Ê(S)) > E_F(C_final),  C_final = compute_per_sample · S
//                i.e. even the optimistic end of the prediction (its one-sided bound at
//                `confidence`) misses the frontier at the run's final compute.
//
// Compute is in whatever unit the caller uses (FLOPs, GMACs), the same for every run.
#pragma once

#include <string>
#include <vector>

#include "analysis/learning_curve.h"

namespace clipscale::analysis {

/// A finished run: its training compute and final error.
struct FinishedRun {
  std::string id;
  double compute = 0;  ///< > 0
  double error = 0;    ///< > 0
};

/// The frontier of `runs` (see the file comment), in increasing compute; ties in compute keep the
/// lower error. Runs with a non-finite or non-positive compute or error are ignored.
std::vector<FinishedRun> compute_frontier(std::vector<FinishedRun> runs);

/// E_F(compute) for a frontier from compute_frontier (see the file comment); +∞ when it is empty.
double frontier_error_at(const std::vector<FinishedRun>& frontier, double compute);

struct StopRuleOptions {
  double confidence = 0.95;  ///< one-sided, in (0.5, 1): stop only when the bound at this level misses
  CurveFitOptions fit;       ///< the prediction (resamples > 0: the rule needs the replicates)

  /// False (and `error` says why, naming the fields under `prefix`) when a value is invalid.
  bool is_valid(const std::string& prefix, std::string* error) const;
};

/// What the rule decided for one run, and why.
struct StopDecision {
  bool stop = false;
  std::string reason;           ///< the decision in words, with the numbers
  CurvePrediction prediction;   ///< the prediction that decided it
  double final_compute = 0;     ///< compute_per_sample · target_samples
  double frontier_error = 0;    ///< E_F(final_compute); +∞ when no frontier constrains the run
  double optimistic_error = 0;  ///< q_(1−confidence) of the predicted final error (NaN without a prediction)
};

/// Applies the rule to a run in flight: its evaluations so far, schedule and compute per sample,
/// against `finished`. `prior` may be null. Never stops a run it cannot predict (reason says why).
StopDecision should_stop(const std::vector<FinishedRun>& finished, const std::vector<CurvePoint>& partial,
                         const CurveSchedule& schedule, double compute_per_sample, const CurvePrior* prior,
                         const StopRuleOptions& options);

/// A complete run for the replay.
struct ReplayRun {
  RunCurve curve;
  double compute_per_sample = 0;  ///< > 0
};

struct ReplayOptions {
  double after_fraction = 0.25;  ///< the rule looks at a run only once s >= after_fraction · S, in (0, 1)
  int min_finished = 3;          ///< ... and once this many runs have finished, >= 1
  bool shared_prior = true;      ///< predictions use the prior of the finished runs (the run's group first)
  StopRuleOptions rule;

  /// False (and `error` says why) when a value is invalid.
  bool is_valid(const std::string& prefix, std::string* error) const;
};

struct ReplayOutcome {
  std::string id;
  bool stopped = false;
  double stopped_at_samples = 0;   ///< samples seen at the evaluation that stopped it (S when not stopped)
  double compute_used = 0;         ///< compute_per_sample · samples trained
  double compute_full = 0;         ///< compute_per_sample · S
  double final_error = 0;          ///< the run's true last error
  bool on_final_frontier = false;  ///< the run is on the frontier of every run's true final
  int checks = 0;                  ///< times the rule was asked
  StopDecision decision;           ///< the decision that stopped it, or the last one asked
};

struct ReplayResult {
  std::vector<ReplayOutcome> runs;  ///< in the order given
  double compute_full = 0;          ///< Σ compute_full
  double compute_used = 0;          ///< Σ compute_used
  double saved_fraction = 0;        ///< 1 − compute_used / compute_full
  int stopped = 0;
  std::vector<std::string> frontier_runs_stopped;  ///< stopped runs that would have been on the final frontier
  std::vector<std::string> problems;               ///< runs left out of the replay, "id: why"
};

/// Replays `runs` as if they trained side by side: evaluations arrive in order of the compute
/// spent on them (compute_per_sample · samples; ties by run order), a run finishes at its last
/// evaluation, and from the moment min_finished runs have finished, every evaluation of a
/// running run past after_fraction of its length is put to should_stop against the finished
/// runs. A stopped run trains no further. Deterministic (seeded by options.rule.fit.seed).
ReplayResult replay_early_stopping(const std::vector<ReplayRun>& runs, const ReplayOptions& options);

}  // namespace clipscale::analysis
