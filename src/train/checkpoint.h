// Checkpoints: one directory per checkpoint, written under a temporary name (every file flushed
// to disk) and renamed when complete, so only complete checkpoints are ever loaded. Contents:
//   model.safetensors      weights with OpenCLIP state_dict names and shapes (loads in open_clip)
//   model_config.json      the OpenCLIP-schema model shape
//   vocab.txt.gz           the tokenizer's merges (OpenCLIP's bpe file format)
//   run_config.toml        the resolved run config with provenance
//   meta.json              schema_version, run_id, step, samples_seen, precision, and for training
//                          checkpoints loader_position, nonfinite_steps, world_size
//   optimizer.safetensors  AdamW state per parameter: <name>.exp_avg, <name>.exp_avg_sq, <name>.step
//   rng.safetensors        the CPU generator state of every rank: rank0, rank1, ...
//   DONE                   written last, before the rename
// A run's checkpoints live in results/<name>/checkpoints/<run_id>/: step-<9 digits> every
// checkpoint.every_samples (the newest checkpoint.keep are kept) and final at the end.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/clip_model.h"

namespace clipscale::text {
class BpeTokenizer;
}
namespace clipscale::io {
struct SafetensorsFile;
}
namespace torch::optim {
class Optimizer;
}

namespace clipscale::train {

inline constexpr int64_t kCheckpointSchemaVersion = 1;

struct CheckpointMeta {
  int64_t schema_version = kCheckpointSchemaVersion;
  std::string run_id;
  int64_t step = 0;
  int64_t samples_seen = 0;
  std::string precision = "fp32";
  std::string model;  ///< model name (the JSON's file stem when written)
  // Training state (training checkpoints only).
  bool has_training_state = false;
  uint64_t loader_position = 0;  ///< the loader's next global sample
  int64_t nonfinite_steps = 0;   ///< steps skipped so far for a non-finite loss or gradient
  int64_t world_size = 1;
  double last_loss = 0;  ///< the loss of the last step before the checkpoint
};

/// What a training checkpoint adds to the model: the optimizer and every rank's RNG state.
struct TrainingStateRefs {
  torch::optim::Optimizer& optimizer;
  std::vector<at::Tensor> rng_states;  ///< uint8 CPU generator states, index = rank
};

/// Writes a checkpoint directory atomically (replacing an older one at `dir`). With `training`,
/// also the optimizer and RNG states. A model with a non-finite weight is never written: that
/// throws core::UserError. A write that fails (disk full, permissions) throws core::UserError naming
/// the path and leaves any earlier checkpoint untouched.
void save_checkpoint(const std::string& dir, model::ClipModelImpl& model, const text::BpeTokenizer& tokenizer,
                     const std::string& run_config_toml, const CheckpointMeta& meta,
                     const std::optional<TrainingStateRefs>& training = std::nullopt);

/// Reads meta.json of a complete checkpoint (DONE present); throws core::UserError otherwise.
CheckpointMeta read_checkpoint_meta(const std::string& dir);

/// Reads every file of a training checkpoint without using it; throws core::UserError naming
/// the first missing, truncated or damaged one.
void verify_training_checkpoint(const std::string& dir);

/// Restores a training checkpoint into an existing model and optimizer (same shapes) and sets
/// the global CPU generator to the state saved for `rank` (rank 0's when the checkpoint had fewer
/// ranks). Every file is read and checked before anything is changed; a missing, truncated or
/// mismatching file throws core::UserError naming it.
CheckpointMeta restore_training_state(const std::string& dir, model::ClipModelImpl& model,
                                      torch::optim::Optimizer& optimizer, int rank);

/// The complete checkpoints of a run directory (step-* and final, DONE present, meta readable),
/// newest (highest step) first. Incomplete directories are skipped (with a warning for
/// unmarked ones); temporary ones (".*.tmp") are ignored.
std::vector<std::string> complete_checkpoints(const std::string& run_checkpoint_dir);

/// Deletes all but the newest `keep` complete step-* checkpoints of a run directory.
void prune_checkpoints(const std::string& run_checkpoint_dir, int64_t keep);

/// "step-000001234".
std::string step_checkpoint_name(int64_t step);

struct LoadedCheckpoint {
  model::ClipModel model{nullptr};
  std::shared_ptr<text::BpeTokenizer> tokenizer;
  CheckpointMeta meta;
  std::string run_config_toml;
};

/// Loads a complete checkpoint. A missing directory, a missing DONE marker, a schema mismatch or
/// a weight that does not match the model shape throws core::UserError naming the file and
/// tensor with a HINT.
LoadedCheckpoint load_checkpoint(const std::string& dir);

/// Copies weights from a safetensors file into the model by OpenCLIP name; every model
/// parameter must be present with the same shape (extra tensors are an error too).
void load_weights(model::ClipModelImpl& model, const io::SafetensorsFile& file, const std::string& origin);

/// Writes the model's weights as safetensors with OpenCLIP names, in `dtype` ("F32", "BF16"
/// or "F16"); `metadata` goes into the header.
void export_safetensors(model::ClipModelImpl& model, const std::string& path, const std::string& dtype,
                        const std::map<std::string, std::string>& metadata);

}  // namespace clipscale::train
