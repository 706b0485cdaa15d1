// The training loop on 1..N ranks: samples → model → contrastive loss (gathered over ranks, with
// gradient caching when asked) → averaged gradients → AdamW, with periodic evaluation, a
// one-line-per-step log, the HDF5 run file and checkpoints (those three on rank 0).
//
// The loop runs in named phases (trainer.cpp): set-up (threads, seeds, the pool), resume (the
// newest intact checkpoint), the run file, build (tokenizer, loader, model, optimiser, evaluator),
// then per step: step (forward, backward, averaged gradients, update), evaluate and checkpoint
// when due; and finish (final evaluation, final checkpoint, status "done") or stop (a preemption
// signal: checkpoint, status "preempted").
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "config/document.h"
#include "spec/budget.h"
#include "spec/layout.h"
#include "spec/model_config.h"
#include "spec/run_config.h"

namespace clipscale::dist {
class Communicator;
}

namespace clipscale::train {

/// What the trainer trains: one resolved run config.
struct TrainOptions {
  std::string run_id;      ///< spec::run_id() of the resolved config
  spec::RunConfig config;  ///< every run-config key (spec/run_config.h)
  spec::ClipConfig model;  ///< the model JSON config.model.config names

  /// The options of a resolved run config (spec::load_run_config): its id, values and model.
  static TrainOptions from(const config::Document& resolved);

  /// Steps, samples trained (S rounded up to whole batches), parameters, FLOPs, compute.
  spec::RunBudget budget() const { return spec::budget_of(config, model); }
  /// <run.output_dir>/<run.name>/...
  spec::ResultsLayout layout() const { return spec::ResultsLayout::of(config.run.output_dir, config.run.name); }
  std::string run_file_path() const { return layout().run_file(run_id); }
  /// The final checkpoint.
  std::string checkpoint_dir() const { return layout().final_checkpoint(run_id); }
  /// Every checkpoint of the run.
  std::string checkpoint_root() const { return layout().checkpoint_root(run_id); }
};

struct TrainResult {
  std::string run_file;
  std::string checkpoint_dir;  ///< empty when no checkpoint was written
  int64_t steps = 0;
  int64_t samples_seen = 0;
  double final_loss = 0;
  bool preempted = false;         ///< stopped by SIGUSR1/SIGTERM after checkpointing (status "preempted")
  int64_t resumed_from_step = 0;  ///< 0: started from scratch
  int64_t nonfinite_steps = 0;    ///< steps skipped for a non-finite loss or gradient norm
  std::map<std::string, std::map<std::string, double>> final_metrics;  ///< task -> metric -> value
};

/// Trains one run on every rank of `comm` (each rank calls it with the same options; the global
/// batch is split evenly over ranks). `resolved_config_toml` (with provenance) is stored in the
/// run file and the checkpoint. Failures mark the run file "failed" and rethrow.
///
/// With checkpoint.resume, a run whose checkpoint directory holds a complete training checkpoint
/// continues from the newest one that reads back intact (older ones are tried in turn, with a
/// warning), keeping the run file's rows up to it: on CPU the result is bitwise the result of an
/// uninterrupted run. SIGUSR1 or SIGTERM make every rank finish the current step, checkpoint,
/// mark the run "preempted" and return with result.preempted set.
TrainResult run_training(const TrainOptions& options, const std::string& resolved_config_toml,
                         dist::Communicator& comm);
/// The same on a single process.
TrainResult run_training(const TrainOptions& options, const std::string& resolved_config_toml);

}  // namespace clipscale::train
