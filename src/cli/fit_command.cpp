// clipscale fit results/<sweep>|SWEEP.h5|TABLE.csv|RUNS_DIR --metric M [--x compute|samples|params|data|COLUMN]
//     [--law power|saturating|joint] [--frontier auto|all|min|binned] [--bootstrap N] [--seed S] [--out DIR] ...
// Fits a scaling law with bootstrap intervals, predictions and a leave-largest-out check; with
// --group or --variant it fits each variant and compares them. Writes fits.h5, report.md and
// plots to --out (default: the sweep folder, or results/<csv stem>).
#include <CLI/CLI.hpp>
#include <memory>

#include "analysis/dataset.h"
#include "cli/analysis_options.h"
#include "cli/commands.h"

namespace clipscale::cli {
namespace {

void run_fit(const AnalysisCommandOptions& o, const std::string& command) {
  const analysis::InputTable input = analysis::load_input(o.inputs.front());
  const analysis::LawForm form = analysis::parse_law_form(o.law, "--law");
  const std::vector<analysis::Series> series = analysis::make_series(input, o.columns, form, "");
  const std::string title = !o.title.empty() ? o.title : "Fit of " + o.columns.metric + " on " + o.inputs.front();
  run_analysis(series, o, o.out.empty() ? default_out_dir(o.inputs.front()) : o.out, title, command);
}

}  // namespace

void setup_fit(CLI::App& app) {
  auto options = std::make_shared<AnalysisCommandOptions>();
  CLI::App* sub =
      app.add_subcommand("fit", "fit a scaling law with bootstrap intervals; writes fits.h5, report.md, plots");
  sub->add_option("input", options->inputs, "results/<sweep>, a sweep .h5, a folder of run files, or a CSV table")
      ->required()
      ->expected(1);
  add_analysis_options(sub, options.get());
  sub->add_option("--reference", options->reference, "with --group/--variant: the variant compared against");
  sub->callback([options, sub] { run_fit(*options, command_line(*sub)); });
}

}  // namespace clipscale::cli
