// A run's learning-rate schedule as the learning-curve models see it: the peak-normalised
// learning rate η(s) against samples seen s, its integral (the "effective time" τ), and how far
// it has been annealed.
//
//   warm-up   η(s) = s / W                                     0 <= s < W (linear, from 0)
//   cosine    η(s) = m + (1 − m) · ½ (1 + cos(π x)),            x = (s − W) / (S − W), W <= s <= S
//   constant  η(s) = 1                                          W <= s
//   τ(s) = ∫_0^s η(u) du                                        samples at peak learning rate
//   annealing(s, L) = 1 − η̃(s) after the warm-up, 0 during it
//
// η̃ is η seen through an exponential moving average with time constant L (a fraction of the
// decay phase S − W): L·dη̃/dx + η̃ = η, η̃ = 1 at the end of the warm-up. L = 0 gives η̃ = η. The
// moving average is what Tissue et al. 2024 (arXiv:2408.11029) call the annealing momentum: their
// annealing area S2 = Σ_i m_i, m_i = λ·m_(i−1) + (η_(i−1) − η_i), equals (1 − η̃)/(1 − λ) for η̃
// the average of η with factor λ per step. For the cosine it has a closed form:
//   η̃(x) = m + (1 − m)·ũ(x),
//   ũ(x) = ½ + ½·(cos πx + πL·sin πx) / (1 + π²L²) + ½·π²L² / (1 + π²L²) · e^(−x/L).
//
// S is the run's target length and m the final learning rate as a fraction of the peak (0 for
// OpenCLIP's cosine). Past S the schedule stays at its final value. τ has the unit of samples:
// for a constant schedule τ(s) = s − W/2, so a law in τ reduces to the same law in s shifted by
// half the warm-up.
#pragma once

#include <cmath>
#include <string>

namespace clipscale::analysis {

enum class ScheduleKind { kCosine, kConstant };

/// "cosine", "constant".
std::string schedule_kind_name(ScheduleKind kind);
/// Inverse of schedule_kind_name. Throws core::UserError naming `flag`, the value and the choices.
ScheduleKind parse_schedule_kind(const std::string& text, const std::string& flag);

struct CurveSchedule {
  double target_samples = 0;  ///< S: samples seen at the end of the run, > 0
  double warmup_samples = 0;  ///< W: length of the linear warm-up in samples, 0 <= W < S
  ScheduleKind kind = ScheduleKind::kCosine;
  double final_lr_fraction = 0;  ///< m: cosine only, the learning rate at S over the peak, in [0, 1)

  /// False (and `error` says why, naming the fields under `prefix`) when a value is out of range.
  bool is_valid(const std::string& prefix, std::string* error) const;
  /// "warm-up 1.7e+08 + cosine to 1.3e+10 samples (final lr 0 x peak)".
  std::string describe() const;

  /// η(s): the learning rate at `samples` over the peak, in [0, 1].
  double lr_fraction(double samples) const;
  /// τ(s) = ∫_0^s η(u) du in samples (closed form).
  double effective_samples(double samples) const;
  /// x = (s − W) / (S − W), clamped to [0, 1]: the position in the decay phase; −1 inside the warm-up.
  double decay_position(double samples) const;
  /// 1 − η̃(s) for a moving-average time constant `lag` (>= 0, a fraction of S − W) after the
  /// warm-up, 0 inside it and for a constant schedule: how much of the peak learning rate has been
  /// annealed away at `samples`, as the error sees it.
  double annealing(double samples, double lag = 0) const;
};

/// 1 − ũ(x) of the file comment (the cosine's annealed fraction through the moving average,
/// before the factor 1 − m), for x in [0, 1] and lag >= 0. Templated so that automatic
/// differentiation sees `lag`.
/// `cos_x` and `sin_x` are cos πx and sin πx, passed in so that a fit computes them once per point.
template <typename T>
T lagged_cosine_annealing(double x, double cos_x, double sin_x, const T& lag) {
  using std::exp;
  if (!(lag > 0.0)) return T(0.5 * (1 - cos_x));
  const T k = M_PI * M_PI * lag * lag;
  const T steady = 0.5 + 0.5 * (cos_x + M_PI * lag * sin_x) / (1.0 + k);
  return 1.0 - steady - 0.5 * k / (1.0 + k) * exp(-x / lag);
}

}  // namespace clipscale::analysis
