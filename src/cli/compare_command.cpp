// clipscale compare results/<a> results/<b> ... --metric M [--labels a,b] [--reference a] [--at X,...] [--out DIR]
// Fits the same law to each input (one dataset variant each; or to each --group/--variant of a
// single input) and compares them: exponent differences with intervals, predicted errors at the
// --at computes, where the curves cross, and an equal-compute table.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "analysis/dataset.h"
#include "cli/analysis_options.h"
#include "cli/commands.h"
#include "core/error.h"

namespace clipscale::cli {
namespace {

std::string label_of(const std::string& input) {
  std::filesystem::path p(input);
  while (!p.empty() && (p.filename().empty() || p.filename() == ".")) p = p.parent_path();
  if (p.filename() == "sweep.h5") p = p.parent_path();
  return p.stem().string();
}

void run_compare(const AnalysisCommandOptions& o, const std::string& command) {
  if (!o.labels.empty() && o.labels.size() != o.inputs.size()) {
    throw core::UserError(fmt::format("--labels gives {} labels for {} inputs. HINT: one label per input, in order.",
                                      o.labels.size(), o.inputs.size()));
  }
  const analysis::LawForm form = analysis::parse_law_form(o.law, "--law");
  std::vector<analysis::Series> series;
  std::string names;
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    const std::string label = o.labels.empty() ? label_of(o.inputs[i]) : o.labels[i];
    for (analysis::Series& s : analysis::make_series(analysis::load_input(o.inputs[i]), o.columns, form, label)) {
      for (const analysis::Series& seen : series) {
        if (seen.info.variant == s.info.variant) {
          throw core::UserError(
              fmt::format("two inputs are both labelled '{}'. HINT: name them with --labels.", s.info.variant));
        }
      }
      series.push_back(std::move(s));
    }
    names += (i ? "-" : "") + label;
  }
  if (series.size() < 2) {
    throw core::UserError(
        "compare needs two variants; the input gives one. HINT: pass two inputs, or --group COLUMN / "
        "--variant NAME:FILTER twice.");
  }
  const std::string title = !o.title.empty() ? o.title : "Comparison of " + o.columns.metric + ": " + names;
  run_analysis(series, o, o.out.empty() ? "results/compare-" + names : o.out, title, command);
}

}  // namespace

void setup_compare(CLI::App& app) {
  auto options = std::make_shared<AnalysisCommandOptions>();
  CLI::App* sub =
      app.add_subcommand("compare", "fit one law per dataset variant and compare exponents, predictions and crossings");
  sub->add_option("inputs", options->inputs, "results/<sweep> folders, sweep .h5 files or CSV tables, one per variant")
      ->required();
  add_analysis_options(sub, options.get());
  sub->add_option("--labels", options->labels, "variant labels, one per input (default: folder or file names)")
      ->delimiter(',')
      ->allow_extra_args(false);
  sub->add_option("--reference", options->reference, "the variant compared against (default: the first)");
  sub->callback([options, sub] { run_compare(*options, command_line(*sub)); });
}

}  // namespace clipscale::cli
