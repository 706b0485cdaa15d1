#include "model/contrastive_loss.h"

#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/torch.h>

#include "core/error.h"

namespace clipscale {
namespace functional {

at::Tensor contrastive_loss(const at::Tensor& image, const at::Tensor& text, const at::Tensor& all_image,
                            const at::Tensor& all_text, const at::Tensor& logit_scale, int64_t label_offset) {
  CLIPSCALE_CHECK(image.dim() == 2 && image.sizes() == text.sizes())
      << "image and text features must both be [B, D]; got " << image.sizes() << " and " << text.sizes();
  CLIPSCALE_CHECK(all_image.dim() == 2 && all_image.sizes() == all_text.sizes() && all_image.size(1) == image.size(1))
      << "gathered features must both be [N, D]; got " << all_image.sizes() << " and " << all_text.sizes();
  const int64_t batch = image.size(0);
  CLIPSCALE_CHECK(label_offset >= 0 && label_offset + batch <= all_image.size(0))
      << "label_offset " << label_offset << " + B " << batch << " exceeds N " << all_image.size(0);
  // Logits and cross-entropy always in fp32: bf16 softmax over thousands of columns loses the
  // positives. Under autocast matmul would run in bf16 whatever its inputs, so autocast is off here.
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::DispatchKey::AutocastCPU);
  auto scale = logit_scale.to(torch::kFloat32);
  auto logits_per_image = scale * torch::matmul(image.to(torch::kFloat32), all_text.to(torch::kFloat32).t());
  auto logits_per_text = scale * torch::matmul(text.to(torch::kFloat32), all_image.to(torch::kFloat32).t());
  auto labels = torch::arange(label_offset, label_offset + batch, torch::dtype(torch::kLong).device(image.device()));
  return 0.5 * (torch::nn::functional::cross_entropy(logits_per_image, labels) +
                torch::nn::functional::cross_entropy(logits_per_text, labels));
}

at::Tensor siglip_loss(const at::Tensor& image, const at::Tensor& all_text, const at::Tensor& logit_scale,
                       const at::Tensor& logit_bias, int64_t label_offset) {
  CLIPSCALE_CHECK(image.dim() == 2 && all_text.dim() == 2 && image.size(1) == all_text.size(1))
      << "siglip_loss needs [B, D] images and [N, D] texts; got " << image.sizes() << " and " << all_text.sizes();
  const int64_t batch = image.size(0);
  CLIPSCALE_CHECK(label_offset >= 0 && label_offset + batch <= all_text.size(0))
      << "label_offset " << label_offset << " + B " << batch << " exceeds N " << all_text.size(0);
  CLIPSCALE_CHECK(logit_bias.defined()) << "siglip_loss needs a logit bias (the model's init_logit_bias)";
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::DispatchKey::AutocastCPU);
  auto logits =
      logit_scale.to(torch::kFloat32) * torch::matmul(image.to(torch::kFloat32), all_text.to(torch::kFloat32).t()) +
      logit_bias.to(torch::kFloat32);
  // ℓ = −1 everywhere but this rank's diagonal block.
  auto labels = -torch::ones_like(logits);
  labels.narrow(1, label_offset, batch).diagonal().fill_(1.0);
  return -torch::nn::functional::logsigmoid(labels * logits).sum() / static_cast<double>(batch);
}

}  // namespace functional

namespace model {

at::Tensor ContrastiveLossImpl::forward(const at::Tensor& image, const at::Tensor& text,
                                        const at::Tensor& logit_scale) {
  return functional::contrastive_loss(image, text, image, text, logit_scale, 0);
}

}  // namespace model
}  // namespace clipscale
