// What a run costs, derived from its config and model shape in one place for training, sweep
// plans and analysis: optimiser steps, the samples actually trained (S rounded up to whole global
// batches), parameters and FLOPs per sample, and training compute C = 3 · F · S.
#pragma once

#include <cstdint>

#include "spec/flops.h"
#include "spec/model_config.h"
#include "spec/run_config.h"

namespace clipscale::spec {

/// ceil(samples / batch): optimiser steps to see at least `samples` samples in batches of `batch`.
inline int64_t whole_batches(int64_t samples, int64_t batch) { return (samples + batch - 1) / batch; }

struct RunBudget {
  int64_t global_batch_size = 0;
  int64_t steps = 0;           ///< optimiser steps: whole_batches(train.samples_seen, batch)
  int64_t samples_target = 0;  ///< S: steps × batch (≥ train.samples_seen)
  int64_t warmup_steps = 0;    ///< whole_batches(optim.warmup_samples, batch)
  int64_t data_size = 0;       ///< D
  ShapeParameterCount params;
  FlopCount flops;  ///< forward FLOPs per sample

  /// Training compute C = 3 × forward FLOPs per sample × S.
  double compute() const { return training_flops(flops.total(), static_cast<double>(samples_target)); }
};

/// The budget of a run of `model` under `config`.
RunBudget budget_of(const RunConfig& config, const ClipConfig& model);

}  // namespace clipscale::spec
