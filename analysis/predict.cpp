#include "analysis/predict.h"

#include <cmath>
#include <limits>

#include "analysis/bootstrap.h"

namespace clipscale::analysis {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

Allocation compute_optimal(const Law& law, double compute, double k) {
  Allocation out{kNaN, kNaN, kNaN};
  if (law.form != LawForm::kJoint || law.params.size() != 5) return out;
  const double a = law.params[1], b = law.params[2], alpha = law.params[3], beta = law.params[4];
  if (!(alpha > 0 && beta > 0 && a > 0 && b > 0 && compute > 0 && k > 0)) return out;
  const double g = std::pow(alpha * a / (beta * b), 1.0 / (alpha + beta));
  out.n = g * std::pow(compute / k, beta / (alpha + beta));
  out.d = std::pow(compute / k, alpha / (alpha + beta)) / g;
  out.error = law.value({0, out.n, out.d});
  return out;
}

double allocation_exponent(const Law& law) {
  if (law.form != LawForm::kJoint || law.params.size() != 5) return kNaN;
  return law.params[4] / (law.params[3] + law.params[4]);
}

double compute_per_nd(const std::vector<Observation>& observations) {
  std::vector<double> ratios;
  for (const Observation& o : observations) {
    if (o.x > 0 && o.n > 0 && o.d > 0) ratios.push_back(o.x / (o.n * o.d));
  }
  return quantile(ratios, 0.5);
}

double predict_error(const Law& law, double x, double k) {
  if (law.form == LawForm::kJoint) return compute_optimal(law, x, k).error;
  return law.value({x, 0, 0});
}

}  // namespace clipscale::analysis
