// clipscale report results/<sweep> [DIR...] [--out DIR] [--title T]
// Redraws report.md and the plots from fits.h5 alone (no input files needed). Several folders
// make one report with a section each, written to --out.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "analysis/fits_file.h"
#include "analysis/report.h"
#include "cli/commands.h"
#include "core/error.h"

namespace clipscale::cli {
namespace {

struct ReportCommandOptions {
  std::vector<std::string> inputs;
  std::string out;
  std::string title;
};

std::string fits_path_of(const std::string& input) {
  const std::filesystem::path p(input);
  std::error_code ec;
  return std::filesystem::is_directory(p, ec) ? (p / "fits.h5").string() : p.string();
}

void run_report(const ReportCommandOptions& o) {
  if (o.inputs.size() > 1 && o.out.empty()) {
    throw core::UserError("report of several folders needs --out. HINT: e.g. --out results/anchors.");
  }
  std::vector<analysis::FitsDocument> documents;
  for (const std::string& input : o.inputs) documents.push_back(analysis::read_fits_file(fits_path_of(input)));
  std::vector<analysis::ReportPart> parts;
  for (size_t i = 0; i < documents.size(); ++i) {
    std::filesystem::path name(o.inputs[i]);
    if (name.filename().empty()) name = name.parent_path();
    const std::string prefix = documents.size() > 1 ? name.filename().string() + "-" : std::string();
    parts.push_back({&documents[i], prefix});
  }
  const std::string out =
      o.out.empty() ? std::filesystem::path(fits_path_of(o.inputs.front())).parent_path().string() : o.out;
  const std::string title = !o.title.empty() ? o.title : documents.size() == 1 ? documents.front().title : "Fits";
  const analysis::ReportFiles files = analysis::write_report(out.empty() ? "." : out, title, parts);
  if (!files.warning.empty()) spdlog::warn("{}", files.warning);
  std::printf("wrote %s and %zu plot files\n", files.report.c_str(), files.plots.size());
}

}  // namespace

void setup_report(CLI::App& app) {
  auto options = std::make_shared<ReportCommandOptions>();
  CLI::App* sub = app.add_subcommand("report", "redraw report.md and the plots from fits.h5");
  sub->add_option("inputs", options->inputs, "results/<sweep> folders (or fits.h5 files)")->required();
  sub->add_option("--out", options->out, "output folder (default: the folder of the single input)");
  sub->add_option("--title", options->title, "report title");
  sub->callback([options] { run_report(*options); });
}

}  // namespace clipscale::cli
