// The built-in synthetic pool `synth:shapes`: procedurally drawn RGB scenes of one to three
// objects (shape, colour, size, position, count, background) with a caption composed from them.
// A configurable share of captions is replaced by web-like noise (file names, generic phrases,
// unrelated words), and each sample records whether it is noisy. Every sample is a pure function
// of (seed, id): random access, unlimited size, no files. Training ids lie in [0, 2^62); the
// evaluation tasks draw from ids at or above kEvalIdBase, so they never overlap training data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace clipscale::data {

/// First id of the evaluation range.
inline constexpr uint64_t kEvalIdBase = uint64_t{1} << 62;

struct SynthOptions {
  int64_t image_size = 32;      ///< square images of image_size × image_size pixels
  double noise_fraction = 0.2;  ///< share of captions replaced by noise, in [0, 1]
  uint64_t seed = 0;            ///< pool seed: a different seed is a different pool
};

struct SceneObject {
  int shape = 0;  ///< index into shape_names()
  int color = 0;  ///< index into color_names()
  bool large = false;
  double x = 0.5;  ///< centre, in [0, 1] image coordinates
  double y = 0.5;
};

struct Scene {
  int background = 0;  ///< index into background_names()
  std::vector<SceneObject> objects;
};

/// A decoded sample: HWC uint8 RGB pixels and its caption.
struct SynthSample {
  uint64_t id = 0;
  Scene scene;
  std::vector<uint8_t> pixels;  ///< image_size × image_size × 3
  std::string caption;          ///< the caption the pool carries (noisy or clean)
  std::string clean_caption;    ///< the caption composed from the scene
  bool noisy = false;
};

class SynthShapes {
 public:
  explicit SynthShapes(SynthOptions options);

  const SynthOptions& options() const { return options_; }

  /// Sample `id` of the pool (deterministic).
  SynthSample get(uint64_t id) const;

  /// Draws a scene whose objects all have the given shape (or colour) — for zero-shot tasks.
  /// Pass -1 to leave that attribute random.
  Scene draw_scene(uint64_t id, int force_shape, int force_color) const;
  /// Renders any scene to HWC uint8 pixels; `id` seeds the pixel jitter.
  std::vector<uint8_t> render(const Scene& scene, uint64_t id) const;
  /// The clean caption of a scene; `id` picks the phrasing.
  std::string caption(const Scene& scene, uint64_t id) const;
  /// A noise caption (file name, generic phrase or unrelated words); `id` picks it.
  std::string noise_caption(uint64_t id) const;

  static const std::vector<std::string>& shape_names();       ///< 6 shapes
  static const std::vector<std::string>& color_names();       ///< 8 object colours
  static const std::vector<std::string>& background_names();  ///< 5 backgrounds

  /// Captions of the first `count` pool samples (noisy ones included): the corpus the built-in
  /// tokenizer vocabulary is trained on.
  std::vector<std::string> caption_corpus(uint64_t count) const;

 private:
  SynthOptions options_;
};

}  // namespace clipscale::data
