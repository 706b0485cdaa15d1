#include "sweep/grid.h"

#include <algorithm>

#include "core/error.h"

namespace clipscale::sweep {

std::vector<GridPoint> expand_grid(const SweepSpec& spec) {
  // Groups of axis indices, ordered by their first axis.
  std::vector<std::vector<size_t>> groups;
  std::vector<bool> grouped(spec.axes.size(), false);
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    if (grouped[a]) continue;
    std::vector<size_t> group = {a};
    for (const auto& zip : spec.zip_groups) {
      if (std::find(zip.begin(), zip.end(), spec.axes[a].key) == zip.end()) continue;
      group.clear();
      for (size_t b = 0; b < spec.axes.size(); ++b)
        if (std::find(zip.begin(), zip.end(), spec.axes[b].key) != zip.end()) group.push_back(b);
    }
    for (size_t b : group) grouped[b] = true;
    groups.push_back(std::move(group));
  }

  size_t total = 1;
  for (const auto& group : groups) {
    const size_t n = spec.axes[group.front()].values.size();
    for (size_t b : group) CLIPSCALE_CHECK_EQ(spec.axes[b].values.size(), n) << "zipped axes of unequal length";
    if (n > 0 && total > kMaxGridRuns / n) {
      throw core::UserError(spec.path + ": the axes expand to more than " + std::to_string(kMaxGridRuns) +
                            " runs. HINT: zip axes that vary together ([zip]) or split the sweep.");
    }
    total *= n;
  }

  std::vector<GridPoint> points;
  points.reserve(total);
  std::vector<size_t> position(groups.size(), 0);  // odometer over groups, the last fastest
  for (size_t run = 0; run < total; ++run) {
    GridPoint point(spec.axes.size());
    for (size_t g = 0; g < groups.size(); ++g)
      for (size_t b : groups[g]) point[b] = {spec.axes[b].key, spec.axes[b].values[position[g]]};
    points.push_back(std::move(point));
    for (size_t g = groups.size(); g-- > 0;) {
      if (++position[g] < spec.axes[groups[g].front()].values.size()) break;
      position[g] = 0;
    }
  }
  return points;
}

std::string override_text(const AxisSetting& setting) {
  return setting.key + "=" + config::format_value(setting.value);
}

}  // namespace clipscale::sweep
