// Pre-LN transformer blocks in OpenCLIP's layout and parameter names:
//   resblocks.{i}.ln_1, .attn.in_proj_weight/.in_proj_bias/.out_proj, .ln_2, .mlp.c_fc, .mlp.c_proj
// Activations are batch-first: x is [B, T, W].
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace clipscale {
namespace functional {

/// Multi-head scaled dot-product self-attention with packed input projection.
///   x: [B, T, W]; in_proj_weight: [3W, W] (rows = [q; k; v]); in_proj_bias: [3W];
///   out_proj_weight: [W, W]; out_proj_bias: [W]; attn_mask: additive [T, T] or undefined.
/// Returns [B, T, W]. Scale is head_dim^-0.5, softmax over keys.
at::Tensor self_attention(const at::Tensor& x, const at::Tensor& in_proj_weight, const at::Tensor& in_proj_bias,
                          const at::Tensor& out_proj_weight, const at::Tensor& out_proj_bias, int64_t heads,
                          const at::Tensor& attn_mask);

/// Additive causal mask [T, T]: 0 on and below the diagonal, -inf above.
at::Tensor causal_mask(int64_t length);

}  // namespace functional

namespace model {

/// Parameters of nn.MultiheadAttention as OpenCLIP registers them.
class AttentionImpl : public torch::nn::Module {
 public:
  AttentionImpl(int64_t width, int64_t heads);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& attn_mask = {});

  at::Tensor in_proj_weight;  ///< [3W, W]
  at::Tensor in_proj_bias;    ///< [3W]
  torch::nn::Linear out_proj{nullptr};
  int64_t heads;
};
TORCH_MODULE(Attention);

/// c_fc -> GELU (exact erf, or x * sigmoid(1.702 x) when quick_gelu) -> c_proj.
class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t width, int64_t hidden, bool quick_gelu);
  at::Tensor forward(const at::Tensor& x);

  torch::nn::Linear c_fc{nullptr};
  torch::nn::Linear c_proj{nullptr};
  bool quick_gelu;
};
TORCH_MODULE(Mlp);

/// x + attn(ln_1(x)), then x + mlp(ln_2(x)).
class ResidualAttentionBlockImpl : public torch::nn::Module {
 public:
  ResidualAttentionBlockImpl(int64_t width, int64_t heads, int64_t mlp_width, bool quick_gelu);
  at::Tensor forward(const at::Tensor& x, const at::Tensor& attn_mask = {});

  torch::nn::LayerNorm ln_1{nullptr};
  Attention attn{nullptr};
  torch::nn::LayerNorm ln_2{nullptr};
  Mlp mlp{nullptr};
};
TORCH_MODULE(ResidualAttentionBlock);

/// A stack of residual attention blocks registered as `resblocks`.
class TransformerImpl : public torch::nn::Module {
 public:
  TransformerImpl(int64_t width, int64_t layers, int64_t heads, int64_t mlp_width, bool quick_gelu);
  at::Tensor forward(at::Tensor x, const at::Tensor& attn_mask = {});
  /// Block i (for initialisation and inspection).
  ResidualAttentionBlockImpl& block(int64_t i);

  torch::nn::ModuleList resblocks;
  int64_t width;
  int64_t layers;
};
TORCH_MODULE(Transformer);

}  // namespace model
}  // namespace clipscale
