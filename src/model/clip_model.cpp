#include "model/clip_model.h"

#include <torch/torch.h>

#include <cmath>
#include <string>

#include "core/error.h"

namespace clipscale::model {

VisionTransformerImpl::VisionTransformerImpl(const spec::VisionConfig& config_, int64_t embed_dim, bool quick_gelu)
    : config(config_) {
  const int64_t width = config.width;
  const double scale = 1.0 / std::sqrt(static_cast<double>(width));
  // Registration order equals OpenCLIP's: own parameters first, then child modules.
  class_embedding = register_parameter("class_embedding", scale * torch::randn({width}));
  positional_embedding = register_parameter("positional_embedding", scale * torch::randn({config.tokens(), width}));
  proj = register_parameter("proj", scale * torch::randn({width, embed_dim}));
  conv1 = register_module(
      "conv1",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(3, width, config.patch_size).stride(config.patch_size).bias(false)));
  ln_pre = register_module("ln_pre", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
  transformer =
      register_module("transformer", Transformer(width, config.layers, config.heads(), config.mlp_width(), quick_gelu));
  ln_post = register_module("ln_post", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width})));
}

at::Tensor VisionTransformerImpl::forward(const at::Tensor& images) {
  CLIPSCALE_CHECK(images.dim() == 4 && images.size(1) == 3 && images.size(2) == config.image_size &&
                  images.size(3) == config.image_size)
      << "images must be [B, 3, " << config.image_size << ", " << config.image_size << "], got " << images.sizes();
  // The residual stream stays in the parameters' dtype: under bf16 autocast the conv returns bf16,
  // but LayerNorm on CPU needs input and weight of one dtype (as in the text tower, where the
  // embedding lookup is fp32).
  auto x = conv1->forward(images).to(positional_embedding.scalar_type()).flatten(2).transpose(1, 2);  // [B, P, W]
  auto cls = class_embedding.view({1, 1, -1}).expand({x.size(0), 1, x.size(2)});
  x = torch::cat({cls, x}, 1) + positional_embedding;
  x = ln_pre->forward(x);
  x = transformer->forward(x);
  x = ln_post->forward(x.select(1, 0));  // class token
  return torch::matmul(x, proj);
}

ClipModelImpl::ClipModelImpl(const spec::ClipConfig& config) : config_(config) {
  std::string error;
  CLIPSCALE_CHECK(config.is_valid(&error)) << error;
  const spec::TextConfig& text = config.text;
  positional_embedding = register_parameter("positional_embedding", torch::empty({text.context_length, text.width}));
  text_projection = register_parameter("text_projection", torch::empty({text.width, config.embed_dim}));
  logit_scale = register_parameter("logit_scale", torch::full({}, config.init_logit_scale));
  if (config.init_logit_bias) logit_bias = register_parameter("logit_bias", torch::full({}, *config.init_logit_bias));
  visual = register_module("visual", VisionTransformer(config.vision, config.embed_dim, config.quick_gelu));
  transformer = register_module("transformer",
                                Transformer(text.width, text.layers, text.heads, text.mlp_width(), config.quick_gelu));
  token_embedding = register_module("token_embedding", torch::nn::Embedding(text.vocab_size, text.width));
  ln_final = register_module("ln_final", torch::nn::LayerNorm(torch::nn::LayerNormOptions({text.width})));
  attn_mask_ = functional::causal_mask(text.context_length);
  init_text_parameters();
}

void ClipModelImpl::init_text_parameters() {
  // OpenCLIP TextTransformer.init_parameters / CLIP.build_text_tower.
  torch::NoGradGuard no_grad;
  const double width = static_cast<double>(config_.text.width);
  const double layers = static_cast<double>(config_.text.layers);
  token_embedding->weight.normal_(0.0, 0.02);
  positional_embedding.normal_(0.0, 0.01);
  const double attn_std = 1.0 / std::sqrt(width);
  const double proj_std = attn_std / std::sqrt(2.0 * layers);
  const double fc_std = 1.0 / std::sqrt(2.0 * width);
  for (int64_t i = 0; i < config_.text.layers; ++i) {
    auto& block = transformer->block(i);
    block.attn->in_proj_weight.normal_(0.0, attn_std);
    block.attn->out_proj->weight.normal_(0.0, proj_std);
    block.mlp->c_fc->weight.normal_(0.0, fc_std);
    block.mlp->c_proj->weight.normal_(0.0, proj_std);
  }
  text_projection.normal_(0.0, attn_std);
}

at::Tensor ClipModelImpl::encode_image(const at::Tensor& images) { return visual->forward(images); }

at::Tensor ClipModelImpl::encode_text(const at::Tensor& tokens) {
  CLIPSCALE_CHECK(tokens.dim() == 2 && tokens.size(1) <= config_.text.context_length)
      << "tokens must be [B, <= " << config_.text.context_length << "], got " << tokens.sizes();
  const int64_t length = tokens.size(1);
  auto x = token_embedding->forward(tokens) + positional_embedding.slice(0, 0, length);
  if (attn_mask_.device() != x.device()) attn_mask_ = attn_mask_.to(x.device());
  x = transformer->forward(x, attn_mask_.slice(0, 0, length).slice(1, 0, length));
  x = ln_final->forward(x);
  auto eot = tokens.argmax(-1);
  auto pooled = x.index({torch::arange(x.size(0), eot.options()), eot});  // [B, Wt]
  return torch::matmul(pooled, text_projection);
}

std::pair<at::Tensor, at::Tensor> ClipModelImpl::forward(const at::Tensor& images, const at::Tensor& tokens) {
  return {normalize_features(encode_image(images)), normalize_features(encode_text(tokens))};
}

ParameterCount count_parameters(ClipModelImpl& model) {
  ParameterCount count;
  for (const auto& item : model.named_parameters()) {
    const int64_t n = item.value().numel();
    count.total += n;
    if (item.key().rfind("visual.", 0) == 0) {
      count.image += n;
    } else if (item.key() != "logit_scale" && item.key() != "logit_bias") {
      count.text += n;
    }
  }
  return count;
}

at::Tensor normalize_features(const at::Tensor& features) {
  return torch::nn::functional::normalize(features.to(torch::kFloat32),
                                          torch::nn::functional::NormalizeFuncOptions().dim(-1));
}

}  // namespace clipscale::model
