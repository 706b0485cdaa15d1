#include "analysis/compare.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "analysis/predict.h"
#include "core/error.h"

namespace clipscale::analysis {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kLevelTolerance = 0.02;  // relative x difference within one compute level
constexpr int kCrossingGrid = 400;

double parameter_of(const Law& law, const std::string& name) {
  return name == "n_opt_exponent" ? allocation_exponent(law) : law.param(name);
}

bool usable(const Law& law) {
  return std::all_of(law.params.begin(), law.params.end(), [](double v) { return std::isfinite(v); });
}

// Differences f(variant replicate b) − f(reference replicate b) over the paired replicates.
template <typename F>
void paired_differences(const FitSummary& v, const FitSummary& ref, const F& f, std::vector<double>* diffs,
                        double* share_positive) {
  const size_t n = std::min(v.replicates.size(), ref.replicates.size());
  size_t positive = 0, finite = 0;
  for (size_t b = 0; b < n; ++b) {
    const Law lv = v.replicate(b), lr = ref.replicate(b);
    const double d = usable(lv) && usable(lr) ? f(lv, v) - f(lr, ref) : kNaN;
    diffs->push_back(d);
    if (std::isfinite(d)) {
      ++finite;
      positive += d > 0 ? 1 : 0;
    }
  }
  *share_positive = finite > 0 ? static_cast<double>(positive) / static_cast<double>(finite) : kNaN;
}

// First x in [lo, hi] where the log errors of the two laws are equal; NaN when they do not cross.
double first_crossing(const Law& a, double ka, const Law& b, double kb, double lo, double hi) {
  const auto gap = [&](double lx) {
    const double x = std::exp(lx);
    return std::log(predict_error(a, x, ka)) - std::log(predict_error(b, x, kb));
  };
  const double l0 = std::log(lo), l1 = std::log(hi);
  double prev_x = l0, prev = gap(l0);
  for (int i = 1; i <= kCrossingGrid; ++i) {
    const double lx = l0 + (l1 - l0) * i / kCrossingGrid;
    const double g = gap(lx);
    if (std::isfinite(prev) && std::isfinite(g) && (prev == 0 || (prev < 0) != (g < 0))) {
      double left = prev_x, right = lx, g_left = prev;
      for (int it = 0; it < 100 && g_left != 0; ++it) {
        const double mid = 0.5 * (left + right);
        const double g_mid = gap(mid);
        if ((g_mid < 0) == (g_left < 0)) {
          left = mid;
          g_left = g_mid;
        } else {
          right = mid;
        }
      }
      return std::exp(g_left == 0 ? left : 0.5 * (left + right));
    }
    prev_x = lx;
    prev = g;
  }
  return kNaN;
}

std::vector<double> ranks_of(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t i, size_t j) { return values[i] < values[j]; });
  std::vector<double> ranks(values.size());
  for (size_t r = 0; r < order.size(); ++r) ranks[order[r]] = static_cast<double>(r + 1);
  return ranks;
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  const std::vector<double> ra = ranks_of(a), rb = ranks_of(b);
  const double n = static_cast<double>(a.size());
  double d2 = 0;
  for (size_t i = 0; i < a.size(); ++i) d2 += (ra[i] - rb[i]) * (ra[i] - rb[i]);
  return 1 - 6 * d2 / (n * (n * n - 1));
}

