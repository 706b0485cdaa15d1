#include "analysis/dataset.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "io/run_file.h"
#include "io/sweep_file.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::analysis {
namespace {

using clipscale::testing::ScratchDir;
using clipscale::testing::write_text;

constexpr const char* kCsv =
    "name,gmacs_total,upstream,acc1,loss,label\n"
    "m1,1e10,LAION,0.30,3.0,x\n"
    "m2,1e11,LAION,0.45,2.5,x\n"
    "m3,1e12,LAION,0.60,2.2,y\n"
    "w1,2e10,WIT,0.35,2.9,y\n"
    "w2,2e11,WIT,0.50,2.4,y\n";

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const core::UserError& e) {
    return e.what();
  }
  return "no error";
}

class Dataset : public ::testing::Test {
 protected:
  void SetUp() override { write_text(dir_.path() / "t.csv", kCsv); }
  InputTable input() const { return load_input(dir_.file("t.csv")); }
  ColumnMapping mapping(const std::string& metric) const {
    ColumnMapping m;
    m.metric = metric;
    m.x = "gmacs_total";
    return m;
  }
  ScratchDir dir_;
};

TEST_F(Dataset, CsvRowsBecomeObservationsWithErrorOneMinusAccuracy) {
  const auto series = make_series(input(), mapping("acc1"), LawForm::kPower, "");
  ASSERT_EQ(series.size(), 1u);
  const auto& o = series[0].observations;
  ASSERT_EQ(o.size(), 5u);
  EXPECT_EQ(o[0].id, "m1") << "the name column labels rows";
  EXPECT_EQ(o[1].x, 1e11);
  EXPECT_NEAR(o[1].error, 0.55, 1e-15);
  EXPECT_EQ(series[0].info.error_definition(), "1 - acc1");
  EXPECT_EQ(series[0].info.selection, "all rows");
  const auto loss = make_series(input(), mapping("loss"), LawForm::kPower, "");
  EXPECT_EQ(loss[0].observations[0].error, 3.0) << "a loss is its own error";
  EXPECT_EQ(loss[0].info.error_definition(), "loss");
}

TEST_F(Dataset, WhereGroupAndVariantSelectRows) {
  ColumnMapping m = mapping("acc1");
  m.where = {"gmacs_total>=2e10", "label!=x"};
  auto series = make_series(input(), m, LawForm::kPower, "");
  ASSERT_EQ(series[0].observations.size(), 3u);
  EXPECT_EQ(series[0].info.selection, "gmacs_total >= 2e10; label != x");
  m.where.clear();
  m.group = "upstream";
  series = make_series(input(), m, LawForm::kPower, "");
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].info.variant, "LAION");
  EXPECT_EQ(series[1].observations.size(), 2u);
  m.variants = {"open:upstream=WIT", "big:upstream!=WIT&gmacs_total>5e10"};
  series = make_series(input(), m, LawForm::kPower, "");
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].info.name, "open");
  EXPECT_EQ(series[1].observations.size(), 2u);
}

TEST_F(Dataset, JointLawDerivesDataFromCompute) {
  ColumnMapping m = mapping("loss");
  m.n = "acc1";  // any positive column works as n here
  m.d_from_compute = 6;
  const auto series = make_series(input(), m, LawForm::kJoint, "");
  EXPECT_NEAR(series[0].observations[0].d, 1e10 / (6 * 0.30), 1e-3);
  EXPECT_EQ(series[0].info.d_column, "gmacs_total / (6 * acc1)");
}

