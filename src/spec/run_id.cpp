#include "spec/run_id.h"

#include <algorithm>

#include "core/hash.h"

namespace clipscale::spec {

const std::vector<std::string>& run_id_ignored_keys() {
  static const std::vector<std::string> keys = {
      "run.output_dir",       "train.log_every_steps", "train.prefetch_batches",
      "train.loader_workers", "checkpoint.save_final", "checkpoint.every_samples",
      "checkpoint.keep",      "checkpoint.resume",     "train.grad_cache_chunk",
      "dist.backend",         "dist.bucket_mb"};
  return keys;
}

const std::vector<std::string>& run_id_original_keys() {
  // The schema of clipscale 0.1.0 (git 320a93a), whose ids are in published run files.
  static const std::vector<std::string> keys = {"run.name",
                                                "run.output_dir",
                                                "run.seed",
                                                "model.config",
                                                "data.source",
                                                "data.pool_seed",
                                                "data.noise_fraction",
                                                "data.pool_size",
                                                "data.data_size",
                                                "data.variant",
                                                "data.vocab",
                                                "data.vocab_corpus",
                                                "train.samples_seen",
                                                "train.global_batch_size",
                                                "train.precision",
                                                "train.threads",
                                                "train.log_every_steps",
                                                "train.prefetch_batches",
                                                "train.loader_workers",
                                                "train.grad_cache_chunk",
                                                "loss.type",
                                                "loss.logits",
                                                "dist.backend",
                                                "dist.bucket_mb",
                                                "optim.lr",
                                                "optim.weight_decay",
                                                "optim.beta1",
                                                "optim.beta2",
                                                "optim.eps",
                                                "optim.warmup_samples",
                                                "optim.schedule",
                                                "optim.grad_clip_norm",
                                                "eval.tasks",
                                                "eval.every_samples",
                                                "eval.zeroshot_size",
                                                "eval.retrieval_size",
                                                "checkpoint.save_final",
                                                "checkpoint.every_samples",
                                                "checkpoint.keep",
                                                "checkpoint.resume",
                                                "train.max_nonfinite_steps"};
  return keys;
}

std::string run_id_text(const config::Document& resolved) {
  config::Document canonical = resolved;
  for (const std::string& key : run_id_ignored_keys()) {
    const config::KeySpec* spec = resolved.schema().find(key);
    if (spec != nullptr && spec->default_value)
      canonical.set(key, *spec->default_value, config::Source::from_default());
  }
  const auto& original = run_id_original_keys();
  return canonical.to_toml(false, [&original](const config::KeySpec& spec, const config::Value& value) {
    const bool is_original = std::find(original.begin(), original.end(), spec.key) != original.end();
    return is_original || !spec.default_value || value != *spec.default_value;
  });
}

std::string run_id(const config::Document& resolved, std::string_view model_name, std::string_view model_json) {
  std::string identity = run_id_text(resolved);
  identity += "\n# model\n";
  identity += model_json;
  return std::string(model_name) + "-" + core::sha256_hex(identity).substr(0, 12);
}

}  // namespace clipscale::spec
