#include "analysis/plot.h"

#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>

#include <fmt/format.h>

#include "io/atomic_file.h"

namespace clipscale::analysis {
namespace {

constexpr std::array<const char*, 8> kColors = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
                                                "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"};

// A double-quoted gnuplot string.
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string law_text(const FitSummary& f) {
  const Law law = f.fitted_law();
  const auto& p = law.params;
  switch (f.law) {
    case LawForm::kPower: return fmt::format("E = {:.3g} x^{:.3g}", p[0], p[1]);
    case LawForm::kSaturating: return fmt::format("E = {:.3g} + {:.3g} x^-{:.3g}", p[0], p[1], p[2]);
    case LawForm::kJoint:
      return fmt::format("E = {:.3g} + {:.3g}/N^{:.3g} + {:.3g}/D^{:.3g} at the compute optimum", p[0], p[1], p[3],
                         p[2], p[4]);
  }
  return "";
}

std::string axis_label(const FitSummary& f) {
  std::string label = f.law == LawForm::kJoint ? "compute: " + f.info.x_column : f.info.x_column;
  if (!f.info.x_unit.empty()) label += " (" + f.info.x_unit + ")";
  return label;
}

// Ranges that hug the data (gnuplot would widen a log axis to whole decades) and labelled y tics
// at 1, 2, 3, 5 × 10^k, finer within a decade (a short log axis would otherwise carry one label).
std::string axes(const PlotSpec& plot) {
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = 0, lo = x_lo, hi = 0;
  const auto extend = [&](double x, double y) {
    if (std::isfinite(x) && x > 0 && std::isfinite(y) && y > 0) {
      x_lo = std::min(x_lo, x);
      x_hi = std::max(x_hi, x);
      lo = std::min(lo, y);
      hi = std::max(hi, y);
    }
  };
  for (const FitSummary* f : plot.fits) {
    for (const ObservationRow& r : f->runs) extend(r.x, r.error);
    for (const CurveRow& c : f->curve) extend(c.x, c.error);
  }
  if (!(hi > 0)) return "";
  std::string tics;
  for (int k = static_cast<int>(std::floor(std::log10(lo))); k <= static_cast<int>(std::ceil(std::log10(hi))); ++k) {
    const std::vector<double> mantissas =
        hi / lo < 10 ? std::vector<double>{1, 1.5, 2, 2.5, 3, 4, 5, 7} : std::vector<double>{1, 2, 3, 5};
    for (const double m : mantissas) {
      const double v = m * std::pow(10.0, k);
      if (v >= lo / 1.25 && v <= hi * 1.25) tics += fmt::format("{}{:g}", tics.empty() ? "" : ", ", v);
    }
  }
  std::string out = fmt::format("set xrange [{:.6g}:{:.6g}]\nset yrange [{:.6g}:{:.6g}]\n", x_lo / 1.5, x_hi * 1.5,
                                lo / 1.25, hi * 1.25);
  return tics.empty() ? out : out + "set ytics (" + tics + ")\n";
}

std::string datablock(const std::string& name, const std::vector<std::vector<double>>& rows) {
  std::string out = "$" + name + " << EOD\n";
  for (const auto& row : rows) {
    bool finite = true;
    for (const double v : row) finite = finite && std::isfinite(v) && v > 0;
    if (!finite) continue;
    for (size_t i = 0; i < row.size(); ++i) out += fmt::format("{}{:.10g}", i ? " " : "", row[i]);
    out += "\n";
  }
  return out + "EOD\n";
}

}  // namespace

