// AdamW with OpenCLIP's parameter groups, and the learning-rate schedule.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace torch::optim {
class Optimizer;
}
namespace clipscale::model {
class ClipModelImpl;
}

namespace clipscale::train {

struct OptimizerOptions {
  double lr = 5e-4;           ///< peak learning rate (after warm-up)
  double weight_decay = 0.2;  ///< applied to weight matrices and embeddings only
  double beta1 = 0.9;
  double beta2 = 0.98;
  double eps = 1e-6;
  int64_t warmup_steps = 0;         ///< linear warm-up: lr · (step + 1) / warmup_steps
  std::string schedule = "cosine";  ///< "cosine" (OpenCLIP's: reaches 0 one step after the last) or "const"
  double grad_clip_norm = 0;        ///< global L2 norm clip; 0 turns clipping off

  /// Checks ranges; messages name keys as `prefix` + field (e.g. "optim.lr").
  bool is_valid(std::string_view prefix, std::string* error) const;
};

/// OpenCLIP's exclusion rule: no weight decay for parameters with fewer than 2 dimensions, or
/// whose name contains "bn", "ln", "bias" or "logit_scale" (gains, biases, class token, scale).
bool is_weight_decay_exempt(std::string_view name, int64_t dim);

/// AdamW with two groups: decayed (matrices, embeddings) and exempt.
std::unique_ptr<torch::optim::Optimizer> make_adamw(model::ClipModelImpl& model, const OptimizerOptions& options);

/// Learning rate at optimiser step `step` (0-based) of `total_steps`: linear warm-up to
/// options.lr, then cosine decay to 0 (OpenCLIP's cosine_lr) or constant.
double learning_rate(const OptimizerOptions& options, int64_t step, int64_t total_steps);

/// Sets the learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace clipscale::train
