#include "analysis/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "analysis/parallel_for.h"
#include "core/hash.h"

namespace clipscale::analysis {
namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}  // namespace

bool BootstrapOptions::is_valid(const std::string& prefix, std::string* error) const {
  if (resamples < 0) {
    *error = fmt::format("{}bootstrap = {} violates bootstrap >= 0. HINT: use 1000 or more for intervals, 0 for none.",
                         prefix, resamples);
    return false;
  }
  if (!(level > 0 && level < 1)) {
    *error = fmt::format("{}level = {} violates 0 < level < 1. HINT: 0.95 for 95% intervals.", prefix, level);
    return false;
  }
  return true;
}

std::vector<size_t> resample_indices(size_t n, uint64_t seed, uint64_t index) {
  // Each replicate has its own generator, keyed by (seed, replicate index): the resamples, and so
  // the intervals, are the same whatever the thread count or the order the threads finish in.
  core::Rng rng(core::hash_combine(seed, index));
  std::vector<size_t> picked(n);
  for (size_t& i : picked) i = static_cast<size_t>(rng.uniform_int(n));
  return picked;
}

BootstrapResult bootstrap(const std::vector<Observation>& observations, LawForm form, const Refit& refit,
                          const BootstrapOptions& options) {
  BootstrapResult result;
  const size_t count = static_cast<size_t>(std::max(options.resamples, 0));
  result.replicates.resize(count);
  parallel_for(count, options.threads, [&](size_t begin, size_t end, int /*worker*/) {
    std::vector<Observation> resample(observations.size());
    for (size_t b = begin; b < end; ++b) {
      const std::vector<size_t> picked = resample_indices(observations.size(), options.seed, b);
      for (size_t i = 0; i < picked.size(); ++i) resample[i] = observations[picked[i]];
      std::optional<Law> law = refit(resample);
      if (law) result.replicates[b] = std::move(*law);
    }
  });
  // A resample the fit cannot solve is kept as a NaN replicate and counted, rather than dropped or
  // refitted: dropping would bias the interval toward the well-behaved resamples, and the count
  // tells the reader how stable the fit is.
  for (Law& law : result.replicates) {
    const bool ok = law.params.size() == law_parameter_count(form) &&
                    std::all_of(law.params.begin(), law.params.end(), [](double v) { return std::isfinite(v); });
    if (!ok) {
      ++result.failed;
      law.form = form;
      law.params.assign(law_parameter_count(form), kNaN);
    }
  }
  return result;
}

// Linear interpolation between order statistics (Hyndman and Fan's type 7, numpy's default), so
// intervals agree with what a reader computes from the replicates in Python.
double quantile(std::vector<double> values, double q) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }), values.end());
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  const double position = q * static_cast<double>(values.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, values.size() - 1);
  const double frac = position - static_cast<double>(below);
  return values[below] + (values[above] - values[below]) * frac;
}

Estimate summarize(double value, const std::vector<double>& replicates, double level) {
  Estimate e;
  e.value = value;
  e.lo = quantile(replicates, (1 - level) / 2);
  e.hi = quantile(replicates, (1 + level) / 2);
  double sum = 0, sum_sq = 0;
  size_t n = 0;
  for (const double v : replicates) {
    if (!std::isfinite(v)) continue;
    sum += v;
    sum_sq += v * v;
    ++n;
  }
  if (n < 2) {
    e.se = kNaN;
  } else {
    const double mean = sum / static_cast<double>(n);
    e.se = std::sqrt(std::max(0.0, (sum_sq - static_cast<double>(n) * mean * mean) / static_cast<double>(n - 1)));
  }
  return e;
}

}  // namespace clipscale::analysis
