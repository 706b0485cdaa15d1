#include "model/clip_model.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "model/autocast.h"
#include "spec/flops.h"

namespace clipscale::model {
namespace {

spec::ClipConfig family_model(const std::string& name) {
  return spec::ClipConfig::from_file(std::string(CLIPSCALE_SOURCE_DIR) + "/experiments/models/" + name + ".json");
}

spec::ClipConfig tiny_config() {
  spec::ClipConfig c;
  c.name = "tiny";
  c.embed_dim = 16;
  c.vision = {16, 4, 32, 2, 16, 4.0};
  c.text = {8, 64, 32, 2, 2, 4.0};
  return c;
}

TEST(ClipModel, VitB32ParameterNamesAndShapesEqualOpenClip) {
  std::ifstream in(std::string(CLIPSCALE_TEST_DATA_DIR) + "/vit_b32_state_dict.txt");
  ASSERT_TRUE(in) << "missing golden file";
  std::vector<std::pair<std::string, std::string>> expected;
  for (std::string line; std::getline(in, line);) {
    const auto tab = line.find('\t');
    expected.emplace_back(line.substr(0, tab), line.substr(tab + 1));
  }
  ASSERT_EQ(expected.size(), 302u);
  ClipModel model(family_model("ViT-B-32"));
  const auto params = model->named_parameters();
  ASSERT_EQ(params.size(), expected.size());
  size_t i = 0;
  for (const auto& item : params) {
    std::string shape;
    for (int64_t d : item.value().sizes()) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    EXPECT_EQ(item.key(), expected[i].first) << "at position " << i;
    EXPECT_EQ(shape, expected[i].second) << item.key();
    ++i;
  }
  EXPECT_EQ(model->named_buffers().size(), 0u) << "the causal mask must not be persistent";
}

TEST(ClipModel, ParameterCountsMatchTheShapeFormulaForTheWholeFamily) {
  for (const char* name :
       {"clip-w64-l2", "clip-w96-l3", "clip-w128-l4", "clip-w192-l4", "clip-w256-l6", "clip-w384-l6"}) {
    const spec::ClipConfig config = family_model(name);
    ClipModel model(config);
    const auto counted = count_parameters(*model);
    const auto formula = spec::parameters_from_shape(config);
    EXPECT_EQ(counted.image, formula.image) << name;
    EXPECT_EQ(counted.text, formula.text) << name;
    EXPECT_EQ(counted.total, formula.total) << name;
  }
}

TEST(ClipModel, FamilySpansMoreThanThirtyTimesInParameters) {
  const auto smallest = spec::parameters_from_shape(family_model("clip-w64-l2")).total;
  const auto largest = spec::parameters_from_shape(family_model("clip-w384-l6")).total;
  EXPECT_GT(static_cast<double>(largest) / static_cast<double>(smallest), 30.0);
}

TEST(ClipModel, ForwardGivesUnitNormFeaturesOfEmbedDim) {
  torch::manual_seed(0);
  ClipModel model(tiny_config());
  auto images = torch::randn({3, 3, 16, 16});
  auto tokens = torch::randint(1, 60, {3, 8});
  tokens.index_put_({torch::indexing::Slice(), 5}, 63);
  auto [image, text] = model->forward(images, tokens);
  ASSERT_EQ(image.sizes(), (std::vector<int64_t>{3, 16}));
  ASSERT_EQ(text.sizes(), (std::vector<int64_t>{3, 16}));
  EXPECT_TRUE(torch::allclose(image.norm(2, 1), torch::ones({3}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(text.norm(2, 1), torch::ones({3}), 1e-5, 1e-5));
}

TEST(ClipModel, TextFeatureIsPooledAtEotAndIgnoresLaterTokens) {
  torch::manual_seed(1);
  ClipModel model(tiny_config());
  model->eval();
  auto a = torch::tensor({{62, 5, 9, 63, 0, 0, 0, 0}}, torch::kLong);
  auto b = torch::tensor({{62, 5, 9, 63, 17, 3, 44, 2}}, torch::kLong);  // differs only after EOT
  auto c = torch::tensor({{62, 5, 10, 63, 0, 0, 0, 0}}, torch::kLong);   // differs before EOT
  torch::NoGradGuard no_grad;
  auto fa = model->encode_text(a), fb = model->encode_text(b), fc = model->encode_text(c);
  EXPECT_TRUE(torch::allclose(fa, fb, 1e-6, 1e-6)) << "causal mask + EOT pooling must ignore later tokens";
  EXPECT_FALSE(torch::allclose(fa, fc, 1e-4, 1e-4));
}

TEST(ClipModel, InitialisationFollowsOpenClip) {
  torch::manual_seed(2);
  spec::ClipConfig config = tiny_config();
  config.text.width = 256;
  config.text.heads = 4;
  config.text.vocab_size = 4096;
  ClipModel model(config);
  EXPECT_NEAR(model->logit_scale.item<double>(), std::log(1 / 0.07), 1e-6);
  EXPECT_NEAR(model->token_embedding->weight.std().item<double>(), 0.02, 0.001);
  EXPECT_NEAR(model->positional_embedding.std().item<double>(), 0.01, 0.002);
  const double attn_std = 1.0 / std::sqrt(256.0);
  auto& block = model->transformer->block(0);
  EXPECT_NEAR(block.attn->in_proj_weight.std().item<double>(), attn_std, 0.05 * attn_std);
  EXPECT_NEAR(block.mlp->c_fc->weight.std().item<double>(), 1.0 / std::sqrt(512.0), 0.003);
  EXPECT_NEAR(block.attn->out_proj->weight.std().item<double>(), attn_std / 2.0, 0.1 * attn_std / 2.0)
      << "proj_std = width^-0.5 (2 layers)^-0.5";
  EXPECT_EQ(block.attn->in_proj_bias.abs().sum().item<double>(), 0.0);
  EXPECT_EQ(block.attn->out_proj->bias.abs().sum().item<double>(), 0.0);
  EXPECT_NEAR(model->text_projection.std().item<double>(), attn_std, 0.05 * attn_std);
}

TEST(ClipModel, SameSeedGivesIdenticalWeights) {
  torch::manual_seed(5);
  ClipModel a(tiny_config());
  torch::manual_seed(5);
  ClipModel b(tiny_config());
  auto pa = a->parameters(), pb = b->parameters();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
}

TEST(ClipModel, Bf16AutocastStaysCloseToFp32) {
  torch::manual_seed(3);
  ClipModel model(family_model("clip-w64-l2"));
  model->eval();
  auto images = torch::randn({4, 3, 32, 32});
  auto tokens = torch::randint(1, 1000, {4, 32});
  tokens.index_put_({torch::indexing::Slice(), 10}, 1023);
  torch::NoGradGuard no_grad;
  auto [i32, t32] = model->forward(images, tokens);
  at::Tensor i16, t16;
  {
    AutocastGuard guard(Precision::kBf16);
    std::tie(i16, t16) = model->forward(images, tokens);
  }
  EXPECT_EQ(i16.scalar_type(), torch::kFloat32) << "features are returned in fp32";
  EXPECT_GT(torch::cosine_similarity(i32, i16, 1).min().item<double>(), 0.98);
  EXPECT_GT(torch::cosine_similarity(t32, t16, 1).min().item<double>(), 0.98);
}

TEST(ClipModel, AnInitLogitBiasAddsTheLogitBiasParameter) {
  const std::string base =
      R"("vision_cfg": {"image_size": 16, "patch_size": 4, "width": 8, "layers": 1, "head_width": 4},
                              "text_cfg": {"width": 8, "heads": 2, "layers": 1})";
  const auto siglip =
      spec::ClipConfig::from_json("{\"embed_dim\": 8, \"init_logit_bias\": -10, " + base + "}", "m.json", "m");
  ClipModel model(siglip);
  EXPECT_DOUBLE_EQ(model->logit_bias.item<double>(), -10.0);
  EXPECT_EQ(model->named_parameters().size(),
            ClipModel(spec::ClipConfig::from_json("{\"embed_dim\": 8, " + base + "}", "m.json", "m"))
                    ->named_parameters()
                    .size() +
                1);
  EXPECT_EQ(spec::parameters_from_shape(siglip).total, count_parameters(*model).total);
}

}  // namespace
}  // namespace clipscale::model
