#include "train/optimizer.h"

#include <torch/torch.h>

#include <cmath>

#include "core/error.h"
#include "model/clip_model.h"

namespace clipscale::train {

bool OptimizerOptions::is_valid(std::string_view prefix, std::string* error) const {
  const std::string p(prefix);
  auto bad = [&](const std::string& message) {
    if (error) *error = message;
    return false;
  };
  if (!(lr > 0)) return bad(p + "lr = " + std::to_string(lr) + " violates lr > 0");
  if (!(weight_decay >= 0))
    return bad(p + "weight_decay = " + std::to_string(weight_decay) + " violates weight_decay >= 0");
  if (!(beta1 >= 0 && beta1 < 1)) return bad(p + "beta1 = " + std::to_string(beta1) + " violates 0 <= beta1 < 1");
  if (!(beta2 >= 0 && beta2 < 1)) return bad(p + "beta2 = " + std::to_string(beta2) + " violates 0 <= beta2 < 1");
  if (!(eps > 0)) return bad(p + "eps = " + std::to_string(eps) + " violates eps > 0");
  if (warmup_steps < 0) return bad(p + "warmup_steps violates warmup_steps >= 0");
  if (schedule != "cosine" && schedule != "const")
    return bad(p + "schedule = \"" + schedule + "\" violates one of {\"cosine\", \"const\"}");
  if (!(grad_clip_norm >= 0))
    return bad(p + "grad_clip_norm = " + std::to_string(grad_clip_norm) + " violates grad_clip_norm >= 0");
  return true;
}

bool is_weight_decay_exempt(std::string_view name, int64_t dim) {
  return dim < 2 || name.find("bn") != std::string_view::npos || name.find("ln") != std::string_view::npos ||
         name.find("bias") != std::string_view::npos || name.find("logit_scale") != std::string_view::npos;
}

std::unique_ptr<torch::optim::Optimizer> make_adamw(model::ClipModelImpl& model, const OptimizerOptions& options) {
  std::string error;
  CLIPSCALE_CHECK(options.is_valid("optim.", &error)) << error;
  std::vector<at::Tensor> decay, exempt;
  for (const auto& item : model.named_parameters()) {
    if (!item.value().requires_grad()) continue;
    (is_weight_decay_exempt(item.key(), item.value().dim()) ? exempt : decay).push_back(item.value());
  }
  auto base = torch::optim::AdamWOptions(options.lr)
                  .betas({options.beta1, options.beta2})
                  .eps(options.eps)
                  .weight_decay(options.weight_decay);
  auto no_decay = base;
  no_decay.weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(base));
  groups.emplace_back(exempt, std::make_unique<torch::optim::AdamWOptions>(no_decay));
  return std::make_unique<torch::optim::AdamW>(std::move(groups), base);
}

double learning_rate(const OptimizerOptions& options, int64_t step, int64_t total_steps) {
  if (step < options.warmup_steps)
    return options.lr * static_cast<double>(step + 1) / static_cast<double>(options.warmup_steps);
  if (options.schedule == "const") return options.lr;
  const double decay_steps = static_cast<double>(total_steps - options.warmup_steps);
  if (decay_steps <= 0) return options.lr;
  const double e = static_cast<double>(step - options.warmup_steps);
  return 0.5 * (1.0 + std::cos(M_PI * e / decay_steps)) * options.lr;
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace clipscale::train
