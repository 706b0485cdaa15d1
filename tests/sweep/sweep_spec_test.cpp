#include "sweep/sweep_spec.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "fake_resolver.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::sweep {
namespace {

class SweepSpecTest : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    const std::string path = scratch_.file("grid.toml");
    testing::write_text(path, text);
    return path;
  }
  std::string error_of(const std::string& text) {
    const std::string path = write(text);
    try {
      load_sweep_spec(path, resolver_.schema());
    } catch (const core::UserError& e) {
      std::string message = e.what();
      // Report paths relative to the file, so expectations read like the file.
      for (size_t at; (at = message.find(path)) != std::string::npos;) message.replace(at, path.size(), "grid.toml");
      return message;
    }
    ADD_FAILURE() << "expected a UserError for:\n" << text;
    return "";
  }

  testing::ScratchDir scratch_;
  testing::FakeResolver resolver_;
};

TEST_F(SweepSpecTest, ReadsEverySection) {
  const std::string path = write(
      "[sweep]\n"
      "name = \"tiny\"\n"
      "base = \"experiments/runs/tiny.toml\"\n"
      "[axes]\n"
      "model.config = [\"m/small.json\", \"m/large.json\"]\n"
      "\"train.samples_seen\" = [64, 128]\n"
      "data.data_size = [64, 128]\n"
      "optim.lr = [1, 2.5e-3]\n"
      "eval.tasks = [[\"a\"], [\"a\", \"b\"]]\n"
      "launch.ranks_per_run = [1, 2]\n"
      "[zip]\n"
      "length = [\"train.samples_seen\", \"data.data_size\"]\n"
      "[filter]\n"
      "skip_if_samples_below_data_size = true\n"
      "skip_if = [\"params > 1e9\"]\n"
      "[launch]\n"
      "threads_per_rank = 1\n"
      "concurrency = 2\n"
      "partition = \"debug\"\n"
      "sbatch_args = [\"--qos=short\"]\n");
  const SweepSpec spec = load_sweep_spec(path, resolver_.schema());
  EXPECT_EQ(spec.name, "tiny");
  EXPECT_EQ(spec.base, "experiments/runs/tiny.toml");
  ASSERT_EQ(spec.axes.size(), 6u);
  EXPECT_EQ(spec.axes[0].key, "model.config");
  EXPECT_EQ(spec.axes[0].line, 5);
  EXPECT_EQ(spec.axes[1].key, "train.samples_seen");
  EXPECT_EQ(spec.axes[1].values, (std::vector<config::Value>{int64_t{64}, int64_t{128}}));
  EXPECT_EQ(spec.axes[3].values, (std::vector<config::Value>{1.0, 2.5e-3}))
      << "an int axis value of a float key is a float";
  EXPECT_EQ(spec.axes[4].values[1], config::Value(std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(spec.axes[5].key, kRanksAxis);
  EXPECT_EQ(spec.zip_groups, (std::vector<std::vector<std::string>>{{"train.samples_seen", "data.data_size"}}));
  EXPECT_TRUE(spec.filter.skip_if_samples_below_data_size);
  ASSERT_EQ(spec.filter.skip_if.size(), 1u);
  EXPECT_EQ(spec.launch.threads_per_rank, 1);
  EXPECT_EQ(spec.launch.concurrency, 2);
  EXPECT_EQ(spec.launch.ranks_per_run, 1);
  EXPECT_EQ(spec.launch.max_retries, 1);
  EXPECT_EQ(spec.launch.signal_seconds, 120);
  EXPECT_EQ(spec.launch.partition, "debug");
  EXPECT_EQ(spec.launch.sbatch_args, std::vector<std::string>{"--qos=short"});
  ASSERT_TRUE(spec.settings.has_value());
  EXPECT_EQ(spec.settings->source("launch.concurrency").line, 18);
}

TEST_F(SweepSpecTest, NameDefaultsToTheFileStem) {
  const SweepSpec spec = load_sweep_spec(write("[sweep]\nbase = \"b.toml\"\n"), resolver_.schema());
  EXPECT_EQ(spec.name, "grid");
  EXPECT_TRUE(spec.axes.empty());
}

TEST_F(SweepSpecTest, UnknownSectionsAndKeysSuggestTheClosest) {
  EXPECT_EQ(error_of("[sweep]\nbase = \"b.toml\"\n[axis]\nmodel.config = [\"a\"]\n"),
            "grid.toml:3: unknown section or key 'axis'. HINT: did you mean [axes]?");
  EXPECT_EQ(error_of("[sweep]\nbase = \"b.toml\"\n[launch]\npartiton = \"x\"\n"),
            "grid.toml:4: unknown key 'launch.partiton'. HINT: did you mean 'launch.partition'?");
  EXPECT_EQ(error_of("[sweep]\nbase = \"b.toml\"\n[axes]\ntrain.sample_seen = [1]\n"),
            "grid.toml:4: unknown axis key 'train.sample_seen'. HINT: did you mean 'train.samples_seen'?");
}

TEST_F(SweepSpecTest, AxisValuesAreCheckedAgainstTheRunSchemaAtTheirLine) {
  EXPECT_EQ(
      error_of("[sweep]\nbase = \"b.toml\"\n[axes]\ntrain.samples_seen = [\n  64,\n  \"many\",\n  0,\n  64,\n]\n"),
      "grid.toml:4: axes.train.samples_seen lists 64 twice. HINT: each value of an axis gives different runs; "
      "remove the repeat.\n"
      "grid.toml:6: axes.train.samples_seen[1] = \"many\" is not an int. HINT: write the axis as "
      "train.samples_seen = [1, 2].\n"
      "grid.toml:7: axes.train.samples_seen[2] = 0 violates train.samples_seen >= 1. HINT: S.");
  EXPECT_EQ(error_of("[sweep]\nbase = \"b.toml\"\n[axes]\nrun.seed = 3\nrun.name = [\"x\"]\n"),
            "grid.toml:4: axes.run.seed = 3 is not a list of values. HINT: an axis lists the values the runs take, "
            "e.g. run.seed = [1, 2].\n"
            "grid.toml:5: axes.run.name can't be an axis. HINT: every run's run.name is the sweep's name ([sweep] "
            "name).");
  EXPECT_NE(error_of("[sweep]\nbase = \"b.toml\"\n[axes]\nlaunch.ranks_per_run = [0]\n")
                .find("grid.toml:4: axes.launch.ranks_per_run[0] = 0 violates launch.ranks_per_run >= 1."),
            std::string::npos);
  EXPECT_NE(error_of("[sweep]\nbase = \"b.toml\"\n[axes]\ntrain.threads = [1]\n").find("use launch.threads_per_rank"),
            std::string::npos);
}

TEST_F(SweepSpecTest, ZipNeedsKnownAxesOfEqualLength) {
  EXPECT_EQ(error_of("[sweep]\nbase = \"b.toml\"\n[axes]\ntrain.samples_seen = [1, 2, 3]\ndata.data_size = [1, 2]\n"
                     "[zip]\nsize = [\"train.samples_seen\", \"data.data_size\"]\nother = [\"data.datasize\"]\n"),
            "grid.toml:7: zip.size zips axes of different lengths: train.samples_seen has 3 values (line 4), "
            "data.data_size has 2 (line 5). HINT: zipped axes take their values pairwise; give them the same number "
            "of values.\n"
            "grid.toml:8: zip.other names 'data.datasize', which is not an axis. HINT: did you mean "
            "'data.data_size'?");
}

TEST_F(SweepSpecTest, LaunchRulesAndFilterRulesAreCheckedWithEverythingElse) {
  const std::string message =
      error_of("[sweep]\nbase = \"b.toml\"\n[filter]\nskip_if = [\"modle == \\\"x\\\"\"]\n[launch]\nconcurrency = 0\n");
  EXPECT_NE(message.find("grid.toml:4: filter.skip_if[0] = \"modle == \\\"x\\\"\": unknown name 'modle' (column 1). "
                         "HINT: did you mean 'model'?"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("grid.toml:6: launch.concurrency = 0 violates launch.concurrency >= 1."), std::string::npos)
      << message;
}

TEST_F(SweepSpecTest, MissingBaseAndBadNameAreReported) {
  EXPECT_EQ(error_of("[sweep]\nname = \"a/b\"\nbase = \"b.toml\"\n"),
            "grid.toml:2: sweep.name = \"a/b\" violates a folder name (not empty, '.' or '..'; no '/', tab or line "
            "break). HINT: results go to <run.output_dir>/<sweep.name>/.");
  EXPECT_EQ(error_of("[sweep]\nname = \"x\"\n"),
            "grid.toml: missing required key 'sweep.base'. HINT: the run config every run starts from, e.g. "
            "experiments/runs/quickstart.toml.");
}

TEST_F(SweepSpecTest, SyntaxErrorsComeFromTheConfigReader) {
  EXPECT_NE(error_of("[sweep]\nbase = \n").find("grid.toml:2:"), std::string::npos);
  EXPECT_NE(error_of("[sweep]\nbase = \n").find("TOML syntax error"), std::string::npos);
}

}  // namespace
}  // namespace clipscale::sweep
