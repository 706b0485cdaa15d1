#include "data/synth_shapes.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/error.h"

namespace clipscale::data {
namespace {

SynthShapes make(double noise = 0.2, uint64_t seed = 0) {
  SynthOptions options;
  options.image_size = 32;
  options.noise_fraction = noise;
  options.seed = seed;
  return SynthShapes(options);
}

TEST(SynthShapes, SamplesAreAPureFunctionOfSeedAndId) {
  const SynthShapes a = make(), b = make();
  for (uint64_t id : {0ull, 1ull, 12345ull, 1ull << 40}) {
    const auto x = a.get(id), y = b.get(id);
    EXPECT_EQ(x.pixels, y.pixels);
    EXPECT_EQ(x.caption, y.caption);
    EXPECT_EQ(x.noisy, y.noisy);
  }
  EXPECT_NE(make(0.2, 1).get(7).pixels, a.get(7).pixels) << "another pool seed is another pool";
}

TEST(SynthShapes, NoiseFractionIsRespectedAndRecorded) {
  const SynthShapes synth = make(0.3);
  int noisy = 0;
  for (uint64_t id = 0; id < 4000; ++id) {
    const auto s = synth.get(id);
    noisy += s.noisy;
    if (s.noisy) {
      EXPECT_NE(s.caption, s.clean_caption);
    } else {
      EXPECT_EQ(s.caption, s.clean_caption);
    }
  }
  EXPECT_NEAR(noisy / 4000.0, 0.3, 0.03);
  for (uint64_t id = 0; id < 200; ++id) EXPECT_FALSE(make(0.0).get(id).noisy);
}

TEST(SynthShapes, SingleObjectCaptionsNameTheShapeAndColourDrawn) {
  const SynthShapes synth = make(0.0);
  int checked = 0;
  for (uint64_t id = 0; id < 300; ++id) {
    const auto s = synth.get(id);
    if (s.scene.objects.size() != 1) continue;
    const auto& o = s.scene.objects[0];
    EXPECT_NE(s.caption.find(SynthShapes::shape_names()[o.shape]), std::string::npos) << s.caption;
    EXPECT_NE(s.caption.find(SynthShapes::color_names()[o.color]), std::string::npos) << s.caption;
    ++checked;
  }
  EXPECT_GT(checked, 100);
}

TEST(SynthShapes, ForcedScenesHaveOnlyTheForcedAttribute) {
  const SynthShapes synth = make();
  for (uint64_t id = 0; id < 100; ++id) {
    for (const auto& o : synth.draw_scene(id, 3, -1).objects) EXPECT_EQ(o.shape, 3);
    const Scene colored = synth.draw_scene(id, -1, 6);  // white
    for (const auto& o : colored.objects) EXPECT_EQ(o.color, 6);
    EXPECT_NE(SynthShapes::background_names()[colored.background], "white") << "never white on white";
  }
}

TEST(SynthShapes, ObjectPixelsCarryTheObjectColour) {
  const SynthShapes synth = make();
  Scene scene;
  scene.background = 0;  // gray
  SceneObject square;
  square.shape = 1;
  square.color = 0;  // red
  square.large = true;
  square.x = square.y = 0.5;
  scene.objects.push_back(square);
  const auto pixels = synth.render(scene, 1);
  const size_t centre = (16 * 32 + 16) * 3;
  EXPECT_GT(pixels[centre], 180);     // red channel
  EXPECT_LT(pixels[centre + 1], 80);  // green
  const size_t corner = 0;
  EXPECT_NEAR(pixels[corner], 128, 20);  // gray background
}

TEST(SynthShapes, CaptionsVaryAcrossSamples) {
  const SynthShapes synth = make();
  std::set<std::string> captions;
  for (uint64_t id = 0; id < 500; ++id) captions.insert(synth.get(id).caption);
  EXPECT_GT(captions.size(), 300u);
}

TEST(SynthShapes, RejectsABadNoiseFraction) {
  SynthOptions options;
  options.noise_fraction = 1.5;
  EXPECT_THROW(SynthShapes{options}, core::UserError);
}

}  // namespace
}  // namespace clipscale::data
