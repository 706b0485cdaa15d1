// Flags shared by `clipscale fit` and `clipscale compare`, and the work both do once the series
// are known: fit each, compare them when there are several, write fits.h5, report.md and plots.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/dataset.h"
#include "analysis/study.h"

namespace CLI {
class App;
}

namespace clipscale::cli {

struct AnalysisCommandOptions {
  std::vector<std::string> inputs;
  analysis::ColumnMapping columns;
  std::string law = "power";
  /// "auto" (all runs for the joint law, else binned), a rule, or VARIANT=RULE overrides.
  std::vector<std::string> frontier = {"auto"};
  int bins = 5;
  double pad = 0.1;
  std::string loss = "auto";  ///< auto: squared for the power law, huber otherwise
  double huber_delta = 1e-3;
  std::string starts = "auto";
  int refine_starts = 8;
  int bootstrap = 1000;
  uint64_t seed = 0;
  double level = 0.95;
  int threads = 0;
  std::vector<double> at;
  int holdout = -1;
  double compute_per_nd = 0;
  std::string out;
  std::string title;
  std::string reference;
  std::vector<std::string> labels;  ///< compare: one variant label per input
};

/// Declares the column-mapping, law, points, bootstrap and output flags on `sub`.
void add_analysis_options(CLI::App* sub, AnalysisCommandOptions* options);

/// The study options for the series labelled `variant` (per-variant --frontier overrides
/// applied). Throws core::UserError naming the flag when a value is invalid.
analysis::StudyOptions study_options_for(const AnalysisCommandOptions& options, const std::string& variant);

/// The command line as given, rebuilt from the parsed flags of `sub` ("clipscale fit ...").
std::string command_line(const CLI::App& sub);

/// Fits every series, compares them when there are two or more, and writes <out_dir>/fits.h5,
/// report.md and the plots; prints one line per fit and the files written.
void run_analysis(const std::vector<analysis::Series>& series, const AnalysisCommandOptions& options,
                  const std::string& out_dir, const std::string& title, const std::string& command);

/// "results/<stem>" for an input file, the folder itself for an input folder.
std::string default_out_dir(const std::string& input);

}  // namespace clipscale::cli
