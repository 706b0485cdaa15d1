// The Markdown report of fits (report.md) and its plots, made from fits.h5 documents alone.
//
// Per fit it states what the (Mis)fitting survey (Li et al. 2025) asks a scaling-law report to
// state: the form, the loss, the optimiser and its starts, the points used, the x axis and its
// unit, how uncertainty was estimated; then parameters with bootstrap intervals, predictions,
// the leave-largest-out check and the points fitted with their residuals. A comparison adds
// exponent and prediction differences, crossings and the equal-compute table.
#pragma once

#include <string>
#include <vector>

#include "analysis/fits_file.h"
#include "analysis/plot.h"

namespace clipscale::analysis {

/// One document in a report, with the stem its plots get.
struct ReportPart {
  const FitsDocument* document = nullptr;
  std::string plot_prefix;  ///< prepended to plot stems ("" for a single document)
};

/// The plots of a document: one overlay of all fits when it holds a comparison, else one per fit.
std::vector<PlotSpec> plots_of(const FitsDocument& document, const std::string& prefix);

/// The report text. `title` heads it; each part becomes a section when there are several.
/// `plots_drawn` says whether the PNGs exist (otherwise the report says how to draw them).
std::string render_report(const std::string& title, const std::vector<ReportPart>& parts, bool plots_drawn);

struct ReportFiles {
  std::string report;              ///< path of report.md
  std::vector<std::string> plots;  ///< paths of the PNG and SVG files drawn
  std::string warning;             ///< why plots are missing, when they are
};

/// Writes <dir>/report.md and the plots (PNG, SVG and their .gp scripts) of `parts`.
ReportFiles write_report(const std::string& dir, const std::string& title, const std::vector<ReportPart>& parts);

}  // namespace clipscale::analysis
