// Grid expansion: the runs a sweep's axes describe, before filtering.
#pragma once

#include <string>
#include <vector>

#include "config/value.h"
#include "sweep/sweep_spec.h"

namespace clipscale::sweep {

/// One axis' value in one run.
struct AxisSetting {
  std::string key;
  config::Value value;
};

/// One run of the grid: a value for every axis, in the order of the sweep file's axes.
using GridPoint = std::vector<AxisSetting>;

/// The most runs a grid may expand to.
inline constexpr size_t kMaxGridRuns = 100000;

/// The cartesian product of the axis groups (each zip group is one group whose axes advance
/// together; every other axis is a group of its own), groups ordered by their first axis in the
/// file, the first group varying slowest. A sweep without axes is one run (the base config).
/// More than kMaxGridRuns runs throw core::UserError.
std::vector<GridPoint> expand_grid(const SweepSpec& spec);

/// "model.config=\"a.json\"" for a setting (the value as canonical TOML, as --set reads it).
std::string override_text(const AxisSetting& setting);

}  // namespace clipscale::sweep
