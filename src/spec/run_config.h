// The run config of `clipscale train`: every key, its default, rule and meaning, declared once as
// the fields of RunConfig and the list in RunConfig::for_each_key. The schema (config::Schema),
// the typed binding of a resolved document and the docs of `--dry-run` all come from that list, so
// adding a key means one field and one line here plus the code that uses it.
//
//   config::Document doc = spec::load_run_config("experiments/runs/quickstart.toml", {"optim.lr=3e-4"});
//   spec::RunConfig run = spec::bind_run_config(doc);
//   run.optim.lr;                  // 0.0003
//   run.train.samples_seen;        // 128000
//
// The order of the list is the order of the canonical TOML that run ids hash (spec/run_id.h):
// append new keys, never reorder existing ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/document.h"
#include "config/schema.h"

namespace clipscale::spec {

/// The rule of one key (config::KeySpec's bounds and choices), and whether it is required.
struct KeyRule {
  std::optional<double> min, max;
  bool min_exclusive = false;
  std::vector<std::string> one_of;
  bool required = false;
};
inline KeyRule required() { return KeyRule{{}, {}, false, {}, true}; }
inline KeyRule at_least(double min) { return KeyRule{min, {}, false, {}, false}; }
inline KeyRule above(double min) { return KeyRule{min, {}, true, {}, false}; }
inline KeyRule between(double min, double max) { return KeyRule{min, max, false, {}, false}; }
inline KeyRule one_of(std::vector<std::string> choices) { return KeyRule{{}, {}, false, std::move(choices), false}; }
inline KeyRule required_at_least(double min) { return KeyRule{min, {}, false, {}, true}; }

/// Every run-config key as a typed field; a field's initialiser is the key's default (required
/// keys have a placeholder that a resolved config always replaces).
struct RunConfig {
  struct Run {
    std::string name = "default";
    std::string output_dir = "results";
    int64_t seed = 0;
  } run;
  struct Model {
    std::string config;
  } model;
  struct Data {
    std::string source = "synth:shapes";
    int64_t pool_seed = 0;
    double noise_fraction = 0.2;
    int64_t pool_size = int64_t{1} << 32;
    int64_t data_size = 0;
    std::string variant = "base";
    std::string vocab = "builtin:synth";
    int64_t vocab_corpus = 20000;
  } data;
  struct Train {
    int64_t samples_seen = 0;
    int64_t global_batch_size = 128;
    std::string precision = "bf16";
    int64_t threads = 0;
    int64_t log_every_steps = 10;
    int64_t prefetch_batches = 2;
    int64_t loader_workers = 1;
    int64_t grad_cache_chunk = 0;
    int64_t max_nonfinite_steps = 10;
  } train;
  struct Loss {
    std::string type = "infonce";
    std::string logits = "local";
  } loss;
  struct Dist {
    std::string backend = "auto";
    double bucket_mb = 25.0;
  } dist;
  struct Optim {
    double lr = 5e-4;
    double weight_decay = 0.2;
    double beta1 = 0.9;
    double beta2 = 0.98;
    double eps = 1e-6;
    int64_t warmup_samples = 0;
    std::string schedule = "cosine";
    double grad_clip_norm = 0.0;
  } optim;
  struct Eval {
    std::vector<std::string> tasks = {"zeroshot_shape", "zeroshot_color", "retrieval"};
    int64_t every_samples = 0;
    int64_t zeroshot_size = 1200;
    int64_t retrieval_size = 1000;
  } eval;
  struct Checkpoint {
    bool save_final = true;
    int64_t every_samples = 0;
    int64_t keep = 2;
    bool resume = true;
  } checkpoint;

