#include "train/optimizer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "model/clip_model.h"

namespace clipscale::train {
namespace {

TEST(LearningRate, WarmsUpLinearlyThenFollowsOpenClipsCosine) {
  OptimizerOptions o;
  o.lr = 1e-3;
  o.warmup_steps = 10;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 110), 1e-4);
  EXPECT_DOUBLE_EQ(learning_rate(o, 9, 110), 1e-3);
  EXPECT_DOUBLE_EQ(learning_rate(o, 10, 110), 1e-3);
  EXPECT_NEAR(learning_rate(o, 60, 110), 0.5e-3, 1e-12);
  EXPECT_NEAR(learning_rate(o, 109, 110), 0.5 * (1 + std::cos(M_PI * 99.0 / 100.0)) * 1e-3, 1e-15);
  EXPECT_NEAR(learning_rate(o, 110, 110), 0.0, 1e-18) << "zero one step after the last";
  o.schedule = "const";
  EXPECT_DOUBLE_EQ(learning_rate(o, 100, 110), 1e-3);
}

TEST(WeightDecay, ExemptsGainsBiasesEmbeddingsOfOneDimensionAndTheScale) {
  EXPECT_TRUE(is_weight_decay_exempt("logit_scale", 0));
  EXPECT_TRUE(is_weight_decay_exempt("visual.class_embedding", 1));
  EXPECT_TRUE(is_weight_decay_exempt("visual.ln_pre.weight", 1));
  EXPECT_TRUE(is_weight_decay_exempt("transformer.resblocks.0.attn.in_proj_bias", 1));
  EXPECT_TRUE(is_weight_decay_exempt("ln_final.weight", 1));
  EXPECT_FALSE(is_weight_decay_exempt("transformer.resblocks.0.attn.in_proj_weight", 2));
  EXPECT_FALSE(is_weight_decay_exempt("token_embedding.weight", 2));
  EXPECT_FALSE(is_weight_decay_exempt("visual.positional_embedding", 2));
  EXPECT_FALSE(is_weight_decay_exempt("text_projection", 2));
}

TEST(AdamW, HasADecayedAndAnExemptGroupCoveringEveryParameter) {
  spec::ClipConfig c;
  c.embed_dim = 8;
  c.vision = {8, 4, 16, 1, 8, 2.0};
  c.text = {6, 32, 16, 2, 1, 2.0};
  model::ClipModel m(c);
  OptimizerOptions o;
  o.weight_decay = 0.3;
  auto optimizer = make_adamw(*m, o);
  ASSERT_EQ(optimizer->param_groups().size(), 2u);
  const auto& decay = static_cast<const torch::optim::AdamWOptions&>(optimizer->param_groups()[0].options());
  const auto& exempt = static_cast<const torch::optim::AdamWOptions&>(optimizer->param_groups()[1].options());
  EXPECT_DOUBLE_EQ(decay.weight_decay(), 0.3);
  EXPECT_DOUBLE_EQ(exempt.weight_decay(), 0.0);
  EXPECT_EQ(optimizer->param_groups()[0].params().size() + optimizer->param_groups()[1].params().size(),
            m->parameters().size());
  set_learning_rate(*optimizer, 0.123);
  for (auto& g : optimizer->param_groups()) EXPECT_DOUBLE_EQ(g.options().get_lr(), 0.123);
}

TEST(OptimizerOptions, ReportsTheKeyOfABadValue) {
  OptimizerOptions o;
  o.lr = -1;
  std::string error;
  EXPECT_FALSE(o.is_valid("optim.", &error));
  EXPECT_EQ(error.rfind("optim.lr = ", 0), 0u) << error;
}

}  // namespace
}  // namespace clipscale::train
