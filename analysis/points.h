// Which points a law is fitted to: every run, the strict running-minimum frontier, or the binned
// frontier of Cherti et al. 2023.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "analysis/law.h"

namespace clipscale::analysis {

/// One run reduced to what a fit needs.
struct Observation {
  std::string id;  ///< run id, or a row label
  /// The x axis of one-variable laws (compute, samples seen, ...). For the joint law: the run's
  /// compute (orders runs for the leave-largest-out check and places them on plots).
  double x = 0;
  double n = 0;      ///< joint law: model size (parameters)
  double d = 0;      ///< joint law: data (tokens, samples seen)
  double error = 0;  ///< the metric as an error, > 0
};

enum class FrontierRule {
  kAll,         ///< every run
  kRunningMin,  ///< runs that beat every run of smaller x (ties in x: the lower error first)
  kBinned,      ///< Cherti et al.: k bins equal in log10 x over [min x, max x · 10^pad]; each
                ///< non-empty bin gives one point, its minimum error placed at the bin centre
};

/// "all", "min", "binned".
std::string frontier_name(FrontierRule rule);
/// Inverse of frontier_name; core::UserError naming `flag` otherwise.
FrontierRule parse_frontier_rule(const std::string& text, const std::string& flag);

struct FrontierOptions {
  FrontierRule rule = FrontierRule::kAll;
  int bins = 5;              ///< kBinned: number of bins, >= 1
  double pad_decades = 0.1;  ///< kBinned: the top of the range is max log10 x + pad_decades

  /// False (and `error` says why, with the flag names under `prefix`) when a value is invalid.
  bool is_valid(const std::string& prefix, std::string* error) const;
  /// "binned (5 bins, pad 0.1 decades, minimum at the bin centre)".
  std::string describe() const;
};

/// A point a law is fitted to.
struct FitPoint {
  LawInput input;
  double error = 0;
  size_t source = 0;  ///< index of the observation it came from (a bin's winner)
};

/// The points `rule` keeps from `observations`, in increasing x. The joint law takes every run
/// (input n, d); one-variable laws take input x. `observations` must be non-empty with x > 0.
std::vector<FitPoint> select_points(const std::vector<Observation>& observations, LawForm form,
                                    const FrontierOptions& options);

/// Edges of the kBinned rule in log10 x: bins + 1 values.
std::vector<double> binned_frontier_edges(const std::vector<Observation>& observations, const FrontierOptions& options);

}  // namespace clipscale::analysis
