// The training loop on 1..N ranks: samples → model → contrastive loss (gathered over ranks, with
// gradient caching when asked) → averaged gradients → AdamW, with periodic evaluation, a
// one-line-per-step log, the HDF5 run file and a final checkpoint (those three on rank 0).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/sample_source.h"
#include "model/autocast.h"
#include "model/model_config.h"
#include "train/grad_cache.h"
#include "train/optimizer.h"

namespace clipscale::dist {
class Communicator;
}

namespace clipscale::train {

struct TrainOptions {
  // [run]
  std::string run_id;          ///< content hash of the resolved config (see cli/run_config.h)
  std::string run_name;        ///< results/<run_name>/...
  std::string output_dir = "results";
  uint64_t seed = 0;           ///< model init and data order
  // [model]
  model::ClipConfig model;
  // [data]
  data::SourceOptions source;  ///< image_size is taken from the model
  uint64_t data_size = 0;      ///< D
  std::string variant = "base";
  std::string vocab = "builtin:synth";  ///< a merges file, or builtin:synth (trained on the pool's captions)
  int64_t vocab_corpus = 20000;          ///< captions used to train builtin:synth
  // [train]
  int64_t samples_seen = 0;    ///< S, rounded up to whole global batches
  int64_t global_batch_size = 128;
  model::Precision precision = model::Precision::kBf16;
  int64_t threads = 0;         ///< 0: all cores
  int64_t log_every_steps = 10;
  int64_t prefetch_batches = 2;
  int64_t loader_workers = 1;  ///< threads decoding and augmenting batches
  int64_t grad_cache_chunk = 0;  ///< rows per gradient-caching chunk on each rank; 0: no caching
  // [loss]
  LossOptions loss;
  // [dist]
  double bucket_mb = 25;         ///< gradient all-reduce bucket size
  // [optim]
  OptimizerOptions optim;
  int64_t warmup_samples = 0;  ///< converted to optimiser steps
  // [eval]
  std::vector<std::string> eval_tasks = {"zeroshot_shape", "zeroshot_color", "retrieval"};
  int64_t eval_every_samples = 0;  ///< 0: only at the end
  int64_t eval_zeroshot_size = 1200;
  int64_t eval_retrieval_size = 1000;
  // [checkpoint]
  bool save_final_checkpoint = true;
  int64_t checkpoint_every_samples = 0;  ///< 0: only the final checkpoint
  int64_t checkpoint_keep = 2;           ///< newest periodic checkpoints kept
  bool resume = true;                    ///< continue from the newest complete checkpoint of this run id
  int64_t max_nonfinite_steps = 10;      ///< non-finite steps in a row before the run fails

  int64_t total_steps() const { return (samples_seen + global_batch_size - 1) / global_batch_size; }
  std::string run_file_path() const;       ///< <output_dir>/<run_name>/runs/<run_id>.h5
  std::string checkpoint_dir() const;      ///< <output_dir>/<run_name>/checkpoints/<run_id>/final
  std::string checkpoint_root() const;     ///< <output_dir>/<run_name>/checkpoints/<run_id>
};

struct TrainResult {
  std::string run_file;
  std::string checkpoint_dir;  ///< empty when no checkpoint was written
  int64_t steps = 0;
  int64_t samples_seen = 0;
  double final_loss = 0;
  bool preempted = false;        ///< stopped by SIGUSR1/SIGTERM after checkpointing (status "preempted")
  int64_t resumed_from_step = 0; ///< 0: started from scratch
  int64_t nonfinite_steps = 0;   ///< steps skipped for a non-finite loss or gradient norm
  std::map<std::string, std::map<std::string, double>> final_metrics;  ///< task -> metric -> value
};

/// Trains one run on every rank of `comm` (each rank calls it with the same options; the global
/// batch is split evenly over ranks). `resolved_config_toml` (with provenance) is stored in the
/// run file and the checkpoint. Failures mark the run file "failed" and rethrow.
///
/// With options.resume, a run whose checkpoint directory holds a complete training checkpoint
/// continues from the newest one that reads back intact (older ones are tried in turn, with a
/// warning), keeping the run file's rows up to it: on CPU the result is bitwise the result of an
/// uninterrupted run. SIGUSR1 or SIGTERM make every rank finish the current step, checkpoint,
/// mark the run "preempted" and return with result.preempted set.
TrainResult run_training(const TrainOptions& options, const std::string& resolved_config_toml,
                         dist::Communicator& comm);
/// The same on a single process.
TrainResult run_training(const TrainOptions& options, const std::string& resolved_config_toml);

}  // namespace clipscale::train
