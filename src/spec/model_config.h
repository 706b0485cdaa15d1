// CLIP model shapes in OpenCLIP's JSON schema (src/open_clip/model_configs/*.json):
//   {"embed_dim": 512,
//    "vision_cfg": {"image_size": 224, "patch_size": 32, "width": 768, "layers": 12, "head_width": 64,
//    "mlp_ratio": 4.0}, "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers":
//    12}}
// Only the native ViT layout is supported; fields that select other towers (timm, HF, ResNet,
// LayerScale, attentional pooling, ...) are rejected with a message instead of being ignored.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace clipscale::spec {

/// ln(1/0.07): OpenCLIP's initial logit scale (stored pre-exp).
inline constexpr double kInitLogitScale = 2.6592600369262695;
/// ln(100): the logit scale is clamped to [0, kMaxLogitScale] after every optimiser step.
inline constexpr double kMaxLogitScale = 4.605170185988092;

struct VisionConfig {
  int64_t image_size = 224;
  int64_t patch_size = 16;
  int64_t width = 768;
  int64_t layers = 12;
  int64_t head_width = 64;  ///< heads = width / head_width
  double mlp_ratio = 4.0;

  int64_t heads() const { return width / head_width; }
  int64_t grid() const { return image_size / patch_size; }
  /// Tokens per image: patches + the class token.
  int64_t tokens() const { return grid() * grid() + 1; }
  int64_t mlp_width() const { return static_cast<int64_t>(static_cast<double>(width) * mlp_ratio); }
};

struct TextConfig {
  int64_t context_length = 77;
  int64_t vocab_size = 49408;
  int64_t width = 512;
  int64_t heads = 8;
  int64_t layers = 12;
  double mlp_ratio = 4.0;

  int64_t mlp_width() const { return static_cast<int64_t>(static_cast<double>(width) * mlp_ratio); }
};

struct ClipConfig {
  std::string name;  ///< file stem of the JSON, e.g. "ViT-B-32"
  int64_t embed_dim = 512;
  bool quick_gelu = false;
  /// Initial (pre-exp) logit scale; OpenCLIP's default is ln(1/0.07). JSON: "init_logit_scale".
  double init_logit_scale = kInitLogitScale;
  /// Initial logit bias; present only in models trained with SigLIP's sigmoid loss (OpenCLIP's
  /// "init_logit_bias"; the model then has a `logit_bias` parameter).
  std::optional<double> init_logit_bias;
  VisionConfig vision;
  TextConfig text;

  /// Parses OpenCLIP-schema JSON. Unknown or unsupported fields throw core::UserError naming
  /// `origin` (a file path or "<string>") and the field, with a HINT.
  static ClipConfig from_json(const std::string& json_text, const std::string& origin, const std::string& name);
  /// Reads a JSON file; the name is the file stem.
  static ClipConfig from_file(const std::string& path);
  /// OpenCLIP-schema JSON (what OpenCLIP's add_model_config accepts).
  std::string to_json() const;
  /// Shape rules (divisibility, positivity), reported with the JSON key names.
  bool is_valid(std::string* error) const;
};

}  // namespace clipscale::spec