std::string gnuplot_script(const PlotSpec& plot, const std::string& dir) {
  std::string s = "# clipscale fit plot: " + plot.title + "\n# Run `gnuplot " + plot.stem + ".gp` to redraw.\n";
  std::vector<std::string> parts;
  for (size_t k = 0; k < plot.fits.size(); ++k) {
    const FitSummary& f = *plot.fits[k];
    const std::string color = kColors[k % kColors.size()];
    std::vector<std::vector<double>> runs, points, curve, band;
    for (const ObservationRow& r : f.runs) runs.push_back({r.x, r.error});
    for (const PointRow& p : f.points) points.push_back({p.x, p.error});
    for (const CurveRow& c : f.curve) {
      curve.push_back({c.x, c.error});
      band.push_back({c.x, c.lo, c.hi});
    }
    s += datablock(fmt::format("runs{}", k), runs) + datablock(fmt::format("points{}", k), points) +
         datablock(fmt::format("curve{}", k), curve) + datablock(fmt::format("band{}", k), band);
    const std::string label = f.info.variant.empty() ? "" : f.info.variant + ": ";
    const bool has_band = f.resamples > 0;
    if (has_band) {
      parts.push_back(
          fmt::format("$band{} using 1:2:3 with filledcurves fc rgb {} fs transparent solid 0.18 noborder "
                      "title {} noenhanced",
                      k, quoted(color), quoted(fmt::format("{}{:g}% bootstrap band", label, 100 * f.level))));
    }
    parts.push_back(fmt::format("$curve{} using 1:2 with lines lw 2 lc rgb {} title {} noenhanced", k, quoted(color),
                                quoted(label + law_text(f))));
    parts.push_back(fmt::format("$runs{} using 1:2 with points pt 6 ps 0.8 lc rgb {} title {} noenhanced", k,
                                quoted(color), quoted(label + "runs")));
    parts.push_back(fmt::format("$points{} using 1:2 with points pt 7 ps 1.4 lc rgb {} title {} noenhanced", k,
                                quoted(color), quoted(label + "points fitted")));
  }
  const FitSummary& first = *plot.fits.front();
  s += "set logscale xy\nset grid xtics ytics mxtics mytics lc rgb \"#dddddd\"\nset format x \"10^{%L}\"\n";
  s += "set format y \"%g\"\n" + axes(plot) + "set key outside below box\n";
  s += "set title " + quoted(plot.title) + " noenhanced\n";
  s += "set xlabel " + quoted(axis_label(first)) + " noenhanced\n";
  s += "set ylabel " + quoted("error E = " + first.info.error_definition()) + " noenhanced\n";
  std::string command = "plot ";
  for (size_t i = 0; i < parts.size(); ++i) command += (i ? ", \\\n     " : "") + parts[i];
  const std::string base = (std::filesystem::path(dir) / plot.stem).string();
  s += "set terminal pngcairo size 1000,720 font \"DejaVu Sans,11\"\nset output " + quoted(base + ".png") + "\n";
  s += command + "\n";
  s += "set terminal svg size 1000,720 font \"DejaVu Sans,11\" background rgb \"white\"\nset output " +
       quoted(base + ".svg") + "\nreplot\nunset output\n";
  return s;
}

bool gnuplot_available() { return std::system("command -v gnuplot > /dev/null 2>&1") == 0; }

bool render_plot(const PlotSpec& plot, const std::string& dir, std::string* warning) {
  if (!gnuplot_available()) {
    *warning =
        "gnuplot is not installed, so no plots were drawn. HINT: apt-get install gnuplot-nox (cmake/setup-debian.sh "
        "does), then `clipscale report` redraws them from fits.h5.";
    return false;
  }
  const std::string script = (std::filesystem::path(dir) / (plot.stem + ".gp")).string();
  io::write_file_atomic(script, gnuplot_script(plot, dir));
  std::string shell_quoted = "'";
  for (const char c : script) shell_quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  FILE* pipe = ::popen(("gnuplot " + shell_quoted + "' 2>&1").c_str(), "r");
  std::string output;
  if (pipe != nullptr) {
    char buffer[512];
    size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  }
  const int status = pipe != nullptr ? ::pclose(pipe) : -1;
  if (status != 0 || !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
    *warning = fmt::format("gnuplot failed on {} ({}). HINT: run `gnuplot {}` to see why.", script, output, script);
    return false;
  }
  return true;
}

}  // namespace clipscale::analysis
