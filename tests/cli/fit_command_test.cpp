// End-to-end tests of `clipscale fit`, `compare` and `report` on small CSV tables.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::testing {
namespace {
namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// 16 runs with accuracy 1 - 3·x^-0.1 (slope `alpha`), a small deterministic wiggle.
std::string table(double alpha) {
  std::string csv = "run_id,compute,acc1\n";
  for (int i = 0; i < 16; ++i) {
    const double x = 1e15 * std::pow(10.0, i / 4.0);
    const double error = 3.0 * std::pow(x, alpha) * (1 + 0.01 * std::sin(3.0 * i));
    csv += "r" + std::to_string(i) + "," + std::to_string(x) + "," + std::to_string(1 - error) + "\n";
  }
  return csv;
}

class FitCommand : public ::testing::Test {
 protected:
  ScratchDir scratch_;
  const fs::path dir_ = scratch_.path();
};

TEST_F(FitCommand, WritesFitsReportAndPlots) {
  write_text(dir_ / "t.csv", table(-0.1));
  const auto r = run_command(clipscale("fit " + (dir_ / "t.csv").string() +
                                       " --metric acc1 --frontier all --bootstrap 200 --at 1e20 --out " +
                                       (dir_ / "out").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("1 - acc1: power law, 16 points of 16 runs"), std::string::npos) << r.output;
  const size_t alpha_at = r.output.find("| alpha ");
  ASSERT_NE(alpha_at, std::string::npos) << r.output;
  EXPECT_NEAR(std::stod(r.output.substr(alpha_at + 8)), -0.1, 0.002) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "out" / "fits.h5"));
  const std::string report = read_text(dir_ / "out" / "report.md");
  EXPECT_NE(report.find("Made by `clipscale fit " + (dir_ / "t.csv").string() + " --metric acc1 --frontier all"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("| 1e+20 |"), std::string::npos) << "the --at prediction";
  if (run_command("command -v gnuplot").exit_code == 0) {
    EXPECT_GT(fs::file_size(dir_ / "out" / "fit.png"), 1000u);
    EXPECT_GT(fs::file_size(dir_ / "out" / "fit.svg"), 1000u);
  }

  // `report` redraws the same report from fits.h5 alone.
  fs::remove(dir_ / "t.csv");
  fs::remove(dir_ / "out" / "report.md");
  const auto again = run_command(clipscale("report " + (dir_ / "out").string()));
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(read_text(dir_ / "out" / "report.md"), report);
}

TEST_F(FitCommand, CompareFitsEachInputAsAVariant) {
  write_text(dir_ / "base.csv", table(-0.1));
  write_text(dir_ / "filtered.csv", table(-0.15));
  const auto r =
      run_command(clipscale("compare " + (dir_ / "base.csv").string() + " " + (dir_ / "filtered.csv").string() +
                            " --metric acc1 --frontier all --bootstrap 100 --out " + (dir_ / "cmp").string()));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string report = read_text(dir_ / "cmp" / "report.md");
  EXPECT_NE(report.find("Comparison of variants (reference: base)"), std::string::npos) << report;
  EXPECT_NE(report.find("| filtered | alpha | -0.05"), std::string::npos) << report;
  EXPECT_NE(report.find("| base vs filtered |"), std::string::npos);
}

TEST_F(FitCommand, BadInputExitsWithCode2AndAHint) {
  write_text(dir_ / "t.csv", table(-0.1));
  const std::string csv = (dir_ / "t.csv").string();
  const auto missing_column = run_command(clipscale("fit " + csv + " --metric acc5 --out " + dir_.string()));
  EXPECT_EQ(missing_column.exit_code, 2) << missing_column.output;
  EXPECT_NE(missing_column.output.find("error: " + csv + ": --metric names column 'acc5'"), std::string::npos)
      << missing_column.output;
  EXPECT_NE(missing_column.output.find("HINT: the columns are: run_id, compute, acc1."), std::string::npos);

  const auto missing_file = run_command(clipscale("fit " + (dir_ / "none.csv").string() + " --metric acc1"));
  EXPECT_EQ(missing_file.exit_code, 2);
  EXPECT_NE(missing_file.output.find("none.csv: no such file or folder. HINT:"), std::string::npos);

  write_text(dir_ / "nan.csv", "run_id,compute,acc1\na,1e15,0.3\nb,1e16,nan\nc,0,0.5\n");
  const auto nan = run_command(clipscale("fit " + (dir_ / "nan.csv").string() + " --metric acc1"));
  EXPECT_EQ(nan.exit_code, 2);
  EXPECT_NE(nan.output.find("line 3 (b): acc1 = nan violates 0 < 1 - metric"), std::string::npos) << nan.output;

  const auto few = run_command(clipscale("fit " + csv + " --metric acc1 --bins 2 --out " + dir_.string()));
  EXPECT_EQ(few.exit_code, 2);
  EXPECT_NE(few.output.find("16 runs give 2 points (2 distinct) under the rule 'binned'"), std::string::npos)
      << few.output;

  const auto bad_flag = run_command(clipscale("fit " + csv + " --metric acc1 --level 2"));
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_NE(bad_flag.output.find("--level = 2 violates 0 < level < 1"), std::string::npos) << bad_flag.output;
}

}  // namespace
}  // namespace clipscale::testing
