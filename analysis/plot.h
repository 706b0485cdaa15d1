// Log–log plots of fits, rendered by gnuplot as PNG and SVG: every run (small markers), the
// points fitted (the frontier, large markers), the fitted curve and its bootstrap band; the
// variants of a comparison overlaid in one plot. Each plot's gnuplot script (<stem>.gp, data
// inline) is kept next to the images so a figure can be restyled by hand.
#pragma once

#include <string>
#include <vector>

#include "analysis/study.h"

namespace clipscale::analysis {

/// One figure: the fits drawn together.
struct PlotSpec {
  std::string stem;  ///< file name without extension
  std::string title;
  std::vector<const FitSummary*> fits;
};

/// The gnuplot script that draws `plot` into <dir>/<stem>.png and <dir>/<stem>.svg.
std::string gnuplot_script(const PlotSpec& plot, const std::string& dir);

/// True when a `gnuplot` executable is on the PATH.
bool gnuplot_available();

/// Writes <dir>/<stem>.gp and runs gnuplot on it. Returns false (and `warning` says why, with a
/// HINT) when gnuplot is missing or fails; plots are optional, so this is not an exception.
bool render_plot(const PlotSpec& plot, const std::string& dir, std::string* warning);

}  // namespace clipscale::analysis
