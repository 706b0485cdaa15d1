// Comparing dataset variants fitted with the same law: differences of exponents and of predicted
// errors with bootstrap intervals, where the fitted curves cross, and a DataComp-style table of
// the variants at equal compute with the stability of their ranking across scales.
//
// Intervals of a difference pair replicate b of one variant with replicate b of the other; the
// two bootstraps are independent, so the pairs are draws from the difference's distribution.
// Compare variants through exponents and in-range predictions, not through prefactors (the
// prefactor of E = beta·x^alpha is the value at x = 1, decades away from the data).
#pragma once

#include <string>
#include <vector>

#include "analysis/bootstrap.h"
#include "analysis/study.h"

namespace clipscale::analysis {

/// A parameter of one variant minus the same parameter of the reference.
struct DifferenceRow {
  std::string variant;
  std::string parameter;
  Estimate difference;
  double share_positive = 0;  ///< share of replicate pairs with a positive difference
};

/// The predicted error of one variant minus the reference's, at x.
struct PredictionDifferenceRow {
  std::string variant;
  double x = 0;
  Estimate difference;
  double share_positive = 0;
};

/// Where the fitted curves of two variants cross inside the search range.
struct CrossingRow {
  std::string a;
  std::string b;
  bool crosses = false;       ///< the point fits cross in the range
  Estimate x;                 ///< the first crossing; interval over the replicate pairs that cross
  double share_crossing = 0;  ///< share of replicate pairs whose curves cross in the range
  double range_lo = 0;        ///< search range in x
  double range_hi = 0;
};

/// Runs at one compute level (x values within 2% of each other), one column per variant.
struct EqualComputeRow {
  double x = 0;                   ///< geometric mean of the level's x values
  std::vector<double> observed;   ///< best (lowest) error of each variant's runs at this level; NaN if none
  std::vector<double> predicted;  ///< each variant's fitted error at x
  std::vector<int> rank;          ///< 1 = lowest observed error; 0 where the variant has no run
};

struct Comparison {
  std::vector<std::string> variants;  ///< in the order of the fits
  std::string reference;              ///< the variant differences are taken against
  std::vector<DifferenceRow> differences;
  std::vector<PredictionDifferenceRow> prediction_differences;
  std::vector<CrossingRow> crossings;
  std::vector<EqualComputeRow> equal_compute;
  /// Spearman correlation of the variants' ranks between every two levels where all variants
  /// have runs: mean and minimum (NaN when fewer than two such levels).
  double rank_correlation_mean = 0;
  double rank_correlation_min = 0;
  int rank_levels = 0;  ///< levels where every variant has runs
};

/// The parameters compared across variants for `form`: exponents and asymptotes, never
/// prefactors (power: alpha; saturating: alpha, e_inf; joint: alpha, beta, e, n_opt_exponent).
std::vector<std::string> compared_parameters(LawForm form);

/// Compares `fits` (at least two, one law form, one variant label each) against the fit whose
/// variant is `reference` ("" = the first). Predictions are compared at the x values of the
/// reference's prediction table. core::UserError when the reference is not among the variants.
Comparison compare_fits(const std::vector<FitSummary>& fits, const std::string& reference);

}  // namespace clipscale::analysis
