// Model checkpoints: one directory per checkpoint, written under a temporary name and renamed
// when complete, so only complete checkpoints are ever loaded. Contents:
//   model.safetensors   weights with OpenCLIP state_dict names and shapes (loads in open_clip)
//   model_config.json   the OpenCLIP-schema model shape
//   vocab.txt.gz        the tokenizer's merges (OpenCLIP's bpe file format)
//   run_config.toml     the resolved run config with provenance
//   meta.json           schema_version, run_id, step, samples_seen, precision
//   DONE                written last, before the rename
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/clip_model.h"

namespace clipscale::text {
class BpeTokenizer;
}
namespace clipscale::io {
struct SafetensorsFile;
}

namespace clipscale::train {

inline constexpr int64_t kCheckpointSchemaVersion = 1;

struct CheckpointMeta {
  int64_t schema_version = kCheckpointSchemaVersion;
  std::string run_id;
  int64_t step = 0;
  int64_t samples_seen = 0;
  std::string precision = "fp32";
};

/// Writes a checkpoint directory atomically (replacing an older one at `dir`).
void save_checkpoint(const std::string& dir, model::ClipModelImpl& model, const text::BpeTokenizer& tokenizer,
                     const std::string& run_config_toml, const CheckpointMeta& meta);

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