  /// Calls `key(name, field, doc, rule)` for every key of `config` (a RunConfig, const or not), in
  /// schema order. `doc` is one line for the user: it is the HINT of errors about the key.
  template <class Config, class Visitor>
  static void for_each_key(Config& config, Visitor&& key);
};

/// The schema of every key RunConfig declares.
const config::Schema& run_config_schema();

/// Loads and validates a run config (file + --set overrides), including the cross-key rules, the
/// model JSON it names, the data source and the evaluation tasks. Throws core::UserError listing
/// every problem.
config::Document load_run_config(const std::string& path, const std::vector<std::string>& overrides);

/// The typed values of a document of run_config_schema().
RunConfig bind_run_config(const config::Document& document);

template <class Config, class Visitor>
void RunConfig::for_each_key(Config& c, Visitor&& key) {
  key("run.name", c.run.name, "results go to <run.output_dir>/<run.name>/");
  key("run.output_dir", c.run.output_dir, "root folder of all results");
  key("run.seed", c.run.seed, "seed of model initialisation and data order", at_least(0));
  key("model.config", c.model.config, "OpenCLIP-schema model JSON, e.g. experiments/models/clip-w128-l4.json",
      required());
  key("data.source", c.data.source,
      "sample pool: synth:shapes, or shards:PATTERN for WebDataset tar shards (README, Real data)");
  key("data.pool_seed", c.data.pool_seed, "seed of the synthetic pool itself (which samples exist)", at_least(0));
  key("data.noise_fraction", c.data.noise_fraction, "share of captions replaced by web-like noise", between(0, 1));
  key("data.pool_size", c.data.pool_size, "samples in the pool", at_least(1));
  key("data.data_size", c.data.data_size, "D: unique samples trained on (the first D of a seeded permutation)",
      required_at_least(1));
  key("data.variant", c.data.variant, "name of the dataset variant (curation method)");
  key("data.vocab", c.data.vocab,
      "tokenizer merges file, builtin:synth, or builtin:pool (trained on data.source's captions)");
  key("data.vocab_corpus", c.data.vocab_corpus, "captions used to train builtin:synth", at_least(100));
  key("train.samples_seen", c.train.samples_seen, "S: training length in samples (rounded up to whole batches)",
      required_at_least(1));
  key("train.global_batch_size", c.train.global_batch_size, "samples per optimizer step, all ranks together",
      at_least(2));
  key("train.precision", c.train.precision, "fp32, or bf16 autocast (AMX on recent Xeons)", one_of({"fp32", "bf16"}));
  key("train.threads", c.train.threads, "intra-op threads; 0 uses every core", at_least(0));
  key("train.log_every_steps", c.train.log_every_steps, "steps between log lines", at_least(1));
  key("train.prefetch_batches", c.train.prefetch_batches, "batches decoded ahead by the loader thread", at_least(0));
  key("train.loader_workers", c.train.loader_workers, "loader threads decoding and augmenting batches", at_least(1));
  key("train.grad_cache_chunk", c.train.grad_cache_chunk,
      "rows per gradient-caching chunk on each rank; 0 turns caching off", at_least(0));
  key("loss.type", c.loss.type, "contrastive loss: infonce (CLIP) or siglip (sigmoid, with a logit bias)",
      one_of({"infonce", "siglip"}));
  key("loss.logits", c.loss.logits,
      "InfoNCE logits per rank: local (B x N, labels offset by rank) or full (N x N on every rank)",
      one_of({"local", "full"}));
  key("dist.backend", c.dist.backend, "communicator: auto (mpi under mpirun/srun, else local), local, mpi, nccl",
      one_of({"auto", "local", "mpi", "nccl"}));
  key("dist.bucket_mb", c.dist.bucket_mb, "gradient all-reduce bucket size in MiB", above(0));
  key("optim.lr", c.optim.lr, "peak learning rate after warm-up", above(0));
  key("optim.weight_decay", c.optim.weight_decay, "AdamW weight decay on matrices and embeddings", at_least(0));
  key("optim.beta1", c.optim.beta1, "AdamW beta1", between(0, 0.999999));
  key("optim.beta2", c.optim.beta2, "AdamW beta2", between(0, 0.999999));
  key("optim.eps", c.optim.eps, "AdamW epsilon", above(0));
  key("optim.warmup_samples", c.optim.warmup_samples, "linear warm-up length in samples", at_least(0));
  key("optim.schedule", c.optim.schedule, "learning-rate schedule after warm-up", one_of({"cosine", "const"}));
  key("optim.grad_clip_norm", c.optim.grad_clip_norm, "global gradient-norm clip; 0 disables", at_least(0));
  key("eval.tasks", c.eval.tasks,
      "evaluation tasks: built in (zeroshot_shape, zeroshot_color, retrieval) or task files "
      "experiments/evals/<name>.toml");
  key("eval.every_samples", c.eval.every_samples, "samples between evaluations; 0 evaluates only at the end",
      at_least(0));
  key("eval.zeroshot_size", c.eval.zeroshot_size, "images per zero-shot task", at_least(8));
  key("eval.retrieval_size", c.eval.retrieval_size, "image-text pairs in the retrieval task", at_least(10));
  key("checkpoint.save_final", c.checkpoint.save_final, "write a checkpoint at the end of training");
  key("checkpoint.every_samples", c.checkpoint.every_samples,
      "samples between training checkpoints (model, optimizer, loader, RNG); 0: only the final one", at_least(0));
  key("checkpoint.keep", c.checkpoint.keep, "newest periodic checkpoints kept", at_least(1));
  key("checkpoint.resume", c.checkpoint.resume, "continue from the newest complete checkpoint of the same run id");
  key("train.max_nonfinite_steps", c.train.max_nonfinite_steps,
      "steps in a row with a non-finite loss or gradient (each skipped) before the run fails", at_least(1));
}

}  // namespace clipscale::spec
