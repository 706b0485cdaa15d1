// Synthetic runs drawn from a known law with log-normal noise, for the analysis tests.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "analysis/law.h"
#include "analysis/points.h"
#include "analysis/study.h"
#include "core/hash.h"

namespace clipscale::analysis::testing {

/// A standard normal draw (Box–Muller) from `rng`.
inline double normal(core::Rng& rng) {
  const double u1 = 1.0 - rng.uniform();  // (0, 1]
  const double u2 = rng.uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

/// `count` values spaced evenly in log between lo and hi.
inline std::vector<double> log_spaced(double lo, double hi, int count) {
  std::vector<double> out;
  for (int i = 0; i < count; ++i) out.push_back(lo * std::pow(hi / lo, i / double(count - 1)));
  return out;
}

/// One run per x: E = law(x) · exp(sigma · z), z standard normal, seeded.
inline std::vector<Observation> runs_along_x(const Law& law, const std::vector<double>& xs, double sigma,
                                             uint64_t seed) {
  core::Rng rng(core::hash_combine(seed, 0x5eed));
  std::vector<Observation> runs;
  for (size_t i = 0; i < xs.size(); ++i) {
    Observation o;
    o.id = "run" + std::to_string(i);
    o.x = xs[i];
    o.error = law.value({xs[i], 0, 0}) * std::exp(sigma * normal(rng));
    runs.push_back(o);
  }
  return runs;
}

/// One run per (n, d) of the grid, compute x = 6·n·d, E = law(n, d) · exp(sigma · z).
inline std::vector<Observation> runs_on_grid(const Law& law, const std::vector<double>& ns,
                                             const std::vector<double>& ds, double sigma, uint64_t seed) {
  core::Rng rng(core::hash_combine(seed, 0x6a11));
  std::vector<Observation> runs;
  for (const double n : ns) {
    for (const double d : ds) {
      Observation o;
      o.id = "run" + std::to_string(runs.size());
      o.n = n;
      o.d = d;
      o.x = 6 * n * d;
      o.error = law.value({0, n, d}) * std::exp(sigma * normal(rng));
      runs.push_back(o);
    }
  }
  return runs;
}

/// `runs` labelled as a CSV input would label them: metric acc1 (error 1 - acc1) against a
/// compute column in FLOPs, all rows kept.
inline Series labelled_series(const std::string& name, const std::string& variant, std::vector<Observation> runs) {
  Series s;
  s.info.name = name;
  s.info.variant = variant;
  s.info.source = "synthetic.csv";
  s.info.metric = "acc1";
  s.info.x_column = "compute";
  s.info.x_unit = "FLOPs";
  s.info.selection = "all rows";
  s.observations = std::move(runs);
  return s;
}

}  // namespace clipscale::analysis::testing
