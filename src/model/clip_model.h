// The OpenCLIP ViT CLIP model (class CLIP, flat text layout). Parameter names and order equal
// OpenCLIP's state_dict, so weights export to safetensors that open_clip loads unchanged:
//   positional_embedding [ctx, Wt], text_projection [Wt, E], logit_scale [],
//   visual.{class_embedding [Wv], positional_embedding [tokens, Wv], proj [Wv, E], conv1, ln_pre,
//           transformer.resblocks.*, ln_post},
//   transformer.resblocks.*, token_embedding [vocab, Wt], ln_final.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <utility>

#include "model/transformer.h"
#include "spec/model_config.h"

namespace clipscale::model {

/// Patch conv (no bias) + class token + learned positions, ln_pre, transformer, ln_post on the
/// class token, then x @ proj.
class VisionTransformerImpl : public torch::nn::Module {
 public:
  VisionTransformerImpl(const spec::VisionConfig& config, int64_t embed_dim, bool quick_gelu);
  /// images: [B, 3, H, W] normalised floats -> [B, E] (not normalised).
  at::Tensor forward(const at::Tensor& images);

  at::Tensor class_embedding;       ///< [Wv]
  at::Tensor positional_embedding;  ///< [tokens, Wv]
  at::Tensor proj;                  ///< [Wv, E]
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::LayerNorm ln_pre{nullptr};
  Transformer transformer{nullptr};
  torch::nn::LayerNorm ln_post{nullptr};
  spec::VisionConfig config;
};
TORCH_MODULE(VisionTransformer);

class ClipModelImpl : public torch::nn::Module {
 public:
  /// Builds the model with OpenCLIP's initialisation, drawing from torch's global generator.
  explicit ClipModelImpl(const spec::ClipConfig& config);

  /// [B, 3, H, W] -> [B, E], not normalised.
  at::Tensor encode_image(const at::Tensor& images);
  /// tokens [B, ctx] int64 (EOT has the highest id) -> [B, E], not normalised; pooled at argmax.
  at::Tensor encode_text(const at::Tensor& tokens);
  /// L2-normalised fp32 image and text features ([B, E] each).
  std::pair<at::Tensor, at::Tensor> forward(const at::Tensor& images, const at::Tensor& tokens);

  const spec::ClipConfig& config() const { return config_; }

  at::Tensor positional_embedding;  ///< [ctx, Wt]
  at::Tensor text_projection;       ///< [Wt, E]
  at::Tensor logit_scale;           ///< [] pre-exp
  at::Tensor logit_bias;            ///< [] SigLIP's bias; undefined unless config.init_logit_bias is set
  VisionTransformer visual{nullptr};
  Transformer transformer{nullptr};
  torch::nn::Embedding token_embedding{nullptr};
  torch::nn::LayerNorm ln_final{nullptr};

 private:
  void init_text_parameters();
  spec::ClipConfig config_;
  at::Tensor attn_mask_;  ///< causal [ctx, ctx]; non-persistent, not a parameter or buffer
};
TORCH_MODULE(ClipModel);

/// Parameter counts per tower. The image tower is everything under `visual.`; the text tower is
/// everything else except logit_scale and logit_bias (which are counted in total only).
struct ParameterCount {
  int64_t image = 0;
  int64_t text = 0;
  int64_t total = 0;
};
ParameterCount count_parameters(ClipModelImpl& model);

/// L2-normalise along the last dimension in fp32 (safe under bf16 autocast).
at::Tensor normalize_features(const at::Tensor& features);

}  // namespace clipscale::model
