#include "spec/model_config.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"
#include "spec/flops.h"

namespace clipscale::spec {
namespace {

std::string user_error_of(const std::string& json) {
  try {
    ClipConfig::from_json(json, "m.json", "m");
  } catch (const core::UserError& e) {
    return e.what();
  }
  return "";
}

TEST(ClipConfig, ReadsOpenClipsVitB32) {
  const auto c = ClipConfig::from_file(std::string(CLIPSCALE_SOURCE_DIR) + "/experiments/models/ViT-B-32.json");
  EXPECT_EQ(c.name, "ViT-B-32");
  EXPECT_EQ(c.embed_dim, 512);
  EXPECT_EQ(c.vision.width, 768);
  EXPECT_EQ(c.vision.heads(), 12);
  EXPECT_EQ(c.vision.tokens(), 50);
  EXPECT_EQ(c.text.vocab_size, 49408);
  EXPECT_EQ(c.text.context_length, 77);
}

TEST(ClipConfig, JsonRoundTripKeepsEveryField) {
  const auto c = ClipConfig::from_file(std::string(CLIPSCALE_SOURCE_DIR) + "/experiments/models/clip-w96-l3.json");
  const auto d = ClipConfig::from_json(c.to_json(), "<string>", c.name);
  EXPECT_EQ(d.to_json(), c.to_json());
}

TEST(ClipConfig, RejectsUnsupportedTowersWithAHint) {
  const std::string message = user_error_of(
      R"({"embed_dim": 8, "vision_cfg": {"timm_model_name": "x", "width": 8}, "text_cfg": {"width": 8, "heads": 2}})");
  EXPECT_NE(message.find("m.json"), std::string::npos) << message;
  EXPECT_NE(message.find("vision_cfg.timm_model_name"), std::string::npos) << message;
  EXPECT_NE(message.find("HINT"), std::string::npos) << message;
}

TEST(ClipConfig, RejectsShapesThatDoNotDivide) {
  const std::string message = user_error_of(
      R"({"embed_dim": 8, "vision_cfg": {"image_size": 30, "patch_size": 4, "width": 8, "layers": 1, "head_width": 4}, "text_cfg": {"width": 8, "heads": 2, "layers": 1}})");
  EXPECT_NE(message.find("image_size % patch_size == 0"), std::string::npos) << message;
}

TEST(ClipConfig, RejectsWrongTypes) {
  const std::string message = user_error_of(R"({"embed_dim": "big", "vision_cfg": {}, "text_cfg": {}})");
  EXPECT_NE(message.find("embed_dim"), std::string::npos) << message;
}

TEST(ClipConfig, InitLogitScaleDefaultsToOpenClipsAndIsRangeChecked) {
  const std::string base =
      R"("vision_cfg": {"image_size": 16, "patch_size": 4, "width": 8, "layers": 1, "head_width": 4},
                              "text_cfg": {"width": 8, "heads": 2, "layers": 1})";
  EXPECT_DOUBLE_EQ(ClipConfig::from_json("{\"embed_dim\": 8, " + base + "}", "m.json", "m").init_logit_scale,
                   kInitLogitScale);
  const auto custom =
      ClipConfig::from_json("{\"embed_dim\": 8, \"init_logit_scale\": 3.9, " + base + "}", "m.json", "m");
  EXPECT_DOUBLE_EQ(custom.init_logit_scale, 3.9);
  EXPECT_NE(custom.to_json().find("\"init_logit_scale\": 3.9"), std::string::npos);
  const std::string message = user_error_of("{\"embed_dim\": 8, \"init_logit_scale\": 5.0, " + base + "}");
  EXPECT_NE(message.find("init_logit_scale"), std::string::npos) << message;
}

TEST(ClipConfig, InitLogitBiasMakesASigLipModel) {
  const std::string base =
      R"("vision_cfg": {"image_size": 16, "patch_size": 4, "width": 8, "layers": 1, "head_width": 4},
                              "text_cfg": {"width": 8, "heads": 2, "layers": 1})";
  EXPECT_FALSE(ClipConfig::from_json("{\"embed_dim\": 8, " + base + "}", "m.json", "m").init_logit_bias);
  const auto siglip =
      ClipConfig::from_json("{\"embed_dim\": 8, \"init_logit_bias\": -10, " + base + "}", "m.json", "m");
  ASSERT_TRUE(siglip.init_logit_bias);
  EXPECT_DOUBLE_EQ(*siglip.init_logit_bias, -10.0);
  EXPECT_NE(siglip.to_json().find("\"init_logit_bias\": -10"), std::string::npos) << siglip.to_json();
  EXPECT_EQ(ClipConfig::from_json(siglip.to_json(), "m.json", "m").init_logit_bias, siglip.init_logit_bias);
}

}  // namespace
}  // namespace clipscale::spec
