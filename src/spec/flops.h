// Analytic compute of the model. FLOPs count multiply-adds as 2 and cover the matrix products
// of both towers' forward pass (patch embedding, QKV/out projections, attention scores and
// weighted sums, MLPs, final projections). Norms, softmax, GELU and the batch-dependent logits
// matrix are excluded. Training compute is C = 3 × forward FLOPs × samples seen (forward plus a
// backward of twice its cost), as in the OpenCLIP scaling-law study.
#pragma once

#include <cstdint>

#include "spec/model_config.h"

namespace clipscale::spec {

struct FlopCount {
  double image = 0;  ///< forward FLOPs of the image tower per sample
  double text = 0;   ///< forward FLOPs of the text tower per sample
  double total() const { return image + text; }
};

/// Forward FLOPs per sample; the text tower runs over the full context length.
FlopCount forward_flops_per_sample(const ClipConfig& config);

/// Parameter counts per tower computed from the shape alone (equal to count_parameters() on the
/// built model).
struct ShapeParameterCount {
  int64_t image = 0;
  int64_t text = 0;
  int64_t total = 0;  ///< image + text + logit_scale (+ logit_bias)
};
ShapeParameterCount parameters_from_shape(const ClipConfig& config);

/// Training compute in FLOPs, C = 3 × forward FLOPs per sample × samples seen (the one place this
/// formula is written; spec/budget.h and sweep plans use it).
inline double training_flops(double forward_flops_per_sample, double samples_seen) {
  return 3.0 * forward_flops_per_sample * samples_seen;
}
inline double training_flops(const ClipConfig& config, double samples_seen) {
  return training_flops(forward_flops_per_sample(config).total(), samples_seen);
}

}  // namespace clipscale::spec
