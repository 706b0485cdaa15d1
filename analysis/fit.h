// Fitting a law to points: minimise sum_i loss(log Ê(θ; input_i) − log E_i) over θ.
//
//  * power law, squared loss: ordinary least squares of ln E on ln x, solved in closed form
//    (the Cherti et al. recipe; identical to their log10–log10 fit).
//  * everything else: Ceres Levenberg–Marquardt (dense QR, relative stopping rules, so the
//    scale of the loss does not stop it early) in a log parameterisation — ln beta; ln e_inf,
//    ln a; ln e, ln a, ln b — with the inputs centred on the mean of their logs for conditioning,
//    and alpha, beta bounded to [0, 10] for the saturating and joint forms.
//  * Huber loss: Huber_δ(r) = r²/2 for |r| <= δ, δ(|r| − δ/2) otherwise, on log residuals
//    (ceres::HuberLoss(δ)); δ = 1e-3 reproduces Hoffmann et al. and Epoch AI.
//  * Multi-start (saturating, joint): kAuto scans a grid of exponents and solves the linear
//    coefficients by non-negative weighted least squares at each grid point (variable projection,
//    weights 1/E² so that the linear residual approximates the log residual); the best
//    `refine_starts` grid points are refined and the best final objective kept. kHoffmannGrid
//    (joint only) starts from each of Hoffmann et al.'s 4,500 points: alpha, beta in
//    {0, 0.5, ..., 2}, ln e in {-1, -0.5, ..., 1}, ln a, ln b in {0, 5, ..., 25}.
#pragma once

#include <string>
#include <vector>

#include "analysis/law.h"
#include "analysis/points.h"

namespace clipscale::analysis {

enum class LossKind { kSquared, kHuber };

/// "squared", "huber".
std::string loss_name(LossKind loss);
/// Inverse of loss_name; core::UserError naming `flag` otherwise.
LossKind parse_loss(const std::string& text, const std::string& flag);

enum class StartRule { kAuto, kHoffmannGrid };

/// "auto", "hoffmann".
std::string start_rule_name(StartRule rule);
/// Inverse of start_rule_name; core::UserError naming `flag` otherwise.
StartRule parse_start_rule(const std::string& text, const std::string& flag);

struct FitOptions {
  LawForm law = LawForm::kPower;
  LossKind loss = LossKind::kSquared;
  double huber_delta = 1e-3;  ///< kHuber: the δ of the Huber loss on log residuals, > 0
  StartRule starts = StartRule::kAuto;
  int refine_starts = 8;     ///< kAuto: grid points refined, >= 1
  int max_iterations = 500;  ///< per Ceres solve, >= 1
  int threads = 1;           ///< for the starts; 0: every hardware thread

  /// False (and `error` says why, naming the flags under `prefix`) when the options are
  /// inconsistent: δ <= 0, refine_starts < 1, kHoffmannGrid for another form than joint.
  bool is_valid(const std::string& prefix, std::string* error) const;
  /// The estimator in words, for reports: loss, solver and starts.
  std::string describe() const;
};

struct FitResult {
  Law law;
  double objective = 0;           ///< sum_i loss(r_i): r²/2 summed (squared) or Huber_δ(r) summed
  std::vector<double> residuals;  ///< r_i = ln Ê_i − ln E_i, in the order of the points
  int starts = 0;                 ///< starts refined
  int starts_at_best = 0;         ///< starts that ended within 1e-6 (relative) of the best objective
  bool converged = false;         ///< the best start met a stopping rule (not the iteration limit)
};

/// Points a fit of `form` needs: parameters + 1, and distinct inputs >= parameters.
size_t min_points(LawForm form);
/// Number of distinct inputs (x, or (n, d) for the joint law) among `points`.
size_t distinct_inputs(const std::vector<FitPoint>& points, LawForm form);

/// Fits options.law to `points` (at least min_points and that many distinct inputs; a
/// CLIPSCALE_CHECK otherwise — callers turn too few points into a UserError with context).
FitResult fit_law(const std::vector<FitPoint>& points, const FitOptions& options);

/// Refines from `start` only (no grid): what each bootstrap resample does, starting from the
/// full-data fit. Returns converged = false and NaN parameters when the solve fails.
FitResult refine_law(const std::vector<FitPoint>& points, const FitOptions& options, const Law& start);

/// The objective of `law` on `points` under options.loss (no optimisation).
double fit_objective(const Law& law, const std::vector<FitPoint>& points, const FitOptions& options);

}  // namespace clipscale::analysis
