// The contrastive losses, in the local form distributed training uses: each rank scores its own
// B rows against all N gathered columns. Symmetric InfoNCE (CLIP) with a learnable logit scale,
// and SigLIP's sigmoid loss with a learnable scale and bias. Gathering is dist/'s job.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

namespace clipscale {
namespace functional {

/// Symmetric InfoNCE.
///   image, text:         [B, D] L2-normalised features of this rank's samples
///   all_image, all_text: [N, D] features of every rank's samples (N = world × B; equal to
///                        image/text on one process)
///   logit_scale:         [] the *exponentiated* scale s (OpenCLIP's model output)
///   label_offset:        index of this rank's first sample in the gathered batch (rank × B)
/// logits_per_image = s · image · all_textᵀ, logits_per_text = s · text · all_imageᵀ (both [B, N],
/// computed in fp32 whatever the input dtype); the positive of row i is column label_offset + i.
/// Returns ½ [CE(logits_per_image) + CE(logits_per_text)], a 0-d fp32 tensor.
at::Tensor contrastive_loss(const at::Tensor& image, const at::Tensor& text, const at::Tensor& all_image,
                            const at::Tensor& all_text, const at::Tensor& logit_scale, int64_t label_offset);

/// SigLIP's sigmoid loss (Zhai et al. 2023) in its distributed form: this rank's B images against
/// every rank's texts.
///   image:       [B, D] L2-normalised image features of this rank
///   all_text:    [N, D] L2-normalised text features of every rank (N = world × B)
///   logit_scale: [] the exponentiated scale s;  logit_bias: [] the bias b
///   label_offset: index of this rank's first sample among the N texts
/// z = s · image · all_textᵀ + b ([B, N], fp32); ℓ = +1 at (i, label_offset + i), −1 elsewhere.
/// Returns −(1/B) Σ log σ(ℓ ⊙ z), so the mean over ranks is the full batch's −(1/N) Σ over N × N.
at::Tensor siglip_loss(const at::Tensor& image, const at::Tensor& all_text, const at::Tensor& logit_scale,
                       const at::Tensor& logit_bias, int64_t label_offset);

}  // namespace functional

namespace model {

/// Module form of functional::contrastive_loss for a single process (all = local, offset 0).
class ContrastiveLossImpl : public torch::nn::Module {
 public:
  at::Tensor forward(const at::Tensor& image, const at::Tensor& text, const at::Tensor& logit_scale);
};
TORCH_MODULE(ContrastiveLoss);

}  // namespace model
}  // namespace clipscale
