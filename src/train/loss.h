// The contrastive loss of a training step in its distributed form: which loss (InfoNCE or
// SigLIP), how each rank's logits are laid out, and the loss of this rank's features after they
// are gathered over ranks with gradient. model/ holds the single-process maths; this file adds the
// communicator, which is why it lives in train/.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>

#include "spec/model_config.h"
#include "spec/run_config.h"

namespace clipscale::dist {
class Communicator;
}

namespace clipscale::train {

enum class LossType {
  kInfoNce,  ///< symmetric InfoNCE (CLIP)
  kSigLip,   ///< sigmoid loss; the model needs a logit_bias
};

enum class LogitsMode {
  kLocal,  ///< each rank computes B × N logits, labels offset by rank × B (OpenCLIP --local-loss)
  kFull,   ///< every rank computes the whole N × N matrix (redundant; for comparison)
};

struct LossOptions {
  LossType type = LossType::kInfoNce;
  LogitsMode logits = LogitsMode::kLocal;  ///< InfoNCE only; SigLIP always scores local images
};

LossType parse_loss_type(const std::string& name);      ///< "infonce" | "siglip"
LogitsMode parse_logits_mode(const std::string& name);  ///< "local" | "full"
std::string loss_name(const LossOptions& options);      ///< e.g. "infonce-local"

/// The options of the [loss] section of a run config.
LossOptions loss_options(const spec::RunConfig::Loss& section);

/// The model a loss trains: SigLIP needs a logit bias, so a model JSON without one gets SigLIP's
/// initialisation (scale ln 10, bias −10, as OpenCLIP's --siglip does). InfoNCE must not have one
/// (core::UserError with a HINT).
spec::ClipConfig model_for_loss(spec::ClipConfig config, const LossOptions& loss);

/// This rank's loss on its [B, E] features after gathering them over ranks with gradient. The
/// mean over ranks equals the loss of one process holding the whole global batch, and so do the
/// parameter gradients once they are averaged over ranks. `logit_scale` is the exponentiated
/// scale; `logit_bias` is used by SigLIP only.
at::Tensor distributed_loss(dist::Communicator& comm, const LossOptions& options, const at::Tensor& image,
                            const at::Tensor& text, const at::Tensor& logit_scale, const at::Tensor& logit_bias);

}  // namespace clipscale::train
