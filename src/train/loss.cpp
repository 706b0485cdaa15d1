#include "train/loss.h"

#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "dist/all_gather.h"
#include "dist/communicator.h"
#include "model/contrastive_loss.h"

namespace clipscale::train {

LossType parse_loss_type(const std::string& name) {
  if (name == "infonce") return LossType::kInfoNce;
  if (name == "siglip") return LossType::kSigLip;
  throw core::UserError("loss.type = \"" + name + "\" is not a loss. HINT: use \"infonce\" or \"siglip\".");
}

LogitsMode parse_logits_mode(const std::string& name) {
  if (name == "local") return LogitsMode::kLocal;
  if (name == "full") return LogitsMode::kFull;
  throw core::UserError("loss.logits = \"" + name + "\" is not a logits mode. HINT: use \"local\" or \"full\".");
}

std::string loss_name(const LossOptions& options) {
  if (options.type == LossType::kSigLip) return "siglip";
  return options.logits == LogitsMode::kLocal ? "infonce-local" : "infonce-full";
}

LossOptions loss_options(const spec::RunConfig::Loss& section) {
  return LossOptions{parse_loss_type(section.type), parse_logits_mode(section.logits)};
}

spec::ClipConfig model_for_loss(spec::ClipConfig config, const LossOptions& loss) {
  if (loss.type == LossType::kSigLip && !config.init_logit_bias) {
    config.init_logit_scale = std::log(10.0);
    config.init_logit_bias = -10.0;
  }
  if (loss.type == LossType::kInfoNce && config.init_logit_bias)
    throw core::UserError("model " + config.name +
                          " has init_logit_bias (a SigLIP model) but loss.type = \"infonce\". " +
                          "HINT: set loss.type = \"siglip\", or remove init_logit_bias from the model JSON.");
  return config;
}

at::Tensor distributed_loss(dist::Communicator& comm, const LossOptions& options, const at::Tensor& image,
                            const at::Tensor& text, const at::Tensor& logit_scale, const at::Tensor& logit_bias) {
  const int64_t batch = image.size(0);
  const int64_t offset = comm.rank() * batch;
  if (options.type == LossType::kSigLip) {
    // Only texts travel; every rank scores its own images against all texts.
    const at::Tensor all_text = dist::all_gather_with_grad(comm, text);
    return functional::siglip_loss(image, all_text, logit_scale, logit_bias, offset);
  }
  // One collective for both towers: [B, 2E] rows, split after the gather.
  const int64_t dim = image.size(1);
  const at::Tensor both = dist::all_gather_with_grad(comm, torch::cat({image, text}, 1));
  const at::Tensor all_image = both.narrow(1, 0, dim);
  const at::Tensor all_text = both.narrow(1, dim, dim);
  if (options.logits == LogitsMode::kFull)
    return functional::contrastive_loss(all_image, all_text, all_image, all_text, logit_scale, 0);
  return functional::contrastive_loss(image, text, all_image, all_text, logit_scale, offset);
}

}  // namespace clipscale::train
