#include "data/synth_shapes.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/error.h"
#include "core/hash.h"

namespace clipscale::data {
namespace {

struct Rgb {
  int r, g, b;
};

const std::array<Rgb, 8> kColorRgb = {{{220, 40, 40},
                                       {40, 170, 60},
                                       {40, 80, 220},
                                       {235, 210, 40},
                                       {140, 60, 190},
                                       {245, 140, 30},
                                       {245, 245, 245},
                                       {20, 20, 20}}};
const std::array<Rgb, 5> kBackgroundRgb = {
    {{128, 128, 128}, {250, 250, 250}, {10, 10, 10}, {220, 200, 160}, {20, 30, 80}}};
const std::vector<std::string> kShapes = {"circle", "square", "triangle", "diamond", "cross", "ring"};
const std::vector<std::string> kShapePlurals = {"circles", "squares", "triangles", "diamonds", "crosses", "rings"};
const std::vector<std::string> kColors = {"red", "green", "blue", "yellow", "purple", "orange", "white", "black"};
const std::vector<std::string> kBackgrounds = {"gray", "white", "black", "beige", "navy"};
const std::vector<std::string> kCounts = {"one", "two", "three"};
const std::vector<std::string> kGenericPhrases = {"click here for more",
                                                  "free shipping on all orders",
                                                  "stock photo",
                                                  "image not available",
                                                  "best price guaranteed",
                                                  "new arrivals",
                                                  "view larger image",
                                                  "hd wallpaper free download",
                                                  "sold out",
                                                  "limited edition",
                                                  "thumbnail",
                                                  "untitled"};
const std::vector<std::string> kNoiseWords = {"vintage", "summer", "sale",   "logo",    "design", "abstract", "art",
                                              "holiday", "family", "travel", "wedding", "modern", "pattern",  "texture",
                                              "vector",  "banner", "poster", "cute",    "happy",  "office",   "garden",
                                              "kitchen", "sunset", "beach",  "party",   "city",   "music",    "coffee"};

// Object radius as a fraction of the image side.
constexpr double kSmallRadius = 0.21;
constexpr double kLargeRadius = 0.29;
// Per-stream salts so scene, pixels, caption and noise draw independent numbers from one id.
constexpr uint64_t kSceneSalt = 0x5ce9e;
constexpr uint64_t kPixelSalt = 0x919e1;
constexpr uint64_t kCaptionSalt = 0xca971;
constexpr uint64_t kNoiseSalt = 0x4015e;

double radius(const SceneObject& object) { return object.large ? kLargeRadius : kSmallRadius; }

bool inside(int shape, double u, double v) {
  const double au = std::fabs(u), av = std::fabs(v);
  switch (shape) {
    case 0: return u * u + v * v <= 1.0;                                    // circle
    case 1: return au <= 0.82 && av <= 0.82;                                // square
    case 2: return v <= 0.8 && v >= -1.0 && au <= (v + 1.0) * 0.55;         // triangle, apex up
    case 3: return au + av <= 1.0;                                          // diamond
    case 4: return (au <= 0.3 && av <= 0.95) || (av <= 0.3 && au <= 0.95);  // cross
    case 5: {                                                               // ring
      const double d2 = u * u + v * v;
      return d2 <= 1.0 && d2 >= 0.36;
    }
    default: return false;
  }
}

std::string with_article(const std::string& word) {
  const bool vowel = !word.empty() && std::string("aeiou").find(word[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + word;
}

std::string position_word(const SceneObject& object) {
  const double dx = object.x - 0.5, dy = object.y - 0.5;
  if (std::fabs(dx) < 0.12 && std::fabs(dy) < 0.12) return "center";
  if (std::fabs(dx) >= std::fabs(dy)) return dx < 0 ? "left" : "right";
  return dy < 0 ? "top" : "bottom";
}

template <typename T>
const T& pick(const std::vector<T>& items, core::Rng& rng) {
  return items[rng.uniform_int(items.size())];
}

}  // namespace

SynthShapes::SynthShapes(SynthOptions options) : options_(options) {
  if (options_.image_size < 8 || options_.image_size > 512)
    throw core::UserError("synth:shapes image size " + std::to_string(options_.image_size) +
                          " violates 8 <= image_size <= 512. HINT: use the model's vision_cfg.image_size, e.g. 32.");
  if (!(options_.noise_fraction >= 0.0 && options_.noise_fraction <= 1.0))
    throw core::UserError("data.noise_fraction = " + std::to_string(options_.noise_fraction) +
                          " violates 0 <= noise_fraction <= 1. HINT: 0.2 mimics a lightly filtered web pool.");
}

const std::vector<std::string>& SynthShapes::shape_names() { return kShapes; }
const std::vector<std::string>& SynthShapes::color_names() { return kColors; }
const std::vector<std::string>& SynthShapes::background_names() { return kBackgrounds; }

Scene SynthShapes::draw_scene(uint64_t id, int force_shape, int force_color) const {
  core::Rng rng(core::hash_combine(core::hash_combine(options_.seed, id), kSceneSalt));
  Scene scene;
  scene.background = static_cast<int>(rng.uniform_int(kBackgrounds.size()));
  const double count_draw = rng.uniform();
  const int count = count_draw < 0.5 ? 1 : count_draw < 0.8 ? 2 : 3;
  const bool same_kind = count > 1 && rng.bernoulli(0.5);
  auto draw_color = [&]() {
    if (force_color >= 0) return force_color;
    while (true) {
      int c = static_cast<int>(rng.uniform_int(kColors.size()));
      if (kColors[c] != kBackgrounds[scene.background]) return c;  // never white on white, black on black
    }
  };
  SceneObject first;
  first.shape = force_shape >= 0 ? force_shape : static_cast<int>(rng.uniform_int(kShapes.size()));
  first.color = draw_color();
  first.large = count == 1 ? rng.bernoulli(0.5) : rng.bernoulli(0.3);
  if (force_color >= 0 && kColors[force_color] == kBackgrounds[scene.background])
    scene.background = (scene.background + 1) % static_cast<int>(kBackgrounds.size());
  for (int i = 0; i < count; ++i) {
    SceneObject object = first;
    if (i > 0 && !same_kind) {
      object.shape = force_shape >= 0 ? force_shape : static_cast<int>(rng.uniform_int(kShapes.size()));
      object.color = draw_color();
      object.large = rng.bernoulli(0.3);
    }
    const double r = radius(object);
    // Rejection sampling for non-overlapping placement; after 30 tries accept the overlap.
    for (int attempt = 0; attempt < 30; ++attempt) {
      object.x = rng.uniform(r, 1.0 - r);
      object.y = rng.uniform(r, 1.0 - r);
      bool clear = true;
      for (const auto& other : scene.objects) {
        const double dx = object.x - other.x, dy = object.y - other.y;
        if (std::sqrt(dx * dx + dy * dy) < r + radius(other) + 0.02) clear = false;
      }
      if (clear) break;
    }
    scene.objects.push_back(object);
  }
  return scene;
}

std::vector<uint8_t> SynthShapes::render(const Scene& scene, uint64_t id) const {
  const int64_t size = options_.image_size;
  core::Rng rng(core::hash_combine(core::hash_combine(options_.seed, id), kPixelSalt));
  auto jitter = [&](int value, int amount) {
    return std::clamp(value + static_cast<int>(rng.uniform_int(2 * amount + 1)) - amount, 0, 255);
  };
  const Rgb bg = kBackgroundRgb[scene.background];
  const Rgb background{jitter(bg.r, 10), jitter(bg.g, 10), jitter(bg.b, 10)};
  std::vector<Rgb> colors;
  for (const auto& object : scene.objects) {
    const Rgb c = kColorRgb[object.color];
    colors.push_back({jitter(c.r, 14), jitter(c.g, 14), jitter(c.b, 14)});
  }
  std::vector<uint8_t> pixels(static_cast<size_t>(size * size * 3));
  constexpr int kSub = 2;  // 2×2 supersampling for anti-aliased edges
  for (int64_t py = 0; py < size; ++py) {
    for (int64_t px = 0; px < size; ++px) {
      double acc[3] = {0, 0, 0};
      for (int sy = 0; sy < kSub; ++sy) {
        for (int sx = 0; sx < kSub; ++sx) {
          const double x = (static_cast<double>(px) + (sx + 0.5) / kSub) / static_cast<double>(size);
          const double y = (static_cast<double>(py) + (sy + 0.5) / kSub) / static_cast<double>(size);
          Rgb c = background;
          for (size_t k = 0; k < scene.objects.size(); ++k) {  // later objects paint over earlier ones
            const auto& object = scene.objects[k];
            const double r = radius(object);
            if (inside(object.shape, (x - object.x) / r, (y - object.y) / r)) c = colors[k];
          }
          acc[0] += c.r;
          acc[1] += c.g;
          acc[2] += c.b;
        }
      }
      uint8_t* out = &pixels[static_cast<size_t>((py * size + px) * 3)];
      for (int ch = 0; ch < 3; ++ch)
        out[ch] = static_cast<uint8_t>(jitter(static_cast<int>(acc[ch] / (kSub * kSub) + 0.5), 6));
    }
  }
  return pixels;
}

std::string SynthShapes::caption(const Scene& scene, uint64_t id) const {
  core::Rng rng(core::hash_combine(core::hash_combine(options_.seed, id), kCaptionSalt));
  const auto& objects = scene.objects;
  const std::string& bg = kBackgrounds[scene.background];
  auto size_word = [](const SceneObject& o) { return std::string(o.large ? "large" : "small"); };
  if (objects.size() == 1) {
    const auto& o = objects[0];
    const std::string& color = kColors[o.color];
    const std::string& shape = kShapes[o.shape];
    const std::string pos = position_word(o);
    const std::string where = pos == "center" ? "in the center" : "on the " + pos;
    switch (rng.uniform_int(5)) {
      case 0: return with_article(size_word(o)) + " " + color + " " + shape;
      case 1: return with_article(color) + " " + shape + " on " + with_article(bg) + " background";
      case 2: return "a photo of " + with_article(size_word(o)) + " " + color + " " + shape + " " + where;
      case 3: return color + " " + shape + " on " + bg;
      default:
        return with_article(size_word(o)) + " " + color + " " + shape + " " + where + " of " + with_article(bg) +
               " image";
    }
  }
  const bool same_kind = std::all_of(objects.begin(), objects.end(), [&](const SceneObject& o) {
    return o.shape == objects[0].shape && o.color == objects[0].color && o.large == objects[0].large;
  });
  if (same_kind) {
    const auto& o = objects[0];
    const std::string count = kCounts[objects.size() - 1];
    const std::string& color = kColors[o.color];
    const std::string& shapes = kShapePlurals[o.shape];
    switch (rng.uniform_int(3)) {
      case 0: return count + " " + color + " " + shapes;
      case 1:
        return count + " " + size_word(o) + " " + color + " " + shapes + " on " + with_article(bg) + " background";
      default: return "a photo of " + count + " " + color + " " + shapes;
    }
  }
  std::string text;
  for (size_t i = 0; i < objects.size(); ++i) {
    if (i > 0) text += i + 1 == objects.size() ? " and " : ", ";
    text += with_article(kColors[objects[i].color]) + " " + kShapes[objects[i].shape];
  }
  if (rng.bernoulli(0.5)) text += " on " + with_article(bg) + " background";
  return text;
}

std::string SynthShapes::noise_caption(uint64_t id) const {
  core::Rng rng(core::hash_combine(core::hash_combine(options_.seed, id), kNoiseSalt));
  switch (rng.uniform_int(4)) {
    case 0: {
      static const std::vector<std::string> kPrefixes = {"IMG_", "DSC", "photo_", "image-"};
      static const std::vector<std::string> kSuffixes = {".jpg", ".JPG", ".png", ".jpeg"};
      return pick(kPrefixes, rng) + std::to_string(1000 + rng.uniform_int(90000)) + pick(kSuffixes, rng);
    }
    case 1: return pick(kGenericPhrases, rng);
    case 2: return "image may contain: " + pick(kNoiseWords, rng);
    default: {
      std::string text = pick(kNoiseWords, rng);
      const uint64_t words = 1 + rng.uniform_int(4);
      for (uint64_t i = 0; i < words; ++i) text += " " + pick(kNoiseWords, rng);
      return text;
    }
  }
}

SynthSample SynthShapes::get(uint64_t id) const {
  SynthSample sample;
  sample.id = id;
  sample.scene = draw_scene(id, -1, -1);
  sample.pixels = render(sample.scene, id);
  sample.clean_caption = caption(sample.scene, id);
  core::Rng rng(core::hash_combine(core::hash_combine(options_.seed, id), kNoiseSalt + 1));
  sample.noisy = rng.bernoulli(options_.noise_fraction);
  sample.caption = sample.noisy ? noise_caption(id) : sample.clean_caption;
  return sample;
}

std::vector<std::string> SynthShapes::caption_corpus(uint64_t count) const {
  std::vector<std::string> corpus;
  corpus.reserve(count);
  for (uint64_t id = 0; id < count; ++id) {
    const Scene scene = draw_scene(id, -1, -1);
    core::Rng rng(core::hash_combine(core::hash_combine(options_.seed, id), kNoiseSalt + 1));
    corpus.push_back(rng.bernoulli(options_.noise_fraction) ? noise_caption(id) : caption(scene, id));
  }
  return corpus;
}

}  // namespace clipscale::data
