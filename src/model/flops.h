// Analytic compute of the model. FLOPs count multiply-adds as 2 and cover the matrix products
// of both towers' forward pass (patch embedding, QKV/out projections, attention scores and
// weighted sums, MLPs, final projections). Norms, softmax, GELU and the batch-dependent logits
// matrix are excluded. Training compute is C = 3 × forward FLOPs × samples seen (forward plus a
// backward of twice its cost), as in the OpenCLIP scaling-law study.
#pragma once

#include <cstdint>

#include "model/model_config.h"

namespace clipscale::model {

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

/// Training compute in FLOPs: 3 × forward × samples.
inline double training_flops(const ClipConfig& config, double samples_seen) {
  return 3.0 * forward_flops_per_sample(config).total() * samples_seen;
}

}  // namespace clipscale::model
