#include "analysis/points.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>

#include "core/error.h"

namespace clipscale::analysis {

std::string frontier_name(FrontierRule rule) {
  switch (rule) {
    case FrontierRule::kAll: return "all";
    case FrontierRule::kRunningMin: return "min";
    case FrontierRule::kBinned: return "binned";
  }
  return "?";
}

FrontierRule parse_frontier_rule(const std::string& text, const std::string& flag) {
  for (const FrontierRule rule : {FrontierRule::kAll, FrontierRule::kRunningMin, FrontierRule::kBinned}) {
    if (text == frontier_name(rule)) return rule;
  }
  throw core::UserError(flag + " = '" + text + "' is not a point rule. HINT: use all (every run), min (the running " +
                        "minimum frontier) or binned (Cherti et al.: --bins, --pad).");
}

bool FrontierOptions::is_valid(const std::string& prefix, std::string* error) const {
  if (bins < 1) {
    *error = fmt::format("{}bins = {} violates bins >= 1. HINT: Cherti et al. use 5.", prefix, bins);
    return false;
  }
  if (!(pad_decades >= 0) || !std::isfinite(pad_decades)) {
    *error =
        fmt::format("{}pad = {} violates 0 <= pad < inf (decades). HINT: Cherti et al. use 0.1.", prefix, pad_decades);
    return false;
  }
  return true;
}

std::string FrontierOptions::describe() const {
  switch (rule) {
    case FrontierRule::kAll: return "all runs";
    case FrontierRule::kRunningMin: return "running-minimum frontier (runs that beat every run of smaller x)";
    case FrontierRule::kBinned:
      return fmt::format(
          "binned frontier ({} bins equal in log10 x over [min, max + {} decades], each bin's "
          "minimum error at the bin centre)",
          bins, pad_decades);
  }
  return "?";
}

std::vector<double> binned_frontier_edges(const std::vector<Observation>& observations,
                                          const FrontierOptions& options) {
  CLIPSCALE_CHECK(!observations.empty()) << "no observations to bin";
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (const Observation& o : observations) {
    lo = std::min(lo, std::log10(o.x));
    hi = std::max(hi, std::log10(o.x));
  }
  hi += options.pad_decades;
  std::vector<double> edges(static_cast<size_t>(options.bins) + 1);
  for (size_t i = 0; i < edges.size(); ++i) edges[i] = lo + (hi - lo) * static_cast<double>(i) / options.bins;
  return edges;
}

std::vector<FitPoint> select_points(const std::vector<Observation>& observations, LawForm form,
                                    const FrontierOptions& options) {
  CLIPSCALE_CHECK(!observations.empty()) << "no observations to select points from";
  std::vector<size_t> order(observations.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const Observation &oa = observations[a], &ob = observations[b];
    return oa.x != ob.x ? oa.x < ob.x : oa.error < ob.error;
  });
  auto point = [&](size_t i) {
    const Observation& o = observations[i];
    FitPoint p;
    p.input = {o.x, o.n, o.d};
    p.error = o.error;
    p.source = i;
    return p;
  };
  std::vector<FitPoint> points;
  if (form == LawForm::kJoint || options.rule == FrontierRule::kAll) {
    for (const size_t i : order) points.push_back(point(i));
    return points;
  }
  if (options.rule == FrontierRule::kRunningMin) {
    double best = std::numeric_limits<double>::infinity();
    for (const size_t i : order) {
      if (observations[i].error < best) {
        best = observations[i].error;
        points.push_back(point(i));
      }
    }
    return points;
  }
  // Binned: bin j holds edges[j] <= log10 x < edges[j+1] (numpy.histogram + digitize, as in the
  // scaling-laws-openclip notebook); the top pad keeps the largest x inside the last bin.
  const std::vector<double> edges = binned_frontier_edges(observations, options);
  std::vector<long> winner(static_cast<size_t>(options.bins), -1);
  for (const size_t i : order) {
    const double lx = std::log10(observations[i].x);
    size_t bin = 0;
    while (bin + 1 < winner.size() && lx >= edges[bin + 1]) ++bin;
    const long w = winner[bin];
    if (w < 0 || observations[i].error < observations[static_cast<size_t>(w)].error) winner[bin] = static_cast<long>(i);
  }
  for (size_t bin = 0; bin < winner.size(); ++bin) {
    if (winner[bin] < 0) continue;
    FitPoint p = point(static_cast<size_t>(winner[bin]));
    p.input.x = std::pow(10.0, (edges[bin] + edges[bin + 1]) / 2);
    points.push_back(p);
  }
  return points;
}

}  // namespace clipscale::analysis
