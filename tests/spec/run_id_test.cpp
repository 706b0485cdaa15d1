#include "spec/run_id.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "spec/model_config.h"
#include "spec/run_config.h"
#include "spec/run_resolver.h"
#include "support/process.h"
#include "support/scratch_dir.h"

namespace clipscale::spec {
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
    return config::Document::load(run_config_schema(), path, all);
  }
  std::string id(const std::vector<std::string>& overrides, const std::string& json = "{}") {
    return run_id(load(overrides), "small", json);
  }

  testing::ScratchDir scratch_;
};

TEST_F(RunIdTest, IsTheModelNameAnd12HexDigits) {
  EXPECT_TRUE(std::regex_match(id({}), std::regex("small-[0-9a-f]{12}"))) << id({});
}

TEST_F(RunIdTest, SameConfigSameIdHoweverItWasWritten) {
  EXPECT_EQ(id({}), id({}));
  // The same values from a file instead of overrides, and a value equal to the default.
  const config::Document from_file = load({}, "[optim]\nlr = 0.0005\n[train]\nglobal_batch_size = 128\n");
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
                                      "checkpoint.keep", "checkpoint.resume", "train.grad_cache_chunk", "dist.backend",
                                      "dist.bucket_mb"}));
}

// Ids that clipscale 0.1.0 (git 320a93a, the first published schema) gave these configs, as its
// `clipscale train --dry-run` printed them: run files on disk carry them, so they must never move.
constexpr const char* kQuickstart = "experiments/runs/quickstart.toml";
constexpr const char* kQuickstartId = "clip-w128-l4-2a6a30e63beb";

TEST(RunIdStability, IdsOfPublishedConfigsNeverMove) {
  const RunConfigResolver resolver;
  EXPECT_EQ(resolver.resolve(kQuickstart, {}).run_id, kQuickstartId);
  EXPECT_EQ(resolver.resolve(kQuickstart, {"loss.type=siglip", "optim.lr=0.002", "eval.tasks=[\"retrieval\"]"}).run_id,
            "clip-w128-l4-7d7461a71508");
  EXPECT_EQ(resolver
                .resolve(kQuickstart, {"model.config=experiments/models/ViT-B-32.json", "train.precision=fp32",
                                       "data.data_size=5000"})
                .run_id,
            "ViT-B-32-b76a1a83e33c");
}

TEST(RunIdStability, AKeyAddedToTheSchemaStaysOutOfTheIdWhileItHoldsItsDefault) {
  config::Schema extended = run_config_schema();
  extended.add_string("train.device", "cpu", "where tensors live")
      .add_float("data.zipf_exponent", 1.1, "a new knob of the data", 0.0)
      .add_int("newsection.knob", 3, "a key in a section of its own");
  const ClipConfig model = ClipConfig::from_file("experiments/models/clip-w128-l4.json");
  const auto id = [&](const std::vector<std::string>& overrides) {
    return run_id(config::Document::load(extended, kQuickstart, overrides), model.name, model.to_json());
  };
  EXPECT_EQ(id({}), kQuickstartId);
  EXPECT_EQ(id({"data.zipf_exponent=1.1", "newsection.knob=3"}), kQuickstartId) << "the default, written out";
  EXPECT_NE(id({"data.zipf_exponent=0.9"}), kQuickstartId) << "a new value is a new run";
  EXPECT_NE(id({"newsection.knob=4"}), id({"data.zipf_exponent=0.9"}));
  const std::string text = run_id_text(config::Document::load(extended, kQuickstart, {"newsection.knob=4"}));
  EXPECT_NE(text.find("[newsection]\nknob = 4\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("zipf_exponent"), std::string::npos) << text;
}

TEST(RunIdStability, TheOriginalKeysAreAllInTheSchemaInTheirOrder) {
  const std::vector<std::string> names = run_config_schema().key_names();
  size_t at = 0;
  for (const std::string& key : run_id_original_keys()) {
    const auto it = std::find(names.begin() + static_cast<std::ptrdiff_t>(at), names.end(), key);
    ASSERT_NE(it, names.end()) << key << " is missing from the schema, or out of its original order";
    at = static_cast<size_t>(it - names.begin()) + 1;
  }
  for (const std::string& key : run_id_ignored_keys()) EXPECT_NE(run_config_schema().find(key), nullptr) << key;
}

}  // namespace
}  // namespace clipscale::spec
