#include "spec/budget.h"

namespace clipscale::spec {

RunBudget budget_of(const RunConfig& config, const ClipConfig& model) {
  RunBudget b;
  b.global_batch_size = config.train.global_batch_size;
  b.steps = whole_batches(config.train.samples_seen, b.global_batch_size);
  b.samples_target = b.steps * b.global_batch_size;
  b.warmup_steps = whole_batches(config.optim.warmup_samples, b.global_batch_size);
  b.data_size = config.data.data_size;
  b.params = parameters_from_shape(model);
  b.flops = forward_flops_per_sample(model);
  return b;
}

}  // namespace clipscale::spec