std::vector<EqualComputeRow> equal_compute_table(const std::vector<FitSummary>& fits) {
  std::vector<double> xs;
  for (const FitSummary& f : fits) {
    for (const ObservationRow& r : f.runs) xs.push_back(r.x);
  }
  std::sort(xs.begin(), xs.end());
  // Levels: runs of sorted x values, each within kLevelTolerance of the level's first value.
  std::vector<std::pair<double, double>> levels;  // [first, last]
  for (const double x : xs) {
    if (levels.empty() || x > levels.back().first * (1 + kLevelTolerance)) levels.push_back({x, x});
    levels.back().second = x;
  }
  std::vector<EqualComputeRow> rows;
  for (const auto& [first, last] : levels) {
    EqualComputeRow row;
    row.x = std::sqrt(first * last);
    std::vector<double> present;
    for (const FitSummary& f : fits) {
      double best = kNaN;
      for (const ObservationRow& r : f.runs) {
        if (r.x >= first && r.x <= last && !(r.error >= best)) best = r.error;
      }
      row.observed.push_back(best);
      row.predicted.push_back(predict_error(f.fitted_law(), row.x, f.compute_per_nd));
    }
    for (size_t v = 0; v < fits.size(); ++v) {
      int rank = 0;
      if (std::isfinite(row.observed[v])) {
        rank = 1;
        for (size_t w = 0; w < fits.size(); ++w) rank += row.observed[w] < row.observed[v] ? 1 : 0;
      }
      row.rank.push_back(rank);
    }
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

std::vector<std::string> compared_parameters(LawForm form) {
  switch (form) {
    case LawForm::kPower: return {"alpha"};
    case LawForm::kSaturating: return {"alpha", "e_inf"};
    case LawForm::kJoint: return {"alpha", "beta", "e", "n_opt_exponent"};
  }
  return {};
}

Comparison compare_fits(const std::vector<FitSummary>& fits, const std::string& reference) {
  CLIPSCALE_CHECK_GE(fits.size(), 2u) << "a comparison needs two fits";
  Comparison c;
  for (const FitSummary& f : fits) {
    CLIPSCALE_CHECK(f.law == fits.front().law) << "compared fits must use one law";
    c.variants.push_back(f.info.variant);
  }
  c.reference = reference.empty() ? c.variants.front() : reference;
  const auto ref_it = std::find(c.variants.begin(), c.variants.end(), c.reference);
  if (ref_it == c.variants.end()) {
    throw core::UserError(fmt::format("--reference '{}' is not one of the variants ({}). HINT: pick one of them.",
                                      c.reference, fmt::join(c.variants, ", ")));
  }
  const FitSummary& ref = fits[static_cast<size_t>(ref_it - c.variants.begin())];
  const double level = ref.level;

  for (const FitSummary& f : fits) {
    if (&f == &ref) continue;
    for (const std::string& name : compared_parameters(f.law)) {
      DifferenceRow row;
      row.variant = f.info.variant;
      row.parameter = name;
      std::vector<double> diffs;
      paired_differences(
          f, ref, [&](const Law& l, const FitSummary&) { return parameter_of(l, name); }, &diffs, &row.share_positive);
      row.difference =
          summarize(parameter_of(f.fitted_law(), name) - parameter_of(ref.fitted_law(), name), diffs, level);
      c.differences.push_back(row);
    }
    for (const PredictionRow& p : ref.predictions) {
      PredictionDifferenceRow row;
      row.variant = f.info.variant;
      row.x = p.x;
      std::vector<double> diffs;
      paired_differences(
          f, ref, [&](const Law& l, const FitSummary& s) { return predict_error(l, p.x, s.compute_per_nd); }, &diffs,
          &row.share_positive);
      row.difference = summarize(predict_error(f.fitted_law(), p.x, f.compute_per_nd) -
                                     predict_error(ref.fitted_law(), p.x, ref.compute_per_nd),
                                 diffs, level);
      c.prediction_differences.push_back(row);
    }
  }

  // Crossings are searched from a decade below the smallest run to three decades above the
  // largest run or prediction.
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  for (const FitSummary& f : fits) {
    for (const ObservationRow& r : f.runs) {
      lo = std::min(lo, r.x);
      hi = std::max(hi, r.x);
    }
    for (const PredictionRow& p : f.predictions) hi = std::max(hi, p.x);
  }
  lo /= 10;
  hi *= 1000;
  for (size_t i = 0; i < fits.size(); ++i) {
    for (size_t j = i + 1; j < fits.size(); ++j) {
      const FitSummary &a = fits[i], &b = fits[j];
      CrossingRow row;
      row.a = a.info.variant;
      row.b = b.info.variant;
      row.range_lo = lo;
      row.range_hi = hi;
      const double point = first_crossing(a.fitted_law(), a.compute_per_nd, b.fitted_law(), b.compute_per_nd, lo, hi);
      row.crosses = std::isfinite(point);
      std::vector<double> xs;
      const size_t n = std::min(a.replicates.size(), b.replicates.size());
      size_t crossing = 0, usable_pairs = 0;
      for (size_t r = 0; r < n; ++r) {
        const Law la = a.replicate(r), lb = b.replicate(r);
        if (!usable(la) || !usable(lb)) continue;
        ++usable_pairs;
        const double x = first_crossing(la, a.compute_per_nd, lb, b.compute_per_nd, lo, hi);
        if (std::isfinite(x)) {
          ++crossing;
          xs.push_back(std::log(x));
        }
      }
      row.share_crossing = usable_pairs > 0 ? static_cast<double>(crossing) / static_cast<double>(usable_pairs) : kNaN;
      const Estimate log_x = summarize(std::log(point), xs, level);
      row.x = {point, std::exp(log_x.lo), std::exp(log_x.hi), kNaN};
      c.crossings.push_back(row);
    }
  }

  c.equal_compute = equal_compute_table(fits);
  std::vector<std::vector<double>> complete;
  for (const EqualComputeRow& row : c.equal_compute) {
    if (std::all_of(row.observed.begin(), row.observed.end(), [](double v) { return std::isfinite(v); })) {
      complete.push_back(row.observed);
    }
  }
  c.rank_levels = static_cast<int>(complete.size());
  c.rank_correlation_mean = c.rank_correlation_min = kNaN;
  if (complete.size() >= 2) {
    double sum = 0, min = 1;
    int pairs = 0;
    for (size_t i = 0; i < complete.size(); ++i) {
      for (size_t j = i + 1; j < complete.size(); ++j) {
        const double rho = spearman(complete[i], complete[j]);
        sum += rho;
        min = std::min(min, rho);
        ++pairs;
      }
    }
    c.rank_correlation_mean = sum / pairs;
    c.rank_correlation_min = min;
  }
  return c;
}

}  // namespace clipscale::analysis
