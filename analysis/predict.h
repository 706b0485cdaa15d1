// Predictions from a fitted law: the error at a given x, and from the joint law the
// compute-optimal model and data size.
//
// Compute-optimal allocation (Hoffmann et al. 2022, approach 3): with compute C = k·N·D (k = 6
// for language-model tokens; for a CLIP sweep k = 3 × forward FLOPs per sample per parameter,
// estimated from the runs), minimising e + a/N^alpha + b/D^beta at fixed C gives
//   N_opt = G · (C/k)^(beta/(alpha+beta)),  D_opt = G^-1 · (C/k)^(alpha/(alpha+beta)),
//   G = (alpha·a / (beta·b))^(1/(alpha+beta)).
#pragma once

#include <vector>

#include "analysis/law.h"
#include "analysis/points.h"

namespace clipscale::analysis {

struct Allocation {
  double n = 0;      ///< compute-optimal model size
  double d = 0;      ///< compute-optimal data size
  double error = 0;  ///< the law at (n, d)
};

/// The compute-optimal allocation of `compute` under C = k·N·D. `law` must be joint with alpha,
/// beta > 0 (NaN otherwise).
Allocation compute_optimal(const Law& law, double compute, double k);

/// The exponent of N_opt ∝ C^a: a = beta / (alpha + beta) (joint law).
double allocation_exponent(const Law& law);

/// k of C = k·N·D estimated from runs: the median of x / (n·d) (x holds each run's compute).
/// NaN when no run has all three positive.
double compute_per_nd(const std::vector<Observation>& observations);

/// The law's error at `x`: for one-variable laws law(x); for the joint law the error of the
/// compute-optimal allocation of compute x.
double predict_error(const Law& law, double x, double k);

}  // namespace clipscale::analysis
