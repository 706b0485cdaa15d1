#include "sweep/run_id.h"

#include "core/hash.h"

namespace clipscale::sweep {

const std::vector<std::string>& run_id_ignored_keys() {
  static const std::vector<std::string> keys = {
      "run.output_dir",         "train.log_every_steps",   "train.prefetch_batches", "train.loader_workers",
      "checkpoint.save_final",  "checkpoint.every_samples", "checkpoint.keep",        "checkpoint.resume",
      "train.grad_cache_chunk", "dist.backend",            "dist.bucket_mb"};
  return keys;
}

std::string run_id(const config::Document& resolved, std::string_view model_name, std::string_view model_json) {
  config::Document canonical = resolved;
  for (const std::string& key : run_id_ignored_keys()) {
    const config::KeySpec* spec = resolved.schema().find(key);
    if (spec != nullptr && spec->default_value) canonical.set(key, *spec->default_value, config::Source::from_default());
  }
  std::string identity = canonical.to_toml(false);
  identity += "\n# model\n";
  identity += model_json;
  return std::string(model_name) + "-" + core::sha256_hex(identity).substr(0, 12);
}

}  // namespace clipscale::sweep
