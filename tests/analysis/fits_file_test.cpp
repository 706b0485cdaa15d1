#include "analysis/fits_file.h"

#include <gtest/gtest.h>

#include <cmath>

#include "analysis/synthetic_runs.h"
#include "core/error.h"
#include "io/table_file.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::analysis {
namespace {

using clipscale::testing::ScratchDir;

FitsDocument two_variant_document() {
  FitsDocument doc;
  doc.title = "two variants";
  doc.command = "clipscale compare a b --metric top1";
  for (int v = 0; v < 2; ++v) {
    const std::string variant = v == 0 ? "base" : "dedup";
    const Series s = testing::labelled_series(
        variant, variant,
        testing::runs_along_x({LawForm::kPower, {3.0, -0.1 - 0.02 * v}}, testing::log_spaced(1e15, 1e19, 15), 0.02,
                              static_cast<uint64_t>(v)));
    StudyOptions o;
    o.frontier.rule = FrontierRule::kRunningMin;
    o.bootstrap.resamples = 50;
    o.holdout = 2;
    doc.fits.push_back(run_study(s, o));
  }
  doc.comparison = compare_fits(doc.fits, "base");
  return doc;
}

TEST(FitsFile, RoundTripsEveryTableAndAttribute) {
  ScratchDir dir;
  const FitsDocument doc = two_variant_document();
  const std::string path = dir.file("out/fits.h5");
  write_fits_file(path, doc);
  const FitsDocument back = read_fits_file(path);
  EXPECT_EQ(back.title, doc.title);
  EXPECT_EQ(back.command, doc.command);
  EXPECT_FALSE(back.created_utc.empty());
  ASSERT_EQ(back.fits.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const FitSummary &a = doc.fits[i], &b = back.fits[i];
    EXPECT_EQ(b.info.name, a.info.name);
    EXPECT_EQ(b.info.x_unit, a.info.x_unit);
    EXPECT_EQ(b.law, a.law);
    EXPECT_EQ(b.points_rule, a.points_rule);
    EXPECT_EQ(b.objective, a.objective);
    ASSERT_EQ(b.parameters.size(), a.parameters.size());
    for (size_t j = 0; j < a.parameters.size(); ++j) {
      EXPECT_EQ(b.parameters[j].name, a.parameters[j].name);
      EXPECT_EQ(b.parameters[j].estimate.value, a.parameters[j].estimate.value);
      EXPECT_EQ(b.parameters[j].estimate.hi, a.parameters[j].estimate.hi);
    }
    EXPECT_EQ(b.replicates, a.replicates);
    ASSERT_EQ(b.runs.size(), a.runs.size());
    EXPECT_EQ(b.runs[3].on_frontier, a.runs[3].on_frontier);
    EXPECT_EQ(b.points.size(), a.points.size());
    EXPECT_EQ(b.curve.size(), a.curve.size());
    EXPECT_EQ(b.predictions[1].error.lo, a.predictions[1].error.lo);
    EXPECT_EQ(b.holdout.rows.size(), 2u);
    EXPECT_EQ(b.holdout.params, a.holdout.params);
    EXPECT_EQ(b.holdout.rms_log_error, a.holdout.rms_log_error);
  }
  ASSERT_TRUE(back.comparison.has_value());
  EXPECT_EQ(back.comparison->reference, "base");
  EXPECT_EQ(back.comparison->differences[0].difference.value, doc.comparison->differences[0].difference.value);
  EXPECT_EQ(back.comparison->equal_compute.size(), doc.comparison->equal_compute.size());
  EXPECT_EQ(back.comparison->crossings[0].crosses, doc.comparison->crossings[0].crosses);
}

TEST(FitsFile, RefusesOtherFiles) {
  ScratchDir dir;
  const std::string path = dir.file("other.h5");
  {
    io::TableFileWriter w(path);
    w.set_attributes("/", {{"kind", std::string("clipscale sweep")}, {"schema_version", int64_t{1}}});
    w.commit();
  }
  try {
    read_fits_file(path);
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("root attribute 'kind' is 'clipscale sweep', expected 'clipscale fits'"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(read_fits_file(dir.file("none.h5")), core::UserError);
}

TEST(FitsFile, H5pyReadsTheParameters) {
  if (!clipscale::testing::system_python_has("h5py, numpy")) GTEST_SKIP() << "no h5py in /usr/bin/python3";
  ScratchDir dir;
  const FitsDocument doc = two_variant_document();
  write_fits_file(dir.file("fits.h5"), doc);
  const auto r = clipscale::testing::run_system_python(dir.file("check.py"), R"(
import sys, h5py
f = h5py.File(sys.argv[1], "r")
p = f["fits/1/parameters"]
names = [n.decode() if isinstance(n, bytes) else n for n in p["name"][:]]
assert names == ["beta", "alpha"], names
print(repr(float(p["value"][1])))
assert f["fits/1"].attrs["law"] == "power"
assert f["comparison/differences/value"].shape == (1,)
)",
                                                       {dir.file("fits.h5")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(std::stod(r.output), doc.fits[1].parameter("alpha").value);
}

}  // namespace
}  // namespace clipscale::analysis
