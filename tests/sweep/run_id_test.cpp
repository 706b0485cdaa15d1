#include "sweep/run_id.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "fake_resolver.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::sweep {
namespace {

class RunIdTest : public ::testing::Test {
 protected:
  config::Document load(const std::vector<std::string>& overrides, const std::string& file_text = "") {
    std::string path;
    if (!file_text.empty()) {
      path = scratch_.file("run.toml");
      testing::write_text(path, file_text);
    }
    std::vector<std::string> all = {"model.config=m/small.json", "data.data_size=100", "train.samples_seen=64"};
    all.insert(all.end(), overrides.begin(), overrides.end());
    return config::Document::load(resolver_.schema(), path, all);
  }
  std::string id(const std::vector<std::string>& overrides, const std::string& json = "{}") {
    return run_id(load(overrides), "small", json);
  }

  testing::ScratchDir scratch_;
  testing::FakeResolver resolver_;
};

TEST_F(RunIdTest, IsTheModelNameAnd12HexDigits) {
  EXPECT_TRUE(std::regex_match(id({}), std::regex("small-[0-9a-f]{12}"))) << id({});
}

TEST_F(RunIdTest, SameConfigSameIdHoweverItWasWritten) {
  EXPECT_EQ(id({}), id({}));
  // The same values from a file instead of overrides, and a value equal to the default.
  const config::Document from_file =
      load({}, "[optim]\nlr = 0.001\n[train]\nglobal_batch_size = 4\n");
  EXPECT_EQ(run_id(from_file, "small", "{}"), id({}));
}

TEST_F(RunIdTest, IgnoredKeysDoNotChangeIt) {
  EXPECT_EQ(id({}), id({"run.output_dir=/elsewhere", "train.log_every_steps=3"}));
}

TEST_F(RunIdTest, EverythingElseChangesIt) {
  EXPECT_NE(id({}), id({"optim.lr=0.002"}));
  EXPECT_NE(id({}), id({"run.seed=1"}));
  EXPECT_NE(id({}), id({"run.name=other"}));
  EXPECT_NE(id({}), id({"train.threads=1"}));
  EXPECT_NE(id({}), id({}, "{\"embed_dim\": 64}")) << "the model's content is part of the id";
}

TEST_F(RunIdTest, IgnoredKeysAreTheOnesTrainingCannotFeel) {
  EXPECT_EQ(run_id_ignored_keys(),
            (std::vector<std::string>{"run.output_dir", "train.log_every_steps", "train.prefetch_batches",
                                      "train.loader_workers", "checkpoint.save_final", "checkpoint.every_samples",
                                      "checkpoint.keep", "checkpoint.resume", "train.grad_cache_chunk",
                                      "dist.backend", "dist.bucket_mb"}));
}

}  // namespace
}  // namespace clipscale::sweep
