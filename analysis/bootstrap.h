// Nonparametric bootstrap over runs: resample the observations with replacement, redo the whole
// fit (points rule included) on each resample, and summarise any quantity by the percentiles of
// its replicates. Resample b draws from its own generator, core::Rng(hash_combine(seed, b)), and
// lands at index b, so the replicates are the same for every thread count.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/law.h"
#include "analysis/points.h"

namespace clipscale::analysis {

struct BootstrapOptions {
  int resamples = 1000;  ///< >= 0; 0 skips the bootstrap (intervals are NaN)
  uint64_t seed = 0;
  int threads = 0;      ///< 0: every hardware thread
  double level = 0.95;  ///< central interval level, in (0, 1)

  /// False (and `error` says why, naming the flags under `prefix`) when a value is invalid.
  bool is_valid(const std::string& prefix, std::string* error) const;
};

/// Refits one resample; std::nullopt when it can't be fitted (too few distinct points, say).
using Refit = std::function<std::optional<Law>(const std::vector<Observation>& resample)>;

struct BootstrapResult {
  /// One law per resample; a failed resample holds NaN parameters.
  std::vector<Law> replicates;
  int failed = 0;
};

/// Runs `options.resamples` resamples of `observations` through `refit` (which fits laws of
/// `form`), on options.threads threads. `refit` must be safe to call concurrently.
BootstrapResult bootstrap(const std::vector<Observation>& observations, LawForm form, const Refit& refit,
                          const BootstrapOptions& options);

/// The indices resample `index` draws (n draws from [0, n) with replacement).
std::vector<size_t> resample_indices(size_t n, uint64_t seed, uint64_t index);

/// A point estimate with its bootstrap summary.
struct Estimate {
  double value = 0;
  double lo = 0;  ///< percentile interval at the bootstrap level; NaN without replicates
  double hi = 0;
  double se = 0;  ///< standard deviation of the replicates; NaN without replicates
};

/// Summarises `replicates` (NaN entries are ignored) around `value`: the percentile interval
/// at `level` (linear interpolation between order statistics, as numpy.percentile) and the SD.
Estimate summarize(double value, const std::vector<double>& replicates, double level);

/// The q-quantile (0 <= q <= 1) of `values` (finite ones only) by linear interpolation; NaN
/// when none is finite.
double quantile(std::vector<double> values, double q);

}  // namespace clipscale::analysis
