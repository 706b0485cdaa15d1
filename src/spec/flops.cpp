#include "spec/flops.h"

namespace clipscale::spec {
namespace {

/// One pre-LN block over `tokens` tokens of width w with MLP width m.
double block_flops(double tokens, double w, double m) {
  const double qkv = 2.0 * tokens * w * 3.0 * w;
  const double scores = 2.0 * tokens * tokens * w;  // QKᵀ over all heads
  const double mix = 2.0 * tokens * tokens * w;     // attention-weighted sum of V
  const double out = 2.0 * tokens * w * w;
  const double mlp = 2.0 * tokens * w * m * 2.0;
  return qkv + scores + mix + out + mlp;
}

int64_t block_parameters(int64_t w, int64_t m) {
  const int64_t norms = 2 * 2 * w;
  const int64_t attention = 3 * w * w + 3 * w + w * w + w;
  const int64_t mlp = w * m + m + m * w + w;
  return norms + attention + mlp;
}

}  // namespace

FlopCount forward_flops_per_sample(const ClipConfig& config) {
  const VisionConfig& v = config.vision;
  const TextConfig& t = config.text;
  FlopCount count;
  const double patches = static_cast<double>(v.grid() * v.grid());
  const double patch_dim = 3.0 * static_cast<double>(v.patch_size * v.patch_size);
  count.image =
      2.0 * patches * patch_dim * static_cast<double>(v.width) +
      static_cast<double>(v.layers) * block_flops(static_cast<double>(v.tokens()), static_cast<double>(v.width),
                                                  static_cast<double>(v.mlp_width())) +
      2.0 * static_cast<double>(v.width * config.embed_dim);
  count.text =
      static_cast<double>(t.layers) * block_flops(static_cast<double>(t.context_length), static_cast<double>(t.width),
                                                  static_cast<double>(t.mlp_width())) +
      2.0 * static_cast<double>(t.width * config.embed_dim);
  return count;
}

ShapeParameterCount parameters_from_shape(const ClipConfig& config) {
  const VisionConfig& v = config.vision;
  const TextConfig& t = config.text;
  ShapeParameterCount count;
  count.image = v.width                                      // class_embedding
                + v.tokens() * v.width                       // positional_embedding
                + v.width * config.embed_dim                 // proj
                + v.width * 3 * v.patch_size * v.patch_size  // conv1 (no bias)
                + 2 * v.width * 2                            // ln_pre, ln_post
                + v.layers * block_parameters(v.width, v.mlp_width());
  count.text = t.context_length * t.width + t.width * config.embed_dim + t.vocab_size * t.width + 2 * t.width +
               t.layers * block_parameters(t.width, t.mlp_width());
  count.total = count.image + count.text + 1 + (config.init_logit_bias ? 1 : 0);  // logit_scale (+ logit_bias)
  return count;
}

}  // namespace clipscale::spec
