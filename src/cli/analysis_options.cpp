#include "cli/analysis_options.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "analysis/compare.h"
#include "analysis/fits_file.h"
#include "analysis/report.h"
#include "core/error.h"
#include "core/timer.h"

namespace clipscale::cli {
namespace {

std::string interval_text(const analysis::Estimate& e) {
  if (!std::isfinite(e.lo)) return fmt::format("{:.4g}", e.value);
  return fmt::format("{:.4g} [{:.4g}, {:.4g}]", e.value, e.lo, e.hi);
}

// One line per fit: its exponents with intervals.
std::string fit_line(const analysis::FitSummary& f) {
  std::string line = fmt::format("{}: {} law, {} points of {} runs", f.info.name, analysis::law_name(f.law),
                                 f.points.size(), f.n_runs);
  for (const analysis::ParameterRow& p : f.parameters)
    line += fmt::format(" | {} {}", p.name, interval_text(p.estimate));
  return line;
}

}  // namespace

void add_analysis_options(CLI::App* sub, AnalysisCommandOptions* o) {
  analysis::ColumnMapping& c = o->columns;
  auto repeated = [](CLI::Option* option) { option->allow_extra_args(false); };
  sub->add_option("--metric", c.metric, "metric column, e.g. zeroshot_shape/top1, acc1, loss")->required();
  sub->add_option("--error", c.error, "one-minus (E = 1 - metric), identity (E = metric) or auto (identity for *loss*)")
      ->check(CLI::IsMember({"auto", "one-minus", "identity"}));
  sub->add_option("--x", c.x, "x axis: compute, samples, params, data, or any column (joint law: the compute column)");
  sub->add_option("--x-unit", c.x_unit, "unit of x shown on plots and in the report (e.g. GMACs)");
  sub->add_option("--n", c.n, "joint law: model size column (default params)");
  sub->add_option("--d", c.d, "joint law: data size column (default samples)");
  sub->add_option("--d-from-compute", c.d_from_compute, "joint law: d = x / (K * n), e.g. 6 for Chinchilla's D = C/6N");
  sub->add_option("--id", c.id, "row label column (default run_id, else name, else the row number)");
  repeated(sub->add_option("--where", c.where, "keep rows where COLUMN=VALUE (also !=, <, <=, >, >=); repeatable"));
  sub->add_option("--group", c.group, "fit one variant per distinct value of this column");
  repeated(sub->add_option("--variant", c.variants, "a named variant NAME:FILTER[&FILTER]; repeatable"));
  sub->add_flag("--include-unfinished", c.include_unfinished, "keep runs whose status is not done");
  sub->add_option("--law", o->law, "power (E = beta*x^alpha), saturating (E = e_inf + a*x^-alpha) or joint")
      ->check(CLI::IsMember({"power", "saturating", "joint"}));
  repeated(sub->add_option("--frontier", o->frontier,
                           "points: auto, all, min (running minimum) or binned (Cherti et al.); VARIANT=RULE for one "
                           "variant; repeatable"));
  sub->add_option("--bins", o->bins, "binned frontier: number of bins (default 5)");
  sub->add_option("--pad", o->pad, "binned frontier: decades added above the largest x (default 0.1)");
  sub->add_option("--loss", o->loss, "squared, huber, or auto (squared for power, huber otherwise)")
      ->check(CLI::IsMember({"auto", "squared", "huber"}));
  sub->add_option("--huber-delta", o->huber_delta, "delta of the Huber loss on log residuals (default 1e-3)");
  sub->add_option("--starts", o->starts, "auto (variable-projection grid) or hoffmann (4,500-point grid; joint only)")
      ->check(CLI::IsMember({"auto", "hoffmann"}));
  sub->add_option("--refine-starts", o->refine_starts, "auto starts: grid points refined (default 8)");
  sub->add_option("--bootstrap", o->bootstrap, "bootstrap resamples over runs (default 1000; 0: none)");
  sub->add_option("--seed", o->seed, "bootstrap seed (default 0)");
  sub->add_option("--level", o->level, "interval level (default 0.95)");
  sub->add_option("--threads", o->threads, "threads for the bootstrap and the starts (default 0: all)");
  repeated(
      sub->add_option("--at", o->at, "x values to predict at, comma-separated (default: largest x times 1, 10, 100)")
          ->delimiter(','));
  sub->add_option("--holdout", o->holdout,
                  "runs of largest x left out for the extrapolation check (default 10%; 0: off)");
  sub->add_option("--compute-per-nd", o->compute_per_nd,
                  "joint law: K of C = K*n*d (default: estimated from the runs)");
  sub->add_option("--out", o->out, "output folder for fits.h5, report.md and plots");
  sub->add_option("--title", o->title, "report title");
}

analysis::StudyOptions study_options_for(const AnalysisCommandOptions& o, const std::string& variant) {
  analysis::StudyOptions s;
  s.fit.law = analysis::parse_law_form(o.law, "--law");
  s.fit.loss = o.loss == "auto" ? (s.fit.law == analysis::LawForm::kPower ? analysis::LossKind::kSquared
                                                                          : analysis::LossKind::kHuber)
                                : analysis::parse_loss(o.loss, "--loss");
  s.fit.huber_delta = o.huber_delta;
  s.fit.starts = analysis::parse_start_rule(o.starts, "--starts");
  s.fit.refine_starts = o.refine_starts;
  s.fit.threads = o.threads;
  std::string rule = "auto";
  for (const std::string& f : o.frontier) {
    const size_t eq = f.find('=');
    if (eq == std::string::npos) {
      rule = f;
    } else if (f.substr(0, eq) == variant) {
      rule = f.substr(eq + 1);
    }
  }
  s.frontier.rule = rule == "auto" ? (s.fit.law == analysis::LawForm::kJoint ? analysis::FrontierRule::kAll
                                                                             : analysis::FrontierRule::kBinned)
                                   : analysis::parse_frontier_rule(rule, "--frontier");
  s.frontier.bins = o.bins;
  s.frontier.pad_decades = o.pad;
  s.bootstrap.resamples = o.bootstrap;
  s.bootstrap.seed = o.seed;
  s.bootstrap.level = o.level;
  s.bootstrap.threads = o.threads;
  s.predict_at = o.at;
  s.holdout = o.holdout;
  s.compute_per_nd = o.compute_per_nd;
  std::string error;
  if (!s.is_valid("--", &error)) throw core::UserError(error);
  return s;
}

std::string command_line(const CLI::App& sub) {
  std::string line = "clipscale " + sub.get_name();
  for (const CLI::Option* option : sub.get_options()) {
    if (option->count() == 0) continue;
    const bool positional = option->get_lnames().empty() && option->get_snames().empty();
    if (!positional && option->get_items_expected_max() == 0) {  // a flag
      line += " " + option->get_name();
      continue;
    }
    for (const std::string& value : option->results()) {
      const std::string shown = value.find_first_of(" <>&!;'\"") == std::string::npos ? value : "'" + value + "'";
      line += positional ? " " + shown : " " + option->get_name() + " " + shown;
    }
  }
  return line;
}

std::string default_out_dir(const std::string& input) {
  const std::filesystem::path p(input);
  std::error_code ec;
  if (std::filesystem::is_directory(p, ec)) return p.string();
  return (std::filesystem::path("results") / p.stem()).string();
}

void run_analysis(const std::vector<analysis::Series>& series, const AnalysisCommandOptions& o,
                  const std::string& out_dir, const std::string& title, const std::string& command) {
  analysis::FitsDocument doc;
  doc.title = title;
  doc.command = command;
  core::Stopwatch watch;
  for (const analysis::Series& s : series) {
    const analysis::StudyOptions options = study_options_for(o, s.info.variant);
    spdlog::info("fitting {}: {} runs, {} law, {} bootstrap resamples", s.info.name, s.observations.size(),
                 analysis::law_name(options.fit.law), options.bootstrap.resamples);
    doc.fits.push_back(analysis::run_study(s, options));
    std::printf("%s\n", fit_line(doc.fits.back()).c_str());
  }
  if (doc.fits.size() >= 2) doc.comparison = analysis::compare_fits(doc.fits, o.reference);
  const std::string fits_path = (std::filesystem::path(out_dir) / "fits.h5").string();
  analysis::write_fits_file(fits_path, doc);
  // The report is made from the file, exactly as `clipscale report` makes it.
  const analysis::FitsDocument written = analysis::read_fits_file(fits_path);
  const analysis::ReportFiles files = analysis::write_report(out_dir, written.title, {{&written, ""}});
  if (!files.warning.empty()) spdlog::warn("{}", files.warning);
  std::printf("wrote %s, %s and %zu plot files in %.1f s\n", fits_path.c_str(), files.report.c_str(),
              files.plots.size(), watch.seconds());
}

}  // namespace clipscale::cli
