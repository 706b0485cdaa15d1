#include "train/checkpoint.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/error.h"
#include "io/safetensors.h"
#include "support/scratch_dir.h"
#include "text/bpe_tokenizer.h"
#include "text/bpe_trainer.h"

namespace clipscale::train {
namespace {
namespace fs = std::filesystem;

spec::ClipConfig small_config() {
  spec::ClipConfig c;
  c.name = "unit-small";
  c.embed_dim = 8;
  c.vision = {8, 4, 16, 1, 8, 2.0};
  c.text = {6, 600, 16, 2, 1, 2.0};
  return c;
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override { tokenizer_ = text::train_bpe({"a red circle", "a blue square"}, 600); }
  testing::ScratchDir scratch_;
  const fs::path dir_ = scratch_.path();
  text::BpeTokenizer tokenizer_ = text::BpeTokenizer::from_merges({});
};

TEST_F(CheckpointTest, RoundTripRestoresWeightsExactly) {
  torch::manual_seed(0);
  model::ClipModel m(small_config());
  CheckpointMeta meta;
  meta.run_id = "unit-abc";
  meta.step = 7;
  meta.samples_seen = 112;
  save_checkpoint((dir_ / "final").string(), *m, tokenizer_, "[run]\nname = \"x\"\n", meta);
  EXPECT_TRUE(fs::exists(dir_ / "final" / "DONE"));
  const LoadedCheckpoint loaded = load_checkpoint((dir_ / "final").string());
  EXPECT_EQ(loaded.meta.run_id, "unit-abc");
  EXPECT_EQ(loaded.meta.samples_seen, 112);
  EXPECT_EQ(loaded.model->config().name, "unit-small");
  auto a = m->named_parameters();
  auto b = loaded.model->named_parameters();
  for (const auto& item : a) EXPECT_TRUE(torch::equal(item.value(), b[item.key()])) << item.key();
  EXPECT_EQ(loaded.tokenizer->encode("a red circle"), tokenizer_.encode("a red circle"));
}

TEST_F(CheckpointTest, ACheckpointWithoutDoneIsRefused) {
  torch::manual_seed(0);
  model::ClipModel m(small_config());
  save_checkpoint((dir_ / "final").string(), *m, tokenizer_, "", CheckpointMeta{});
  fs::remove(dir_ / "final" / "DONE");
  try {
    load_checkpoint((dir_ / "final").string());
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("DONE"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("HINT"), std::string::npos);
  }
}

TEST_F(CheckpointTest, WeightsOfAnotherShapeAreRefusedByName) {
  torch::manual_seed(0);
  model::ClipModel m(small_config());
  const std::string path = (dir_ / "w.safetensors").string();
  export_safetensors(*m, path, "F32", {});
  spec::ClipConfig other = small_config();
  other.embed_dim = 12;
  model::ClipModel n(other);
  try {
    load_weights(*n, io::read_safetensors(path), path);
    FAIL() << "expected a UserError";
  } catch (const core::UserError& e) {
    EXPECT_NE(std::string(e.what()).find("text_projection"), std::string::npos) << e.what();
  }
}

TEST_F(CheckpointTest, ExportUsesOpenClipNamesAndShapes) {
  torch::manual_seed(0);
  model::ClipModel m(small_config());
  const std::string path = (dir_ / "m.safetensors").string();
  export_safetensors(*m, path, "BF16", {{"k", "v"}});
  const auto file = io::read_safetensors(path);
  ASSERT_NE(file.find("visual.proj"), nullptr);
  EXPECT_EQ(file.find("visual.proj")->shape, (std::vector<int64_t>{16, 8}));
  EXPECT_EQ(file.find("text_projection")->shape, (std::vector<int64_t>{16, 8}));
  EXPECT_TRUE(file.find("logit_scale")->shape.empty());
  EXPECT_EQ(file.find("logit_scale")->dtype, io::DType::kBF16);
  EXPECT_EQ(file.metadata.at("k"), "v");
}

}  // namespace
}  // namespace clipscale::train
