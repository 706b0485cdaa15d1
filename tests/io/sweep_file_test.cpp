#include "io/sweep_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/table_file.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::io {
namespace {

using clipscale::testing::ScratchDir;

RunFile make_run(const std::string& id, int64_t samples, double top1, bool with_retrieval) {
  RunFile run;
  run.header.run_id = id;
  run.header.variant = "base";
  run.header.git_sha = "abc";
  run.header.params_image = 100;
  run.header.params_text = 50;
  run.header.params_total = 150;
  run.header.flops_per_sample = 2.0e6;
  run.header.samples_seen_target = samples;
  run.header.data_size = 1000;
  run.header.seed = 7;
  run.header.extra_string_attrs = {{"model", "clip-w64"}, {"precision", "bf16"}};
  run.header.extra_number_attrs = {{"global_batch_size", 32}};
  run.status = kRunStatusDone;
  TrainRecord last;
  last.samples_seen = samples;
  run.train.push_back(last);
  run.eval_final["zeroshot_shape"]["top1"] = top1;
  if (with_retrieval) run.eval_final["retrieval"]["t2i_r5"] = 0.5;
  return run;
}

TEST(SweepFile, OneRowPerRunWithComputeAndEveryMetric) {
  RunFile preempted = make_run("r2", 2000, 0.4, false);
  preempted.status = kRunStatusPreempted;
  preempted.train.back().samples_seen = 1500;  // stopped early: compute counts what it saw
  const Table t = sweep_table_from_runs({make_run("r1", 1000, 0.3, true), preempted});
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.strings("run_id"), (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(t.strings("status"), (std::vector<std::string>{"done", "preempted"}));
  EXPECT_EQ(t.strings("model")[0], "clip-w64");
  EXPECT_EQ(t.numbers("samples_seen"), (std::vector<double>{1000, 1500}));
  EXPECT_EQ(t.numbers("samples_seen_target"), (std::vector<double>{1000, 2000}));
  EXPECT_EQ(t.numbers("compute"), (std::vector<double>{3 * 2.0e6 * 1000, 3 * 2.0e6 * 1500}));
  EXPECT_EQ(t.numbers("zeroshot_shape/top1"), (std::vector<double>{0.3, 0.4}));
  EXPECT_EQ(t.numbers("retrieval/t2i_r5")[0], 0.5);
  EXPECT_TRUE(std::isnan(t.numbers("retrieval/t2i_r5")[1])) << "a metric a run lacks is NaN";
  EXPECT_EQ(t.strings("precision")[1], "bf16");
  EXPECT_EQ(t.numbers("global_batch_size")[0], 32.0);
}

TEST(SweepFile, RoundTripsAndWritesTheCsvTwin) {
  ScratchDir dir;
  SweepFile sweep;
  sweep.sweep = "tiny";
  sweep.attributes["sweep_toml"] = std::string("[sweep]\nname = \"tiny\"\n");
  sweep.runs = sweep_table_from_runs({make_run("r1", 1000, 0.3, true), make_run("r2", 4000, 0.45, true)});
  const std::string path = dir.file("results/tiny/sweep.h5");
  write_sweep_file(path, sweep);
  const SweepFile back = read_sweep_file(path);
  EXPECT_EQ(back.sweep, "tiny");
  EXPECT_FALSE(back.created_utc.empty());
  EXPECT_EQ(attribute_string(back.attributes, "sweep_toml", path), "[sweep]\nname = \"tiny\"\n");
  ASSERT_EQ(back.runs.columns().size(), sweep.runs.columns().size());
  for (size_t c = 0; c < sweep.runs.columns().size(); ++c) {
    EXPECT_EQ(back.runs.columns()[c].name, sweep.runs.columns()[c].name);
    EXPECT_EQ(back.runs.strings(sweep.runs.columns()[c].name), sweep.runs.strings(sweep.runs.columns()[c].name));
  }
  EXPECT_EQ(sweep_csv_path(path), dir.file("results/tiny/sweep.csv"));
  const Table csv = read_csv(sweep_csv_path(path));
  EXPECT_EQ(csv.numbers("compute"), sweep.runs.numbers("compute"));
  EXPECT_EQ(csv.numbers("zeroshot_shape/top1"), (std::vector<double>{0.3, 0.45}));
}

TEST(SweepFile, RefusesOtherFilesVersionsAndMissingColumns) {
  ScratchDir dir;
  const auto error_of = [](const std::string& path) {
    try {
      read_sweep_file(path);
    } catch (const core::UserError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of(dir.file("none.h5")).find("no such file"), std::string::npos);

  const std::string other = dir.file("other.h5");
  {
    TableFileWriter w(other);
    w.set_attributes("/", {{"kind", std::string("fits")}});
    w.commit();
  }
  EXPECT_NE(error_of(other).find("root attribute 'kind' is 'fits', expected 'clipscale sweep'"), std::string::npos);

  const std::string future = dir.file("future.h5");
  {
    TableFileWriter w(future);
    w.set_attributes("/", {{"kind", std::string(kSweepFileKind)}, {"schema_version", int64_t{99}}});
    w.commit();
  }
  EXPECT_NE(error_of(future).find("schema_version is 99"), std::string::npos) << error_of(future);

  const std::string no_compute = dir.file("no_compute.h5");
  {
    Table runs;
    runs.add_string("run_id", {"a"});
    runs.add_string("status", {"done"});
    TableFileWriter w(no_compute);
    w.set_attributes("/", {{"kind", std::string(kSweepFileKind)}, {"schema_version", kSweepFileSchemaVersion}});
    w.write_table("/runs", runs);
    w.commit();
  }
  EXPECT_NE(error_of(no_compute).find("no column 'compute'"), std::string::npos) << error_of(no_compute);
}

TEST(SweepFile, WrittenFromRealRunFiles) {
  ScratchDir dir;
  RunHeader header = make_run("real-1", 512, 0, false).header;
  {
    RunWriter writer(dir.file("runs/real-1.h5"), header, {{"zeroshot_shape", {"top1"}}});
    TrainRecord row;
    row.step = 1;
    row.samples_seen = 512;
    writer.append_train(row);
    writer.finish(kRunStatusDone, {{"zeroshot_shape", {{"top1", 0.625}}}});
  }
  const Table t = sweep_table_from_runs({read_run_file(dir.file("runs/real-1.h5"))});
  EXPECT_EQ(t.numbers("zeroshot_shape/top1"), std::vector<double>{0.625});
  EXPECT_EQ(t.numbers("compute"), std::vector<double>{3 * 2.0e6 * 512});
  EXPECT_EQ(t.strings("status"), std::vector<std::string>{"done"});
}

TEST(SweepFile, PandasReadsTheCsvTwin) {
  if (!clipscale::testing::system_python_has("h5py, numpy")) GTEST_SKIP() << "no h5py in /usr/bin/python3";
  ScratchDir dir;
  SweepFile sweep;
  sweep.sweep = "tiny";
  sweep.runs = sweep_table_from_runs({make_run("r1", 1000, 0.3, true)});
  const std::string path = dir.file("sweep.h5");
  write_sweep_file(path, sweep);
  const auto result = clipscale::testing::run_system_python(dir.file("check.py"), R"(
import sys, csv, h5py
f = h5py.File(sys.argv[1], "r")
assert f.attrs["kind"] == "clipscale sweep" and int(f.attrs["schema_version"]) == 1
assert float(f["runs/compute"][0]) == 6e9
assert float(f["runs/zeroshot_shape/top1"][0]) == 0.3
rows = list(csv.DictReader(open(sys.argv[1][:-3] + ".csv")))
assert rows[0]["run_id"] == "r1" and float(rows[0]["compute"]) == 6e9
print("ok")
)",
                                                            {path});
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

}  // namespace
}  // namespace clipscale::io
