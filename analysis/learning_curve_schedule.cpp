#include "analysis/learning_curve_schedule.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/error.h"

namespace clipscale::analysis {

std::string schedule_kind_name(ScheduleKind kind) { return kind == ScheduleKind::kCosine ? "cosine" : "constant"; }

ScheduleKind parse_schedule_kind(const std::string& text, const std::string& flag) {
  if (text == "cosine") return ScheduleKind::kCosine;
  if (text == "constant" || text == "const") return ScheduleKind::kConstant;
  throw core::UserError(flag + " = '" + text + "' is not a schedule. HINT: use cosine (warm-up, then cosine " +
                        "decay to the target length) or constant (warm-up, then the peak learning rate).");
}

bool CurveSchedule::is_valid(const std::string& prefix, std::string* error) const {
  if (!(target_samples > 0 && std::isfinite(target_samples))) {
    *error = fmt::format(
        "{}target_samples = {} violates target_samples > 0. HINT: the run's length in samples seen "
        "(epochs x samples per epoch).",
        prefix, target_samples);
    return false;
  }
  if (!(warmup_samples >= 0 && warmup_samples < target_samples)) {
    *error = fmt::format(
        "{}warmup_samples = {} violates 0 <= warmup_samples < target_samples ({}). HINT: warm-up "
        "steps x global batch size.",
        prefix, warmup_samples, target_samples);
    return false;
  }
  if (!(final_lr_fraction >= 0 && final_lr_fraction < 1)) {
    *error = fmt::format(
        "{}final_lr_fraction = {} violates 0 <= final_lr_fraction < 1. HINT: 0 for a cosine that "
        "decays to zero.",
        prefix, final_lr_fraction);
    return false;
  }
  return true;
}

std::string CurveSchedule::describe() const {
  if (kind == ScheduleKind::kConstant) {
    return fmt::format("warm-up {:.3g} samples, then constant (target {:.3g} samples)", warmup_samples, target_samples);
  }
  return fmt::format("warm-up {:.3g} samples, then cosine to {:.3g} samples (final lr {:g} x peak)", warmup_samples,
                     target_samples, final_lr_fraction);
}

double CurveSchedule::lr_fraction(double samples) const {
  if (samples < warmup_samples) return std::max(samples, 0.0) / warmup_samples;
  if (kind == ScheduleKind::kConstant) return 1.0;
  const double x = std::min((samples - warmup_samples) / (target_samples - warmup_samples), 1.0);
  return final_lr_fraction + (1 - final_lr_fraction) * 0.5 * (1 + std::cos(M_PI * x));
}

double CurveSchedule::effective_samples(double samples) const {
  samples = std::max(samples, 0.0);
  if (samples < warmup_samples) return samples * samples / (2 * warmup_samples);
  const double after = samples - warmup_samples;
  if (kind == ScheduleKind::kConstant) return 0.5 * warmup_samples + after;
  // ∫ of m + (1 − m)·½(1 + cos(π u / L)) over [0, min(after, L)], L = S − W, then m per sample past S.
  const double length = target_samples - warmup_samples;
  const double inside = std::min(after, length);
  const double m = final_lr_fraction;
  const double cosine_part = m * inside + (1 - m) * 0.5 * (inside + length / M_PI * std::sin(M_PI * inside / length));
  return 0.5 * warmup_samples + cosine_part + m * std::max(after - length, 0.0);
}

double CurveSchedule::decay_position(double samples) const {
  if (samples < warmup_samples) return -1.0;
  return std::clamp((samples - warmup_samples) / (target_samples - warmup_samples), 0.0, 1.0);
}

double CurveSchedule::annealing(double samples, double lag) const {
  if (samples < warmup_samples || kind == ScheduleKind::kConstant) return 0.0;
  const double x = decay_position(samples);
  return (1 - final_lr_fraction) * lagged_cosine_annealing(x, std::cos(M_PI * x), std::sin(M_PI * x), lag);
}

}  // namespace clipscale::analysis
