#include "spec/flops.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace clipscale::spec {
namespace {

struct ArchRow {
  double image_gmacs, text_gmacs, image_mparams, text_mparams;
};

/// Rows of the OpenCLIP scaling-law study's arch_info.csv, found beside the repository when present.
std::map<std::string, ArchRow> read_arch_info() {
  std::map<std::string, ArchRow> rows;
  std::ifstream in(std::string(CLIPSCALE_SOURCE_DIR) + "/../shared/anchors/openclip-scaling/arch_info.csv");
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    // model,image_size,image_width,text_width,embed_dim,gmacs,macts,mparams,image_gmacs,image_macts,
    // image_mparams,text_gmacs,text_macts,text_mparams
    rows[f[0]] = {std::stod(f[8]), std::stod(f[11]), std::stod(f[10]), std::stod(f[13])};
  }
  return rows;
}

ClipConfig openclip_vit(int64_t patch, int64_t vw, int64_t vl, int64_t tw, int64_t th, int64_t tl, int64_t embed) {
  ClipConfig c;
  c.embed_dim = embed;
  c.vision = {224, patch, vw, vl, 64, 4.0};
  c.text = {77, 49408, tw, th, tl, 4.0};
  return c;
}

TEST(Flops, MatchOpenClipsPublishedMacsAndParameters) {
  const auto rows = read_arch_info();
  if (rows.empty()) GTEST_SKIP() << "shared/anchors/openclip-scaling/arch_info.csv not found";
  // Shapes from OpenCLIP's model configs (src/open_clip/model_configs/*.json).
  const std::map<std::string, ClipConfig> models = {
      {"ViT-S-32", openclip_vit(32, 384, 12, 384, 6, 12, 384)},
      {"ViT-M-32", openclip_vit(32, 512, 12, 512, 8, 12, 512)},
      {"ViT-B-32", openclip_vit(32, 768, 12, 512, 8, 12, 512)},
      {"ViT-B-16", openclip_vit(16, 768, 12, 512, 8, 12, 512)},
      {"ViT-L-14", openclip_vit(14, 1024, 24, 768, 12, 12, 768)},
  };
  for (const auto& [name, config] : models) {
    ASSERT_TRUE(rows.count(name)) << name;
    const ArchRow& row = rows.at(name);
    const FlopCount flops = forward_flops_per_sample(config);
    // The study counts multiply-accumulates (GMACs); a MAC is 2 FLOPs.
    EXPECT_NEAR(flops.image / 2e9, row.image_gmacs, 0.015 * row.image_gmacs) << name;
    EXPECT_NEAR(flops.text / 2e9, row.text_gmacs, 0.015 * row.text_gmacs) << name;
    const auto params = parameters_from_shape(config);
    EXPECT_NEAR(static_cast<double>(params.image) / 1e6, row.image_mparams, 0.005 * row.image_mparams) << name;
    EXPECT_NEAR(static_cast<double>(params.text) / 1e6, row.text_mparams, 0.005 * row.text_mparams) << name;
  }
}

TEST(Flops, TrainingComputeIsThreeForwardPassesPerSample) {
  ClipConfig c = openclip_vit(32, 768, 12, 512, 8, 12, 512);
  EXPECT_DOUBLE_EQ(training_flops(c, 1000.0), 3.0 * 1000.0 * forward_flops_per_sample(c).total());
}

TEST(Flops, GrowWithWidthAndDepth) {
  ClipConfig small = openclip_vit(32, 384, 6, 256, 4, 6, 256);
  ClipConfig wide = openclip_vit(32, 768, 6, 512, 8, 6, 256);
  ClipConfig deep = openclip_vit(32, 384, 12, 256, 4, 12, 256);
  EXPECT_GT(forward_flops_per_sample(wide).total(), 3.0 * forward_flops_per_sample(small).total());
  EXPECT_NEAR(forward_flops_per_sample(deep).total() / forward_flops_per_sample(small).total(), 2.0, 0.1);
}

}  // namespace
}  // namespace clipscale::spec
