#include "analysis/report.h"

#include <cctype>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "io/atomic_file.h"

namespace clipscale::analysis {
namespace {

constexpr size_t kMaxPointRows = 60;

std::string num(double v) { return std::isfinite(v) ? fmt::format("{:.4g}", v) : "n/a"; }

std::string interval(double lo, double hi) {
  return std::isfinite(lo) && std::isfinite(hi) ? fmt::format("[{:.4g}, {:.4g}]", lo, hi) : "n/a";
}

std::string interval(const Estimate& e) { return interval(e.lo, e.hi); }

std::string percent(double level) { return fmt::format("{:g}%", 100 * level); }

std::string slug(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.empty() ? "fit" : out;
}

std::string heading(int level, const std::string& text) {
  return std::string(static_cast<size_t>(level), '#') + " " + text + "\n\n";
}

std::string x_label(const FitSummary& f) {
  std::string label = f.law == LawForm::kJoint ? "compute" : "x";
  if (!f.info.x_unit.empty()) label += " (" + f.info.x_unit + ")";
  return label;
}

std::string summary_table(const FitsDocument& doc) {
  std::string s = "| fit | law | points / runs | exponents [interval] | leave-largest-out RMS ln-error |\n";
  s += "|---|---|---|---|---|\n";
  for (const FitSummary& f : doc.fits) {
    std::string exponents;
    for (const ParameterRow& p : f.parameters) {
      if (p.name == "alpha" || p.name == "beta" || p.name == "n_opt_exponent") {
        if (f.law == LawForm::kPower && p.name == "beta") continue;
        exponents += fmt::format("{}{} = {} {}", exponents.empty() ? "" : "; ", p.name, num(p.estimate.value),
                                 interval(p.estimate));
      }
    }
    if (f.law == LawForm::kPower) exponents += fmt::format("; beta = {}", num(f.parameter("beta").value));
    s += fmt::format("| {} | {} | {} / {} | {} | {} |\n", f.info.name, law_name(f.law), f.points.size(), f.n_runs,
                     exponents, f.holdout.fitted ? num(f.holdout.rms_log_error) : "n/a");
  }
  return s + "\n";
}

std::string fit_section(const FitSummary& f, int h) {
  const SeriesInfo& i = f.info;
  std::string s = heading(h, "Fit: " + i.name);
  s += "| | |\n|---|---|\n";
  s += fmt::format("| source | `{}` |\n", i.source);
  s += fmt::format("| rows kept | {} |\n", i.selection);
  s += fmt::format("| x axis | `{}`{} |\n", i.x_column, i.x_unit.empty() ? "" : " (" + i.x_unit + ")");
  if (f.law == LawForm::kJoint) {
    s += fmt::format("| model size n | `{}` |\n| data size d | `{}` |\n", i.n_column, i.d_column);
  }
  s += fmt::format("| error | E = {} |\n", i.error_definition());
  s += fmt::format("| law | {} |\n", law_formula(f.law));
  s += fmt::format("| points | {}: {} points from {} runs |\n", f.points_rule, f.points.size(), f.n_runs);
  s += fmt::format("| estimator | {} |\n", f.estimator);
  s += fmt::format("| objective | {:.10g} (RMS ln-residual {}) |\n", f.objective, num(f.rms_log_residual));
  s += fmt::format("| starts | {} of {} reached the best objective (within 1e-6 relative); {} |\n", f.starts_at_best,
                   f.starts, f.converged ? "converged" : "stopped at the iteration limit");
  s += fmt::format(
      "| uncertainty | bootstrap over runs: {} resamples (seed {}), each refitted with the same points rule "
      "from the full fit; {} failed (too few distinct points); percentile intervals at {}{} |\n",
      f.resamples, f.seed, f.failed_resamples, percent(f.level),
      f.n_runs < 10 ? fmt::format("; with only {} runs these intervals are indicative at best", f.n_runs) : "");
  if (f.law == LawForm::kJoint) {
    s += fmt::format("| compute | C = k n d with k = {} (predictions use the compute-optimal allocation) |\n",
                     num(f.compute_per_nd));
  }
  s += "\n";

  s += heading(h + 1, "Parameters");
  s += fmt::format("| parameter | estimate | {} interval | SE |\n|---|---:|---:|---:|\n", percent(f.level));
  for (const ParameterRow& p : f.parameters) {
    s +=
        fmt::format("| {} | {} | {} | {} |\n", p.name, num(p.estimate.value), interval(p.estimate), num(p.estimate.se));
  }
  s += "\n";

  s += heading(h + 1, "Predictions");
  const bool joint = f.law == LawForm::kJoint;
  s += fmt::format("| {} | E | {} interval |{}{}\n", x_label(f), percent(f.level),
                   i.one_minus ? " " + i.metric + " = 1 - E | interval |" : "",
                   joint ? " N_opt | interval | D_opt | interval |" : "");
  s += fmt::format("|---:|---:|---:|{}{}\n", i.one_minus ? "---:|---:|" : "", joint ? "---:|---:|---:|---:|" : "");
  for (const PredictionRow& p : f.predictions) {
    s += fmt::format("| {} | {} | {} |", num(p.x), num(p.error.value), interval(p.error));
    if (i.one_minus) s += fmt::format(" {} | {} |", num(1 - p.error.value), interval(1 - p.error.hi, 1 - p.error.lo));
    if (joint) s += fmt::format(" {} | {} | {} | {} |", num(p.n.value), interval(p.n), num(p.d.value), interval(p.d));
    s += "\n";
  }
  s += "\n";

  s += heading(h + 1, "Leave-largest-out check");
  const HoldoutCheck& c = f.holdout;
  if (!c.fitted) {
    s += fmt::format("Not run: {}.\n\n", c.note);
  } else {
    s += fmt::format(
        "The law refitted without the {} runs of largest x, predicting them. RMS of ln(predicted / "
        "observed): {} without them, {} for the fit on all runs (the in-sample baseline). For a frontier "
        "fit, runs off the frontier lie above both predictions.\n\n",
        c.held_out, num(c.rms_log_error), num(c.rms_log_error_full));
    s += "| run | x | observed E | predicted without them | predicted by the full fit |\n|---|---:|---:|---:|---:|\n";
    for (const HoldoutRow& r : c.rows) {
      s += fmt::format("| {} | {} | {} | {} | {} |\n", r.id, num(r.x), num(r.observed), num(r.predicted),
                       num(r.predicted_full));
    }
    s += "\n";
  }

  s += heading(h + 1, "Points fitted");
  s += fmt::format("| run | {} | E | ln-residual |\n|---|---:|---:|---:|\n", x_label(f));
  for (size_t k = 0; k < f.points.size() && k < kMaxPointRows; ++k) {
    const PointRow& p = f.points[k];
    s += fmt::format("| {} | {} | {} | {:+.4f} |\n", p.id, num(p.x), num(p.error), p.residual);
  }
  if (f.points.size() > kMaxPointRows) {
    s += fmt::format("\n{} more points in fits.h5 (`/fits/<i>/points`).\n", f.points.size() - kMaxPointRows);
  }
  return s + "\n";
}

std::string comparison_section(const FitsDocument& doc, int h) {
  const Comparison& c = *doc.comparison;
  const double level = doc.fits.front().level;
  std::string s = heading(h, "Comparison of variants (reference: " + c.reference + ")");
  s += "Intervals pair bootstrap replicate b of each variant with replicate b of the reference; \"share > 0\" is the "
       "share of pairs with a positive difference. Compare exponents and in-range predictions, not prefactors.\n\n";
  s += heading(h + 1, "Exponent differences (variant - reference)");
  s += fmt::format("| variant | parameter | difference | {} interval | share > 0 |\n|---|---|---:|---:|---:|\n",
                   percent(level));
  for (const DifferenceRow& d : c.differences) {
    s += fmt::format("| {} | {} | {} | {} | {} |\n", d.variant, d.parameter, num(d.difference.value),
                     interval(d.difference), num(d.share_positive));
  }
  s += "\n" + heading(h + 1, "Predicted error differences (variant - reference)");
  s += fmt::format("| variant | x | difference in E | {} interval | share > 0 |\n|---|---:|---:|---:|---:|\n",
                   percent(level));
  for (const PredictionDifferenceRow& d : c.prediction_differences) {
    s += fmt::format("| {} | {} | {} | {} | {} |\n", d.variant, num(d.x), num(d.difference.value),
                     interval(d.difference), num(d.share_positive));
  }
  s += "\n" + heading(h + 1, "Where the fitted curves cross");
  s +=
      "| variants | crossing x | interval | share of replicate pairs crossing | searched |\n|---|---:|---:|---:|---|\n";
  for (const CrossingRow& r : c.crossings) {
    s += fmt::format("| {} vs {} | {} | {} | {} | {} to {} |\n", r.a, r.b, r.crosses ? num(r.x.value) : "no crossing",
                     interval(r.x), num(r.share_crossing), num(r.range_lo), num(r.range_hi));
  }
  s += "\n" + heading(h + 1, "Equal compute (DataComp-style)");
  s += "Runs grouped by x (within 2%); per variant the best observed E at that x, the fitted E, and the rank "
       "(1 = lowest observed E).\n\n| x |";
  std::string rule = "|---:|";
  for (const std::string& v : c.variants) {
    s += fmt::format(" {} best | {} fit | rank |", v, v);
    rule += "---:|---:|---:|";
  }
  s += "\n" + rule + "\n";
  for (const EqualComputeRow& r : c.equal_compute) {
    s += "| " + num(r.x) + " |";
    for (size_t v = 0; v < c.variants.size(); ++v) {
      s += fmt::format(" {} | {} | {} |", num(r.observed[v]), num(r.predicted[v]),
                       r.rank[v] > 0 ? std::to_string(r.rank[v]) : "-");
    }
    s += "\n";
  }
  s += c.rank_levels >= 2
           ? fmt::format(
                 "\nRanking stability: Spearman correlation of the variants' ranks between the {} levels where "
                 "all variants have runs: mean {}, minimum {}.\n\n",
                 c.rank_levels, num(c.rank_correlation_mean), num(c.rank_correlation_min))
           : fmt::format("\nRanking stability: needs two levels where all variants have runs ({} here).\n\n",
                         c.rank_levels);
  return s;
}

}  // namespace

std::vector<PlotSpec> plots_of(const FitsDocument& document, const std::string& prefix) {
  std::vector<PlotSpec> plots;
  if (document.comparison || document.fits.size() == 1) {
    PlotSpec p;
    p.stem = prefix + "fit";
    p.title = document.title;
    for (const FitSummary& f : document.fits) p.fits.push_back(&f);
    plots.push_back(p);
    return plots;
  }
  for (const FitSummary& f : document.fits) plots.push_back({prefix + "fit-" + slug(f.info.name), f.info.name, {&f}});
  return plots;
}

std::string render_report(const std::string& title, const std::vector<ReportPart>& parts, bool plots_drawn) {
  std::string s = heading(1, title);
  const bool several = parts.size() > 1;
  const int h = several ? 3 : 2;
  for (const ReportPart& part : parts) {
    const FitsDocument& doc = *part.document;
    if (several) s += heading(2, doc.title);
    s += fmt::format("Made by `{}` ({}). Everything below is in `fits.h5`; `clipscale report` redraws it.\n\n",
                     doc.command, doc.created_utc);
    s += heading(h, "Summary") + summary_table(doc);
    s += heading(h, "Plots");
    for (const PlotSpec& p : plots_of(doc, part.plot_prefix)) {
      s += plots_drawn ? fmt::format("![{}]({}.png)\n\n[SVG]({}.svg) · [gnuplot script]({}.gp)\n\n", p.title, p.stem,
                                     p.stem, p.stem)
                       : fmt::format("{}: not drawn (gnuplot missing); `clipscale report` draws it.\n\n", p.stem);
    }
    for (const FitSummary& f : doc.fits) s += fit_section(f, h);
    if (doc.comparison) s += comparison_section(doc, h);
  }
  return s;
}

ReportFiles write_report(const std::string& dir, const std::string& title, const std::vector<ReportPart>& parts) {
  ReportFiles files;
  std::filesystem::create_directories(dir);
  bool drawn = true;
  for (const ReportPart& part : parts) {
    for (const PlotSpec& p : plots_of(*part.document, part.plot_prefix)) {
      if (!drawn) break;
      drawn = render_plot(p, dir, &files.warning);
      if (drawn) {
        files.plots.push_back((std::filesystem::path(dir) / (p.stem + ".png")).string());
        files.plots.push_back((std::filesystem::path(dir) / (p.stem + ".svg")).string());
      }
    }
  }
  files.report = (std::filesystem::path(dir) / "report.md").string();
  io::write_file_atomic(files.report, render_report(title, parts, drawn));
  return files;
}

}  // namespace clipscale::analysis
