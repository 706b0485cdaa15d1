#include "analysis/report.h"

#include <gtest/gtest.h>

#include <filesystem>

#include <fmt/format.h>

#include "analysis/plot.h"
#include "analysis/synthetic_runs.h"
#include "io/atomic_file.h"
#include "support/scratch_dir.h"

namespace clipscale::analysis {
namespace {

using clipscale::testing::ScratchDir;

FitsDocument document(int variants) {
  FitsDocument doc;
  doc.title = "report test";
  doc.command = "clipscale fit x.csv --metric acc1";
  doc.created_utc = "2026-01-01T00:00:00Z";
  for (int v = 0; v < variants; ++v) {
    const std::string variant = variants > 1 ? "v" + std::to_string(v) : "";
    const Series s = testing::labelled_series(
        variant.empty() ? "1 - acc1" : variant, variant,
        testing::runs_along_x({LawForm::kPower, {5.0, -0.11 - 0.03 * v}}, testing::log_spaced(1e10, 1e13, 20), 0.03,
                              static_cast<uint64_t>(v)));
    StudyOptions o;
    o.frontier = {FrontierRule::kBinned, 5, 0.1};
    o.bootstrap.resamples = 100;
    o.predict_at = {1e14};
    doc.fits.push_back(run_study(s, o));
  }
  if (variants > 1) doc.comparison = compare_fits(doc.fits, "");
  return doc;
}

TEST(Report, StatesTheFitAndItsUncertainty) {
  const FitsDocument doc = document(1);
  const std::string md = render_report(doc.title, {{&doc, ""}}, true);
  EXPECT_NE(md.find("# report test"), std::string::npos);
  EXPECT_NE(md.find("Made by `clipscale fit x.csv --metric acc1` (2026-01-01T00:00:00Z)"), std::string::npos);
  EXPECT_NE(md.find("| law | E = beta * x^alpha |"), std::string::npos) << md;
  EXPECT_NE(md.find("| error | E = 1 - acc1 |"), std::string::npos);
  EXPECT_NE(md.find("binned frontier (5 bins"), std::string::npos);
  EXPECT_NE(md.find("| uncertainty | bootstrap over runs: 100 resamples (seed 0)"), std::string::npos);
  const Estimate& alpha = doc.fits[0].parameter("alpha");
  EXPECT_NE(md.find(fmt::format("| alpha | {:.4g} | [{:.4g}, {:.4g}] |", alpha.value, alpha.lo, alpha.hi)),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| x (FLOPs) | E | 95% interval | acc1 = 1 - E | interval |"), std::string::npos) << md;
  EXPECT_NE(md.find("### Leave-largest-out check\n\nThe law refitted without the 2 runs of largest x"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("![report test](fit.png)"), std::string::npos);
  EXPECT_EQ(md.find("Comparison of variants"), std::string::npos);
}

TEST(Report, ComparesVariantsAndOverlaysThemInOnePlot) {
  const FitsDocument doc = document(2);
  const std::string md = render_report(doc.title, {{&doc, ""}}, false);
  EXPECT_NE(md.find("## Comparison of variants (reference: v0)"), std::string::npos) << md;
  EXPECT_NE(md.find("| v1 | alpha |"), std::string::npos);
  EXPECT_NE(md.find("| v0 vs v1 |"), std::string::npos);
  EXPECT_NE(md.find("| x | v0 best | v0 fit | rank | v1 best | v1 fit | rank |"), std::string::npos);
  EXPECT_NE(md.find("fit: not drawn (gnuplot missing)"), std::string::npos);
  const std::vector<PlotSpec> plots = plots_of(doc, "");
  ASSERT_EQ(plots.size(), 1u);
  EXPECT_EQ(plots[0].fits.size(), 2u);
  const std::string script = gnuplot_script(plots[0], "/tmp/out");
  EXPECT_NE(script.find("$runs1 << EOD"), std::string::npos);
  EXPECT_NE(script.find("set output \"/tmp/out/fit.svg\""), std::string::npos);
  EXPECT_NE(script.find("with filledcurves"), std::string::npos) << "the bootstrap band";
  EXPECT_NE(script.find("set logscale xy"), std::string::npos);
  EXPECT_NE(script.find("title \"v1: points fitted\""), std::string::npos);
}

TEST(Report, GnuplotDrawsPngAndSvg) {
  if (!gnuplot_available()) GTEST_SKIP() << "gnuplot is not installed (apt-get install gnuplot-nox)";
  ScratchDir dir;
  const FitsDocument doc = document(2);
  const ReportFiles files = write_report(dir.path().string(), doc.title, {{&doc, ""}});
  EXPECT_TRUE(files.warning.empty()) << files.warning;
  ASSERT_EQ(files.plots.size(), 2u);
  for (const std::string& plot : files.plots) EXPECT_GT(std::filesystem::file_size(plot), 1000u) << plot;
  const std::string png = io::read_file(dir.file("fit.png"));
  EXPECT_EQ(png.substr(1, 3), "PNG");
  EXPECT_NE(io::read_file(dir.file("fit.svg")).find("<svg"), std::string::npos);
  EXPECT_NE(io::read_file(files.report).find("![report test](fit.png)"), std::string::npos);
}

}  // namespace
}  // namespace clipscale::analysis