TEST_F(Dataset, BadInputIsAUserErrorNamingFileColumnAndValue) {
  EXPECT_NE(error_of([&] { load_input(dir_.file("missing.csv")); }).find("missing.csv: no such file or folder"),
            std::string::npos);
  const std::string missing = error_of([&] { make_series(input(), mapping("acc5"), LawForm::kPower, ""); });
  EXPECT_NE(missing.find("t.csv: --metric names column 'acc5', which the table does not have. HINT: the columns are: "
                         "name, gmacs_total, upstream, acc1, loss, label."),
            std::string::npos)
      << missing;
  EXPECT_NE(error_of([&] {
              make_series(input(), mapping("upstream"), LawForm::kPower, "");
            }).find("--metric column 'upstream' holds text"),
            std::string::npos);
  ColumnMapping bad_filter = mapping("acc1");
  bad_filter.where = {"upstream<LAION"};
  EXPECT_NE(error_of([&] { make_series(input(), bad_filter, LawForm::kPower, ""); }).find("only compares with = or !="),
            std::string::npos);
  bad_filter.where = {"gmacs_total"};
  EXPECT_NE(error_of([&] { make_series(input(), bad_filter, LawForm::kPower, ""); }).find("is not a filter"),
            std::string::npos);

  write_text(dir_.path() / "bad.csv", "name,c,acc1\na,1e10,0.3\nb,-5,0.4\nc,1e12,\nd,1e13,1.0\n");
  const InputTable bad = load_input(dir_.file("bad.csv"));
  ColumnMapping m;
  m.metric = "acc1";
  m.x = "c";
  const std::string x = error_of([&] { make_series(bad, m, LawForm::kPower, ""); });
  EXPECT_NE(x.find("bad.csv: line 3 (b): c = -5 violates 0 < x < inf"), std::string::npos) << x;
  EXPECT_NE(x.find("HINT:"), std::string::npos);
  m.where = {"c>0"};
  const std::string nan = error_of([&] { make_series(bad, m, LawForm::kPower, ""); });
  EXPECT_NE(nan.find("bad.csv: line 4 (c): acc1 = nan violates 0 < 1 - metric"), std::string::npos) << nan;
  m.where = {"c>1e12"};
  const std::string zero = error_of([&] { make_series(bad, m, LawForm::kPower, ""); });
  EXPECT_NE(zero.find("line 5 (d): acc1 = 1 violates 0 < 1 - metric"), std::string::npos) << zero;
  EXPECT_NE(zero.find("a fraction, not a percentage"), std::string::npos) << zero;
}

TEST_F(Dataset, ReadsASweepFileAndAFolderOfRunFilesKeepingFinishedRuns) {
  std::vector<io::RunFile> runs;
  for (int i = 0; i < 4; ++i) {
    io::RunHeader h;
    h.run_id = "run-" + std::to_string(i);
    h.flops_per_sample = 1e9;
    h.samples_seen_target = 1000 << i;
    h.params_total = 1000000;
    {
      io::RunWriter w(dir_.file("sweep/runs/" + h.run_id + ".h5"), h, {{"zeroshot", {"top1"}}});
      io::TrainRecord row;
      row.samples_seen = h.samples_seen_target;
      w.append_train(row);
      w.finish(i == 3 ? io::kRunStatusFailed : io::kRunStatusDone, {{"zeroshot", {{"top1", 0.2 + 0.1 * i}}}});
    }
  }
  ColumnMapping m;
  m.metric = "zeroshot/top1";
  const auto from_runs = make_series(load_input(dir_.file("sweep")), m, LawForm::kPower, "");
  ASSERT_EQ(from_runs[0].observations.size(), 3u) << "the failed run is left out";
  EXPECT_EQ(from_runs[0].observations[1].x, 3 * 1e9 * 2000) << "x = compute = 3 × flops × samples seen";
  EXPECT_EQ(from_runs[0].info.x_unit, "FLOPs");
  EXPECT_NE(from_runs[0].info.selection.find("status = done"), std::string::npos);

  io::SweepFile sweep;
  sweep.sweep = "s";
  for (int i = 0; i < 4; ++i)
    runs.push_back(io::read_run_file(dir_.file("sweep/runs/run-" + std::to_string(i) + ".h5")));
  sweep.runs = io::sweep_table_from_runs(runs);
  io::write_sweep_file(dir_.file("sweep/sweep.h5"), sweep);
  m.include_unfinished = true;
  m.x = "samples";
  const auto from_sweep = make_series(load_input(dir_.file("sweep")), m, LawForm::kPower, "");
  ASSERT_EQ(from_sweep[0].observations.size(), 4u);
  EXPECT_EQ(from_sweep[0].info.x_column, "samples_seen") << "samples is an alias";
  EXPECT_EQ(from_sweep[0].observations[3].x, 8000);
  EXPECT_NE(error_of([&] { load_input(dir_.path().string()); }).find("holds no sweep.h5 and no run files"),
            std::string::npos);
}

}  // namespace
}  // namespace clipscale::analysis
