// JSON of config values and grid points, for the --json outputs. Internal to src/sweep:
// nlohmann_json is a private dependency of clipscale_sweep, so no public header includes this.
#pragma once

#include <nlohmann/json.hpp>

#include "config/value.h"
#include "sweep/grid.h"

namespace clipscale::sweep {

/// A config value as JSON: bool, integer, number, string or array of strings.
nlohmann::json value_json(const config::Value& value);

/// A grid point as {"key": value, ...}.
nlohmann::json axes_json(const GridPoint& axes);

}  // namespace clipscale::sweep
