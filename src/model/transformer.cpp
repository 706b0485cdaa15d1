#include "model/transformer.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "core/error.h"

namespace clipscale {
namespace functional {

at::Tensor self_attention(const at::Tensor& x, const at::Tensor& in_proj_weight, const at::Tensor& in_proj_bias,
                          const at::Tensor& out_proj_weight, const at::Tensor& out_proj_bias, int64_t heads,
                          const at::Tensor& attn_mask) {
  CLIPSCALE_CHECK_EQ(x.dim(), 3) << "attention input must be [B, T, W]";
  const int64_t batch = x.size(0), length = x.size(1), width = x.size(2);
  CLIPSCALE_CHECK_EQ(width % heads, 0);
  const int64_t head_dim = width / heads;
  // [B, T, 3W] -> [3, B, H, T, hd]
  auto qkv =
      torch::linear(x, in_proj_weight, in_proj_bias).view({batch, length, 3, heads, head_dim}).permute({2, 0, 3, 1, 4});
  auto q = qkv[0] * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  auto scores = torch::matmul(q, qkv[1].transpose(-2, -1));  // [B, H, T, T]
  if (attn_mask.defined()) scores = scores + attn_mask.to(scores.scalar_type());
  auto out = torch::matmul(torch::softmax(scores, -1), qkv[2]);  // [B, H, T, hd]
  out = out.transpose(1, 2).reshape({batch, length, width});
  return torch::linear(out, out_proj_weight, out_proj_bias);
}

at::Tensor causal_mask(int64_t length) {
  return torch::full({length, length}, -std::numeric_limits<float>::infinity()).triu_(1);
}

}  // namespace functional

namespace model {

AttentionImpl::AttentionImpl(int64_t width, int64_t heads_) : heads(heads_) {
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * width, width}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * width}));
  out_proj = register_module("out_proj", torch::nn::Linear(width, width));
  // nn.MultiheadAttention._reset_parameters: xavier-uniform packed weight, zero biases.
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(in_proj_weight);
  out_proj->bias.zero_();
}

at::Tensor AttentionImpl::forward(const at::Tensor& x, const at::Tensor& attn_mask) {
  return functional::self_attention(x, in_proj_weight, in_proj_bias, out_proj->weight, out_proj->bias, heads,
                                    attn_mask);
}

MlpImpl::MlpImpl(int64_t width, int64_t hidden, bool quick_gelu_) : quick_gelu(quick_gelu_) {
  c_fc = register_module("c_fc", torch::nn::Linear(width, hidden));
  c_proj = register_module("c_proj", torch::nn::Linear(hidden, width));
}

at::Tensor MlpImpl::forward(const at::Tensor& x) {
  // torch::linear (aten::linear -> addmm), not Linear::forward, which is slower on 3-D inputs in 1.13.
  auto h = torch::linear(x, c_fc->weight, c_fc->bias);
  h = quick_gelu ? h * torch::sigmoid(1.702 * h) : torch::gelu(h);
  return torch::linear(h, c_proj->weight, c_proj->bias);
}

ResidualAttentionBlockImpl::ResidualAttentionBlockImpl(int64_t width, int64_t heads, int64_t mlp_width,
                                                       bool quick_gelu) {
  ln_1 = register_module("ln_1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-5)));
  attn = register_module("attn", Attention(width, heads));
  ln_2 = register_module("ln_2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-5)));
  mlp = register_module("mlp", Mlp(width, mlp_width, quick_gelu));
}

at::Tensor ResidualAttentionBlockImpl::forward(const at::Tensor& x, const at::Tensor& attn_mask) {
  auto h = x + attn->forward(ln_1->forward(x), attn_mask);
  return h + mlp->forward(ln_2->forward(h));
}

TransformerImpl::TransformerImpl(int64_t width_, int64_t layers_, int64_t heads, int64_t mlp_width, bool quick_gelu)
    : width(width_), layers(layers_) {
  for (int64_t i = 0; i < layers; ++i)
    resblocks->push_back(ResidualAttentionBlock(width, heads, mlp_width, quick_gelu));
  register_module("resblocks", resblocks);
}

ResidualAttentionBlockImpl& TransformerImpl::block(int64_t i) {
  return *resblocks[static_cast<size_t>(i)]->as<ResidualAttentionBlockImpl>();
}

at::Tensor TransformerImpl::forward(at::Tensor x, const at::Tensor& attn_mask) {
  for (const auto& module : *resblocks) x = module->as<ResidualAttentionBlockImpl>()->forward(x, attn_mask);
  return x;
}

}  // namespace model
}  // namespace clipscale
